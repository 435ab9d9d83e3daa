// Where twstorm's own files are. twstorm runs from two layouts of the same code:
//   - tsc's dist/src/<folder>/<file>.js (the library export, and the tests that import modules);
//   - esbuild's dist/bundle/<entry>.js (what bin/twstorm.js starts, made by scripts/bundle.mjs):
//     one file per process entry plus the chunks they share, one whole file per thread entry,
//     and `states` (states-entry.js) whole on its own, flat in one folder. Node's ESM loader
//     costs ~1 ms per module it resolves and reads, and a run starts a CLI, a run process, a server child and
//     five threads, each loading 50-200 modules: the bundle takes ~40 % off each start.
// This module is two folders below the package root in both (dist/src/paths.js, or a chunk in
// dist/bundle/), so the root is '../../' either way; only entry points differ, and esbuild's
// `define` (see scripts/bundle.mjs) tells which layout this is.
import { fileURLToPath } from 'node:url';

declare const TWSTORM_BUNDLE: boolean | undefined;
const BUNDLED = typeof TWSTORM_BUNDLE !== 'undefined';

/** The package root (where package.json, scenarios/, schema/ and examples/ are), with no trailing slash. */
export const PACKAGE_ROOT: string = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

/** A file of the package, from a path relative to its root. */
export function packageFile(relative: string): string {
  return `${PACKAGE_ROOT}/${relative}`;
}

/** Every file twstorm starts as a process or a thread, by its path under src/ (each is an entry of the bundle). */
export const ENTRY_POINTS = [
  'cli/inside-entry.js',
  'server/child.js',
  'engine/client-worker.js',
  'engine/server-worker.js',
  'engine/closer-worker.js',
  'sockets/linger-worker.js',
  'observe/sampler-worker.js',
] as const;
export type EntryPoint = (typeof ENTRY_POINTS)[number];

/** The URL of an entry point in the layout this code runs from (for `new Worker` or a spawn). */
export function entryUrl(entry: EntryPoint): URL {
  return new URL(BUNDLED ? `./${entry.slice(entry.lastIndexOf('/') + 1)}` : `./${entry}`, import.meta.url);
}

/** The file path of an entry point, for spawning a process. */
export function entryFile(entry: EntryPoint): string {
  return fileURLToPath(entryUrl(entry));
}
