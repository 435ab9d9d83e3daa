// Every in-process unit test (test/**/*.spec.ts: no child process, namespace, server or browser)
// in one process. `node --test` starts a process per file, and booting Node and loading the
// modules cost ~0.3 s of CPU each, while most of these files run in milliseconds: 66 processes
// were ~20 CPU-s of the suite. Tests that start processes or namespaces stay *.test.ts, each in
// its own process, so one that hangs or leaks cannot take the others with it.
// One spec file still runs alone: `node --test dist/test/<folder>/<file>.spec.js`.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const specs = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.spec.js')).sort();
if (specs.length === 0) throw new Error(`no *.spec.js under ${root}: run npm run build first`);
// Imported one after another, so each file's suites register in a stable order.
for (const f of specs) await import(pathToFileURL(path.join(root, f)).href);
