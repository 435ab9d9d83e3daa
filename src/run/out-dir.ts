// `--out` is made ready, and proven writable, before any traffic: a run that measures for a
// minute and then cannot save its result has wasted the minute, and on a full disk left
// `.partial` files behind. The directory is created one level at a time rather than with
// mkdir({ recursive: true }), which on Node 20 loops forever (ignoring signals) under /proc.
import { lstat, mkdir, open, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ExpectedError } from '../util/expected-error.js';

/** `--out` cannot be used; the message names the path, the reason and what to do. */
export class OutDirError extends ExpectedError {}

/** The longest suffix a result name may take when runs share a second ("-100": result-name.ts's last try). */
const PROBE_SUFFIX_BYTES = 4;
/** "-" and 3 base-36 characters from this process's id, the k-th next one on a clash. */
const probeSuffix = (k: number): string => `-${((process.pid + k) % 46_656).toString(36).padStart(3, '0')}`;

/** How many bytes the probe writes: a small result's worth, so a nearly full disk shows now. */
const PROBE_BYTES = 64 * 1024;

const REASONS: Record<string, string> = {
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'a file name is longer than the file system allows (255 bytes)',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a file is in the way',
  EEXIST: 'a file is in the way',
  EISDIR: 'a directory is in the way',
  ENOENT: 'it cannot be created there',
  EIO: 'input/output error',
};

/** "cannot write FILE: CODE (reason); FIX": the one line a command says when an output file fails. */
export function cannotWrite(file: string, err: unknown, fix: string): string {
  return `cannot write ${file}: ${describeWriteError(err)}; ${fix}`;
}

/** "ENOSPC (no space left on the device)" for an fs error; the message for anything else. */
export function describeWriteError(err: unknown, file?: string): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = file ? `${file}: ` : '';
  // Node's own message repeats the code ("EXDEV: cross-device link not permitted, rename …"): once is enough.
  if (code) return `${where}${code} (${REASONS[code] ?? (err as Error).message.replace(new RegExp(`^${code}: `), '')})`;
  return `${where}${err instanceof Error ? err.message : String(err)}`;
}

export type DirectoryProblem = 'look' | 'create' | 'file-in-way';

/**
 * Creates `dir` and each missing parent, one level at a time from the root down (see the top:
 * never mkdir's recursive mode). `fail` says why a level cannot be had; it must throw. Returns
 * the levels this call created, parents first. `report -o` and `merge -o` make theirs here too.
 */
export async function makeDirectories(dir: string, fail: (problem: DirectoryProblem, level: string, err: unknown) => never): Promise<string[]> {
  const levels: string[] = [];
  const created: string[] = [];
  for (let p = path.resolve(dir); ; p = path.dirname(p)) {
    levels.unshift(p);
    if (path.dirname(p) === p) break;
  }
  for (const level of levels) {
    const info = await stat(level).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : fail('look', level, err)));
    if (info === null) {
      await mkdir(level).catch((err: NodeJS.ErrnoException) => (err.code === 'EEXIST' ? undefined : fail('create', level, err)));
      const made = await lstat(level).catch((err: unknown) => fail('create', level, err));
      if (!made.isDirectory()) fail('create', level, Object.assign(new Error(''), { code: 'ENOTDIR' }));
      created.push(level);
    } else if (!info.isDirectory()) {
      fail('file-in-way', level, Object.assign(new Error(`${level} is a file`), { code: 'EEXIST' }));
    }
  }
  return created;
}

/** For a command that writes one file: the file system's own error, so cannotWrite() words it. */
export const rethrow = (_problem: DirectoryProblem, _level: string, err: unknown): never => {
  throw err;
};

/** Makes the missing directories above `file` (report -o, merge -o, compare --junit); throws the file system's error. */
export async function makeParentDirectories(file: string): Promise<void> {
  await makeDirectories(path.dirname(path.resolve(file)), rethrow);
}

/** Whether an output path names a directory to write in: an existing one, or a path ending in "/". */
export async function namesDirectory(out: string): Promise<boolean> {
  return out.endsWith('/') || out.endsWith(path.sep) || (await stat(out).then((s) => s.isDirectory(), () => false));
}

/**
 * Creates `dir` (and its parents) and writes then removes a probe under each of `fileNames` —
 * the longest names the run will write, `.partial` suffix included — so a name too long for the
 * file system, a read-only or full disk, or a file where a directory should be is found now.
 * Returns the absolute directory and the levels of it this call created, parents first.
 */
export async function prepareOutDir(dir: string, fileNames: string[]): Promise<{ dir: string; created: string[] }> {
  const absolute = path.resolve(dir);
  const fail = (what: string, err: unknown): never => {
    throw new OutDirError(`--out ${dir}: ${what}: ${describeWriteError(err)}; choose another directory with --out`);
  };
  const created = await makeDirectories(absolute, (problem, level, err) => {
    if (problem === 'file-in-way') {
      throw new OutDirError(`--out ${dir}: ${level} is a file, not a directory (a file is in the way); remove it or choose another directory with --out`);
    }
    return fail(`cannot ${problem === 'look' ? 'look at' : 'create'} ${level}`, err);
  });
  const block = Buffer.alloc(PROBE_BYTES, 0x20);
  for (const name of fileNames) {
    let probe = '';
    let handle;
    try {
      // Each probe is this process's own and as long as the name with the longest suffix a
      // same-second run may add ("-100", result-name.ts): two runs started together in one --out
      // probed one name, and the second was told it could not write there (EEXIST).
      for (let k = 0; handle === undefined; k++) {
        probe = path.join(absolute, `${name}${probeSuffix(k)}`);
        handle = await open(probe, 'wx').catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'EEXIST' && k < 50) return undefined;
          throw err;
        });
      }
      await handle.write(block);
      await handle.sync();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENAMETOOLONG') {
        throw new OutDirError(
          `--out ${dir}: the result file name would be up to ${Buffer.byteLength(name) + PROBE_SUFFIX_BYTES} bytes, more than the file system allows (255): give the scenario a shorter name`,
        );
      }
      fail('cannot write there', err);
    } finally {
      // Only a probe this call created is removed, never a file that was there before.
      if (handle) {
        await handle.close().catch(() => undefined);
        await unlink(probe).catch(() => undefined);
      }
    }
  }
  return { dir: absolute, created };
}

/**
 * Removes the directories prepareOutDir created, deepest first, while they are empty: a run
 * interrupted before it wrote anything leaves no empty --out behind. A directory that holds
 * anything (a file written since, by twstorm or not) stays, and so do its parents.
 */
export async function removeEmptyCreated(created: string[]): Promise<void> {
  for (const level of [...created].reverse()) {
    try {
      await rmdir(level);
    } catch {
      return;
    }
  }
}
