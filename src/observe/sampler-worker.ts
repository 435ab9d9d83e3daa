/**
 * Worker-thread entry that runs a KernelSampler off the main thread. Parsing /proc/net/tcp
 * at 30,000 sockets takes tens of ms of synchronous work; on the load driver's thread that
 * would delay connects and inflate measured latency. A worker shares the process, hence
 * its network namespace, so it reads the same /proc/net as the driver.
 *
 * Loaded only through startSamplerWorker() (sampler-thread.ts); importing it elsewhere does
 * nothing.
 */

import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { KernelSampler, type KernelSample } from './sampler.js';

/** workerData sent by startSamplerWorker. */
export interface SamplerWorkerData {
  kind: 'twstorm-kernel-sampler';
  sampleMs: number;
  censusMs: number;
  serverPorts: number[];
  /** Origin of the shared clock, as performance.timeOrigin + performance.now() units. */
  epochMs: number;
  root?: string;
  live: boolean;
}

/** Messages from the worker to its parent. */
export type SamplerWorkerMessage =
  | { type: 'started' }
  | { type: 'sample'; sample: KernelSample }
  | { type: 'error'; message: string }
  | { type: 'stopped'; samples: KernelSample[] };

/** Messages from the parent to the worker. */
export type SamplerWorkerCommand = { type: 'stop' };

function isSamplerWorkerData(data: unknown): data is SamplerWorkerData {
  return typeof data === 'object' && data !== null && (data as { kind?: unknown }).kind === 'twstorm-kernel-sampler';
}

function runWorker(port: NonNullable<typeof parentPort>, data: SamplerWorkerData): void {
  const post = (msg: SamplerWorkerMessage): void => port.postMessage(msg);
  // performance.now() counts from each thread's own timeOrigin; adding timeOrigin puts both
  // threads on the wall-anchored time base the parent measured epochMs on.
  const clock = (): number => performance.timeOrigin + performance.now() - data.epochMs;
  const sampler = new KernelSampler({
    sampleMs: data.sampleMs,
    censusMs: data.censusMs,
    serverPorts: data.serverPorts,
    clock,
    ...(data.root !== undefined ? { root: data.root } : {}),
    ...(data.live ? { onSample: (sample: KernelSample) => post({ type: 'sample', sample }) } : {}),
    onError: (err) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
  });
  port.on('message', (cmd: SamplerWorkerCommand) => {
    if (cmd.type !== 'stop') return;
    void sampler.stop().then((samples) => {
      post({ type: 'stopped', samples });
      // Closing the port lets the worker end: the sampler's timer is unref'd.
      port.close();
    });
  });
  sampler.start();
  // The first sample is the baseline; tell the parent once it exists so load starts after it.
  void sampler.ready.then(() => post({ type: 'started' }));
}

if (!isMainThread && parentPort !== null && isSamplerWorkerData(workerData)) {
  runWorker(parentPort, workerData);
}
