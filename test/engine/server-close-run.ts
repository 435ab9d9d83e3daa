// Run inside a fresh namespace by server-close.test.ts: the bundled echo server closing first
// (FIN, no delay) — the engine's (`native`, the default) or Node's (`net`, the fallback) —
// served to two hand-made `net` clients that keep their side open so the
// server's close can be watched. One sends its 64-byte request and nothing more; the other sends
// 10 bytes more than its request, then 5 late bytes once the response is in. Prints, per client,
// what the server holds and what the kernel shows for the server's port.
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEngineEchoServer } from '../../src/engine/server-engine.js';
import { createNetEchoServer } from '../../src/server/echo-server.js';
import { echoConfig } from '../helpers/echo-config.js';
import { requireFreshNamespace } from '../helpers/fresh-namespace.js';

requireFreshNamespace('server-close-run.js');

const PORT = 7000;
/** The request's size (argv[3], default 64): a whole multiple of the ring server's 1 KiB recv is where one recv can end exactly at the request's end. */
const REQUEST = Number(process.argv[3] ?? 64);
execFileSync('ip', ['link', 'set', 'lo', 'up']);
const config = echoConfig({ port: PORT, requestBytes: REQUEST, close: { first: 'server', mode: 'fin', delayMs: 0, lingerSeconds: 0 } });
const server = process.argv[2] === 'net' ? createNetEchoServer(config) : createEngineEchoServer(config, 1);
await server.listen();

/** The server side's TCP states on PORT toward one client port, from ss (iproute2): an independent view of the kernel. */
const statesOf = (clientPort: number): string[] =>
  execFileSync('ss', ['-Htan', `( sport = :${PORT} and dport = :${clientPort} )`], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('LISTEN'))
    .map((l) => l.trim().split(/\s+/)[0]!);

/** Polls until `done` holds or 5 s pass (a busy machine delays the threads, never the outcome). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !done(); i++) await sleep(20);
}

async function client(extra: number, late: number) {
  const socket = net.connect({ host: '127.0.0.1', port: PORT, allowHalfOpen: true });
  let received = 0;
  let ended = false;
  let error: string | null = null;
  socket.on('data', (d: Buffer) => (received += d.length));
  socket.on('end', () => (ended = true));
  socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
  await new Promise((resolve) => socket.once('connect', resolve));
  const clientPort = socket.localPort!;
  const serverStates = (): string[] => statesOf(clientPort);
  socket.write(Buffer.alloc(REQUEST + extra, 'q'));
  await until(() => ended);
  // The client ACKs the server's FIN after its delayed-ACK timer (up to 40 ms): FIN_WAIT1 until then.
  await until(() => serverStates().length > 0 && !serverStates().includes('FIN-WAIT-1'));
  const afterResponse = { received, ended, open: server.stats().open, states: serverStates() };
  if (late > 0) socket.write(Buffer.alloc(late, 'l'));
  await sleep(100);
  socket.end();
  await new Promise((resolve) => socket.once('close', resolve));
  await until(() => server.stats().open === 0 && serverStates().every((s) => s === 'TIME-WAIT'));
  return { afterResponse, error, afterClose: { open: server.stats().open, states: serverStates() } };
}

const exact = await client(0, 0);
const more = await client(REQUEST === 64 ? 10 : 476, 5);
const stats = server.stats();
await server.close();
process.stdout.write(`${JSON.stringify({ exact, more, stats })}\n`);
