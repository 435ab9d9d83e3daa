// Write then rename: a reader (a browser refreshing a report, a CI step picking up a result)
// or a Ctrl-C mid-write never leaves half a file under the real name. rename(2) within one
// directory is atomic.
import { rename, writeFile } from 'node:fs/promises';

export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const partial = `${path}.partial`;
  await writeFile(partial, data);
  await rename(partial, path);
}
