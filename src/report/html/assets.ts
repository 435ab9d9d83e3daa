// uPlot's JS and CSS, read from the installed npm package at render time and inlined, so the
// report opens offline (no CDN) and always matches the uPlot version in package-lock.json.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { ExpectedError } from '../../util/expected-error.js';

export interface ChartAssets {
  js: string;
  css: string;
}

let cached: Promise<ChartAssets> | undefined;

export function loadChartAssets(): Promise<ChartAssets> {
  cached ??= readAssets().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function readAssets(): Promise<ChartAssets> {
  const require = createRequire(import.meta.url);
  let js: string;
  let cssPath: string;
  try {
    // The minified IIFE build defines a global `uPlot` without a module loader.
    const jsPath = require.resolve('uplot/dist/uPlot.iife.min.js');
    cssPath = require.resolve('uplot/dist/uPlot.min.css');
    js = await readFile(jsPath, 'utf8');
  } catch (err) {
    throw new ExpectedError(
      `cannot read uPlot from node_modules (${err instanceof Error ? err.message : String(err)}): ` +
        'the HTML report inlines it; run "npm ci" in the twstorm directory',
    );
  }
  return { js, css: await readFile(cssPath, 'utf8') };
}
