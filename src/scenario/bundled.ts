// The scenarios shipped in scenarios/, found relative to the installed package (dist/src/scenario → package root).
import { readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { packageFile } from '../paths.js';

export const BUNDLED_DIR = packageFile('scenarios/');

export async function bundledScenarioFiles(): Promise<string[]> {
  const names = await readdir(BUNDLED_DIR);
  return names
    .filter((n) => /\.(ya?ml|json)$/.test(n))
    .sort()
    .map((n) => path.join(BUNDLED_DIR, n));
}

/** A path as given, or the name of a bundled scenario ("port-exhaustion"). */
export function resolveScenarioPath(arg: string): string {
  if (existsSync(arg)) return arg;
  if (!arg.includes('/') && !/\.(ya?ml|json)$/.test(arg)) {
    for (const ext of ['.yaml', '.yml', '.json']) {
      const candidate = path.join(BUNDLED_DIR, `${arg}${ext}`);
      if (existsSync(candidate)) return candidate;
    }
  }
  return arg;
}
