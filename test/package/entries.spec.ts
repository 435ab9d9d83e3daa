// The same code runs from tsc's dist/src and from the esbuild bundle (src/paths.ts): every
// process and thread entry must exist in both, or the CLI (which runs the bundle) breaks while
// the tests that import dist/src still pass.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ENTRY_POINTS, PACKAGE_ROOT, entryFile, packageFile } from '../../src/paths.js';

/** The entries started as processes; every other one is a thread. */
const PROCESS_ENTRIES = new Set<string>(['cli/inside-entry.js', 'server/child.js']);

describe('process and thread entry points (src/paths.ts)', () => {
  it('the package root is the one with twstorm\'s package.json', () => {
    const pkg = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { name: string };
    assert.equal(pkg.name, 'twstorm');
    assert.equal(PACKAGE_ROOT, fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, ''));
  });

  it('each entry resolves to a built file here, and the bundle script builds it too', () => {
    const bundler = readFileSync(packageFile('scripts/bundle.mjs'), 'utf8');
    for (const entry of ENTRY_POINTS) {
      assert.ok(existsSync(entryFile(entry)), `${entry}: ${entryFile(entry)} missing`);
      assert.ok(bundler.includes(`'src/${entry.replace(/\.js$/, '.ts')}'`), `${entry} is not an entry of scripts/bundle.mjs`);
      const bundled = packageFile(`dist/bundle/${entry.slice(entry.lastIndexOf('/') + 1)}`);
      assert.ok(existsSync(bundled), `${bundled} missing: npm run build makes it`);
      // A thread is one whole file: it shares no module with another isolate, and resolving
      // chunks would cost each start (scripts/bundle.mjs).
      if (!PROCESS_ENTRIES.has(entry)) {
        const text = readFileSync(bundled, 'utf8');
        assert.doesNotMatch(text, /from "\.\/chunk-/, `${entry} imports shared chunks`);
        // Threads hand histograms over as slot counts (metrics/histograms.ts): the compressor
        // results use (pako, ~190 KB with the package's WASM loader) stays out of every thread.
        assert.doesNotMatch(text, /node_modules\/pako\//, `${entry} bundles pako`);
      }
    }
  });

  it('the bundle carries zod in English only, with its English messages', () => {
    // scripts/bundle.mjs drops the index of zod's other locales (368 KB parsed at every start).
    const dir = packageFile('dist/bundle');
    const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
    const all = files.map((f) => readFileSync(`${dir}/${f}`, 'utf8')).join('\n');
    // German's "expected …, received …" (esbuild writes the ü of "Ungültige" as an escape).
    assert.doesNotMatch(all, /erwartet \$\{expected\}, erhalten/, 'zod\'s German messages are bundled');
    assert.match(all, /Invalid input: expected/, 'zod\'s English messages are missing');
  });

  it('the bundle imports no package but koffi at run time: yargs is inside it', () => {
    // Resolving, reading and compiling yargs' ~20 files from node_modules cost each CLI process
    // ~45 ms of CPU (scripts/bundle.mjs).
    const dir = packageFile('dist/bundle');
    const imported = new Set<string>();
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.js'))) {
      for (const m of readFileSync(`${dir}/${f}`, 'utf8').matchAll(/^(?:import|export) [^;]*?\bfrom ?"([^"]+)";|^import ?"([^"]+)";|(?:\bimport|\brequire|__require)\("([^"\n]+)"\)/gm)) {
        const specifier = (m[1] ?? m[2] ?? m[3])!;
        if (!specifier.startsWith('.') && !specifier.startsWith('node:') && !builtinModules.includes(specifier)) imported.add(specifier);
      }
    }
    imported.delete('koffi');
    assert.deepEqual([...imported].sort(), []);
  });
});
