// Run inside a fresh namespace by connector.test.ts: the undici driver (`client: reset`)
// against two hand-made servers on loopback — one that answers every request properly, one
// that resets every connection (SO_LINGER 0) as soon as the request is in — and what the
// driver counted for each. Prints one JSON line.
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { runHttpLoad } from '../../src/driver/http-load.js';
import type { HttpLoadPlan } from '../../src/driver/http-plan.js';
import { LoadStats } from '../../src/metrics/load-stats.js';
import { runClock } from '../../src/util/clock.js';
import { requireFreshNamespace } from '../helpers/fresh-namespace.js';

requireFreshNamespace('connector-run.js');

execFileSync('ip', ['link', 'set', 'lo', 'up']);
const REQUESTS = 40;
const RESPONSE = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';

async function drive(port: number): Promise<Record<string, unknown>> {
  const plan: HttpLoadPlan = {
    host: '127.0.0.1',
    port,
    client: 'reset',
    poolConnections: 4,
    count: REQUESTS,
    durationMs: 20_000,
    concurrency: 4,
    rate: null,
    maxInFlight: 4,
    connectTimeoutMs: 5_000,
    idleTimeoutMs: 5_000,
    interruptGraceMs: 100,
    gracefulStopMs: 30_000,
  };
  const stats = new LoadStats(100);
  await runHttpLoad(plan, stats, runClock(performance.timeOrigin + performance.now()), new AbortController().signal);
  return {
    established: stats.established,
    completed: stats.completed,
    requests: stats.requests,
    errors: Object.fromEntries([...stats.errors].map(([code, count]) => [code, count.total])),
    bytesReceived: stats.bytesReceived,
    bytesSent: stats.bytesSent,
    ports: stats.ports.summary(),
  };
}

function serve(port: number, onRequest: (socket: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => onRequest(socket));
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

const answering = await serve(7001, (socket) => socket.write(RESPONSE));
const resetting = await serve(7002, (socket) => socket.resetAndDestroy());
const answered = await drive(7001);
const reset = await drive(7002);
answering.close();
resetting.close();
process.stdout.write(`${JSON.stringify({ answered, reset })}\n`);
