// `twstorm serve` as a child of a test case script, and the output of any child collected as it
// comes: shared by the case scripts that run shards against one server inside their namespace.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Collected {
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
}

/** stdout and stderr so far, and the exit code once the child has closed its pipes. */
export function collect(child: ChildProcess): Collected {
  let o = '';
  let e = '';
  child.stdout!.on('data', (d: Buffer) => (o += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (e += d.toString()));
  return { out: () => o, err: () => e, exit: new Promise((r) => child.once('close', r)) };
}

/** Starts `twstorm serve` with `args` (TCP or HTTP); ready when its banner names the port it listens on. */
export async function startServe(bin: string, args: string[]): Promise<{ server: ChildProcess; served: Collected; port: number }> {
  const server = spawn(process.execPath, [bin, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const served = collect(server);
  const port = await new Promise<number>((resolve, reject) => {
    server.stdout!.on('data', () => {
      // The echo server's banner, or the HTTP server's URL (--protocol http).
      const m = /(?:echo server on |http:\/\/)127\.0\.0\.1:(\d+)/.exec(served.out());
      if (m) resolve(Number(m[1]));
    });
    void served.exit.then(() => reject(new Error(`twstorm serve exited before listening: ${served.err()}`)));
  });
  return { server, served, port };
}
