// The user's server's log file (`<result>.server.log`): created, never appended to, and filled
// from the server's stdout and stderr pipes through a CappedLog (capped-log.ts), so a noisy
// server cannot fill the disk the result is written to.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { CappedLog } from './capped-log.js';
import { UserServerError } from './process.js';

/**
 * The server's log file, filled from its pipes through a CappedLog. Written synchronously: the
 * head is on disk as it comes (a run process that is killed keeps it), and the order of what
 * both pipes bring is the order it is read in. A write that fails (a full disk) ends the writing,
 * not the run: the result matters more than the log.
 */
export function keepServerLog(path: string): { read(streams: Readable[]): void; closed(timeoutMs: number): Promise<void>; end(): void; droppedBytes(): number } {
  // Created, never appended to: a log already there is another run's (results are named apart,
  // run/result-name.ts), and appending interleaved two servers' output in one file.
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new UserServerError(
      code,
      code === 'EEXIST'
        ? `server.command: its log ${path} exists already (another run's, or one left behind): the run will not write over it; remove it or choose another --out`
        : `server.command: cannot create its log ${path}: ${(err as Error).message}; check that --out is writable`,
    );
  }
  let broken = false;
  const capped = new CappedLog({
    write(data) {
      for (let at = 0; !broken && at < data.length; ) {
        try {
          at += writeSync(fd, data, at);
        } catch {
          broken = true;
        }
      }
    },
  });
  let dropped = 0;
  let open = true;
  const end = (): void => {
    if (!open) return;
    open = false;
    dropped = capped.end().droppedBytes;
    closeSync(fd);
  };
  let done: Promise<void> = Promise.resolve();
  let streams: Readable[] = [];
  return {
    read(from) {
      streams = from;
      done = Promise.all(
        from.map((stream) =>
          new Promise<void>((resolve) => {
            stream.on('data', (chunk: Buffer) => capped.write(chunk));
            stream.once('close', resolve);
          }),
        ),
      ).then(end);
    },
    async closed(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      // A writer that outlived its namespace cannot be: bounded all the same.
      for (const stream of streams) stream.destroy();
      end();
    },
    end,
    droppedBytes: () => dropped,
  };
}
