// A run's file names are unique in --out even when two runs start in the same second: the name
// carries the time to the second, and two `twstorm run`s started together with the same --out
// both printed `result: D/own-ok-20261204T165342Z.json`; one file survived, and the server log,
// then opened for appending, held both servers' output interleaved.
import { open, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** The files named after a result: its JSON, the HTML report beside it, the user's server log. */
export function companions(resultPath: string): string[] {
  const base = resultPath.replace(/\.json$/, '');
  return [`${base}.html`, `${base}.server.log`];
}

/** How many names are tried before giving up (a directory full of one second's runs). */
const TRIES = 100;

/**
 * Takes the first free name of `name(1)` (the scheme users see), `name(2)`, `name(3)` …: its
 * `.json` is created empty and exclusively (O_EXCL: of two runs only one can create it, on any
 * local file system) and none of its companions may exist. The run process later replaces the
 * empty file with the result (rename(2) over it); `releaseResultPath` removes it when no result
 * came. Returns the absolute path of the `.json`.
 */
export function reserveResultPath(dir: string, name: (n: number) => string): Promise<string> {
  // A report or log of an earlier run under a name (its JSON since removed): not ours to overwrite.
  const companionsFree = async (file: string): Promise<boolean> =>
    !(await Promise.all(companions(file).map((c) => stat(c).then(() => true, () => false)))).includes(true);
  return reserveFilePath(dir, name, '.json', companionsFree);
}

/**
 * The same for a file of its own (a set's comparison report, `ext` ".html"): `${name(n)}${ext}`
 * created empty and exclusively, the first free n whose file `free` also accepts (a
 * reservation it refuses is released). Two matrix runs started in the same second with one
 * --out wrote one comparison, the second over the first.
 */
export async function reserveFilePath(
  dir: string,
  name: (n: number) => string,
  ext: string,
  free: (file: string) => Promise<boolean> = async () => true,
): Promise<string> {
  for (let n = 1; n <= TRIES; n += 1) {
    const file = path.resolve(dir, `${name(n)}${ext}`);
    try {
      await (await open(file, 'wx')).close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    if (await free(file)) return file;
    await releaseResultPath(file);
  }
  throw Object.assign(new Error(`${TRIES} files named ${name(1)}[-n]${ext} are there already`), { code: 'EEXIST' });
}

/** Removes a reservation that no result replaced (the file is still empty); a result is left alone. */
export async function releaseResultPath(file: string): Promise<void> {
  const info = await stat(file).catch(() => null);
  if (info !== null && info.size === 0) await rm(file, { force: true });
}

/** Whether the run process wrote its result there (not only the empty reservation). */
export async function hasResult(file: string): Promise<boolean> {
  const info = await stat(file).catch(() => null);
  return info !== null && info.size > 0;
}
