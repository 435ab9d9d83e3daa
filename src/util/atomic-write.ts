// Write then rename: a reader (a browser refreshing a report, a CI step picking up a result)
// or a Ctrl-C mid-write never leaves half a file under the real name. rename(2) within one
// directory is atomic.
import { rename, unlink, writeFile } from 'node:fs/promises';

/** A failed write (a full disk) removes its `.partial` file: only whole files are left behind. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const partial = `${path}.partial`;
  try {
    await writeFile(partial, data);
    await rename(partial, path);
  } catch (err) {
    await unlink(partial).catch(() => undefined);
    throw err;
  }
}
