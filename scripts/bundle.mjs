// `npm run bundle` (part of `npm run build`): esbuild's bundles of every process and thread
// twstorm starts (src/paths.ts says why the CLI runs from a bundle, and how code finds its
// entry points in either layout).
//   node scripts/bundle.mjs [OUTDIR [EXTRA_ENTRY ...]]      OUTDIR: dist/bundle by default
// EXTRA_ENTRY: more process entries beside them (the test harness, in dist/test-bundle).
//
// Processes (the CLI, the run process, the server child) share chunks (splitting), so each
// loads only what its command needs: the run process no report renderer. `states` is one file
// of its own (the third build below, with fullCliOutside). Threads are one file each: a worker
// is a fresh V8 isolate that shares no module with any other, and resolving and reading a dozen
// chunks took ~10 ms of each start's CPU (a client worker's start: 60 ms split, 50 ms as one
// file, measured with 8 starts each; an empty worker is ~35 ms). A run starts five threads.
import path from 'node:path';
import { build } from 'esbuild';

const [outdir = 'dist/bundle', ...extra] = process.argv.slice(2);

const PROCESSES = ['src/cli/main.ts', 'src/cli/inside-entry.ts', 'src/server/child.ts'];
const THREADS = [
  'src/engine/client-worker.ts',
  'src/engine/server-worker.ts',
  'src/engine/closer-worker.ts',
  'src/sockets/linger-worker.ts',
  'src/observe/sampler-worker.ts',
];

// zod's `z` namespace re-exports every locale (`export * as locales`, in classic and in core),
// so a bundle keeps all of them: 368 KB of error-message translations that every process which
// validates a scenario or result parses at start. twstorm speaks English, which zod imports
// on its own (classic/schemas.js: `import en from "../locales/en.js"`): the index of the others
// is bundled as an empty module. An import of zod's locales from anywhere else is untouched.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'zod-english-only' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

// string-width (yargs' and cliui's, for laying out help) builds an Intl.Segmenter and a
// \p{RGI_Emoji} regular expression when its module is evaluated: 17 ms of CPU (7 and 10, measured
// here) in every CLI process, though only help text ever asks for a width. Each import of it is
// bundled as a stub that requires the real module on its first call: esbuild evaluates a
// require()d ES module lazily, at that first call (its __esm wrapper), not at start.
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData?.real === true) return undefined;
      // The version this importer would get (cliui and wrap-ansi have their own).
      const real = await b.resolve('string-width', { resolveDir: args.resolveDir, kind: args.kind, pluginData: { real: true } });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: real.path, namespace: 'lazy-string-width' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-string-width' }, (args) => ({
      contents: `let width;\nexport default function stringWidth(text, options) {\n  width ??= require(${JSON.stringify(args.path)}).default;\n  return width(text, options);\n}\n`,
      loader: 'js',
      resolveDir: path.dirname(args.path),
    }));
  },
};

const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir,
  entryNames: '[name]',
  // koffi is a native addon. yargs is bundled: loaded from node_modules it resolved, read and
  // compiled ~20 files, ~45 ms of CPU in every CLI process. Its locale files stay behind: the
  // CLI turns locale detection off (src/cli/main.ts), and yargs speaks its built-in English.
  external: ['koffi'],
  // How src/paths.ts tells this layout from tsc's dist/src.
  define: { TWSTORM_BUNDLE: 'true' },
  // Bundled CommonJS dependencies call require(): the ESM output gets one of its own.
  banner: { js: "import { createRequire as __twstormRequire } from 'node:module'; const require = __twstormRequire(import.meta.url);" },
  logLevel: 'warning',
  plugins: [zodEnglishOnly, lazyStringWidth],
};

// `twstorm states` (src/cli/states-entry.ts) is what people run in a loop during a storm, so its
// start counts: as one file, with the modules it imports on demand inlined, it resolves and reads
// 2 files instead of 12 (~10 ms of its ~200 at 100,000 sockets, bench/states.bench.ts). A line its
// lean parser cannot read goes to the full CLI, main.js of the build above, which stays a
// separate file: states-entry evaluates nothing with side effects before handing over, so no
// module runs twice.
const fullCliOutside = {
  name: 'full-cli-outside',
  setup(b) {
    b.onResolve({ filter: /^\.\/main\.js$/ }, (args) => (args.importer.endsWith(`${path.sep}states-entry.ts`) ? { path: './main.js', external: true } : undefined));
  },
};

await Promise.all([
  build({ ...common, entryPoints: [...PROCESSES, ...extra], splitting: true }),
  build({ ...common, entryPoints: THREADS }),
  build({ ...common, entryPoints: ['src/cli/states-entry.ts'], plugins: [...common.plugins, fullCliOutside] }),
]);
