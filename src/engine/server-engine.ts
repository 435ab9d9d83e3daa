// The bundled echo server on the engine: the server child's main thread makes the listening
// sockets (natively, with exactly the SO_REUSEADDR / SO_REUSEPORT the scenario asks for, so a
// restart over TIME_WAIT fails or succeeds as the kernel decides) and shares them with engine
// threads that accept and serve (server-worker.ts). Same BundledServer contract as the `net`
// echo server: listen, stopListening (restart), stats at any time, close.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { createListenerFd, closeFd } from '../sockets/index.js';
import { errnoName } from '../sockets/errors.js';
import { loadRawSockets } from '../sockets/raw.js';
import type { BundledServer, ServerStats } from '../server/stats.js';
// Type only: the bundled server's config, which echo-server.ts hands to this engine.
import type { EchoServerConfig } from '../server/echo-server.js';
import {
  SRV_ACCEPTED,
  SRV_IO,
  SRV_CLOSED_FIN,
  SRV_CLOSED_RST,
  SRV_CONTROL_INTS,
  SRV_CTL_ACK,
  SRV_CTL_GEN,
  SRV_CTL_LISTENERS,
  SRV_EMPTY_ACCEPTS,
  SRV_CTL_STOP,
  SRV_ERRNO_SLOTS,
  SRV_MAX_LISTENERS,
  SRV_OPEN,
  SRV_REPLIED,
  SRV_WIDTH,
  type ServerThreadConfig,
} from './server-config.js';
import { CloserPool } from './linger-closers.js';
import { chooseIo, ioOfThreads } from './io-choice.js';
import { entryUrl } from '../paths.js';
import { ExpectedError } from '../util/expected-error.js';

export function createEngineEchoServer(config: EchoServerConfig, threads = os.availableParallelism()): BundledServer {
  const loaded = loadRawSockets();
  if (!loaded.ok) throw new ExpectedError(`the native engine cannot run: ${loaded.reason}`);
  const control = new SharedArrayBuffer(SRV_CONTROL_INTS * 4);
  const ctl = new Int32Array(control);
  const counters = new SharedArrayBuffer(threads * SRV_WIDTH * 8);
  const counterView = new Float64Array(counters);
  const errors = new SharedArrayBuffer(SRV_ERRNO_SLOTS * 4);
  const errorView = new Int32Array(errors);
  const acceptedPerListener = new SharedArrayBuffer(SRV_MAX_LISTENERS * 4);
  const perListenerView = new Int32Array(acceptedPerListener);
  const closers = config.close.mode === 'linger' ? new CloserPool(4) : null;
  const choice = chooseIo(config.close.mode);
  /** Why each thread whose ring could not be made serves on epoll. */
  const ringFailures: (string | undefined)[] = [];
  const workers: Worker[] = [];
  const exited: Promise<void>[] = [];
  for (let t = 0; t < threads; t++) {
    const data: ServerThreadConfig = {
      thread: t,
      threads,
      reusePortListeners: config.reusePort ? config.listeners : 1,
      io: choice.io,
      layout: loaded.layout,
      requestBytes: config.requestBytes,
      responseBytes: config.responseBytes,
      close: config.close,
      idleTimeoutMs: config.idleTimeoutMs,
      control,
      counters,
      errors,
      acceptedPerListener,
      closer: closers?.queue ?? null,
    };
    const worker = new Worker(entryUrl('engine/server-worker.js'), { workerData: data });
    // A thread's only message: why its ring could not be made (it serves on epoll).
    worker.on('message', (m: { ringFailure?: string }) => {
      if (m.ringFailure !== undefined) ringFailures[t] = m.ringFailure;
    });
    workers.push(worker);
    exited.push(
      new Promise((resolve) => {
        worker.once('error', (err) => {
          process.stderr.write(`twstorm server: engine thread ${t} failed: ${err.message}\n`);
        });
        worker.once('exit', () => resolve());
      }),
    );
  }
  let listenerFds: number[] = [];
  let listenerBase = 0;
  let ports: number[] = [];

  /** Publishes the listener list and waits until every thread follows it. */
  async function publish(fds: number[]): Promise<void> {
    ctl[SRV_CTL_LISTENERS] = fds.length;
    fds.forEach((fd, i) => (ctl[SRV_CTL_LISTENERS + 1 + i] = fd));
    const want = Atomics.load(ctl, SRV_CTL_ACK) + threads;
    Atomics.add(ctl, SRV_CTL_GEN, 1);
    while (Atomics.load(ctl, SRV_CTL_ACK) < want) await new Promise((r) => setTimeout(r, 1));
  }

  return {
    async listen() {
      const opened: number[] = [];
      const got: number[] = [];
      try {
        for (let p = 0; p < config.ports; p++) {
          let port = config.port === 0 ? 0 : config.port + p;
          for (let l = 0; l < config.listeners; l++) {
            const listener = createListenerFd({ host: config.host, port, reuseAddr: config.reuseAddr, reusePort: config.reusePort, backlog: config.backlog });
            opened.push(listener.fd);
            port = listener.port;
          }
          got.push(port);
        }
      } catch (err) {
        for (const fd of opened) closeFd(fd);
        throw err;
      }
      if (opened.length > SRV_MAX_LISTENERS) throw new RangeError(`at most ${SRV_MAX_LISTENERS} listening sockets, asked for ${opened.length}`);
      // acceptedPerListener counts from this listen on (the net server does the same).
      perListenerView.fill(0);
      listenerBase = 0;
      listenerFds = opened;
      ports = got;
      await publish(listenerFds);
      return ports;
    },
    async stopListening() {
      await publish([]);
      for (const fd of listenerFds) closeFd(fd);
      listenerFds = [];
    },
    stats(): ServerStats {
      /** Once every thread has started (SRV_IO set): what they serve through. */
      const serverIo = (): Pick<ServerStats, 'io' | 'ioFallback'> => {
        const seen = Array.from({ length: threads }, (_, t) => counterView[t * SRV_WIDTH + SRV_IO]!);
        if (seen.some((v) => v === 0)) return {};
        const failure = (t: number) => (ringFailures[t] === undefined ? {} : { ioFallback: ringFailures[t] });
        return ioOfThreads(choice, seen.map((v, t) => ({ thread: t, io: v === 1 ? ('io_uring' as const) : ('epoll' as const), ...failure(t) })));
      };
      const sum = (k: number): number => {
        let s = 0;
        for (let t = 0; t < threads; t++) s += counterView[t * SRV_WIDTH + k]!;
        return s;
      };
      const errorCounts: Record<string, number> = {};
      for (let e = 0; e < SRV_ERRNO_SLOTS; e++) {
        const n = Atomics.load(errorView, e);
        if (n > 0) errorCounts[e === 0 ? 'UNKNOWN' : errnoName(e)] = n;
      }
      const linger = closers?.liveStats();
      return {
        accepted: sum(SRV_ACCEPTED),
        replied: sum(SRV_REPLIED),
        closedFin: sum(SRV_CLOSED_FIN),
        closedRst: sum(SRV_CLOSED_RST),
        open: sum(SRV_OPEN),
        errors: errorCounts,
        emptyAccepts: sum(SRV_EMPTY_ACCEPTS),
        ...serverIo(),
        acceptedPerListener: Array.from(perListenerView.subarray(listenerBase, listenerBase + Math.max(listenerFds.length, config.ports * config.listeners))),
        ...(linger && linger.closes > 0 ? { linger } : {}),
      };
    },
    async close() {
      Atomics.store(ctl, SRV_CTL_STOP, 1);
      await Promise.all(exited);
      for (const fd of listenerFds) closeFd(fd);
      listenerFds = [];
      await closers?.stop();
    },
  };
}
