/**
 * Runs a KernelSampler in a worker thread of this process (same network namespace, its own
 * event loop), so the census never stalls a load driver that runs on this thread (undici, the
 * `net` fallback). When the load runs on engine threads and this thread only waits,
 * startSamplerHere() runs it on this thread instead, behind the same handle: a worker is an
 * isolate of its own, ~55 ms of CPU to start, load the FFI for sock_diag, sample and stop,
 * measured, in every run.
 */

import { Worker } from 'node:worker_threads';
import { KernelSampler, type KernelSample } from './sampler.js';
import type { SamplerWorkerData, SamplerWorkerMessage, SamplerWorkerCommand } from './sampler-worker.js';
import { entryUrl } from '../paths.js';

export interface SamplerWorkerOptions {
  sampleMs: number;
  censusMs: number;
  serverPorts: number[];
  /**
   * Origin of the run's clock in `performance.timeOrigin + performance.now()` units; sample
   * `t` is ms since it. Default: the moment startSamplerWorker is called.
   */
  epochMs?: number;
  root?: string;
  /** Receives each sample as the worker takes it. */
  onSample?: (sample: KernelSample) => void;
  /** Receives sampling failures (as messages; errors do not cross threads intact). */
  onError?: (message: string) => void;
}

export interface SamplerWorkerHandle {
  /** Settles once the worker has taken its first (baseline) sample. */
  ready: Promise<void>;
  /** Final sample with census, then every sample in order; the worker exits. */
  stop(): Promise<KernelSample[]>;
}

/** ms on the time base shared by all threads of the process. */
export function sharedNowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The sampler on this thread's event loop: for a run whose load is not on this thread. */
export function startSamplerHere(options: SamplerWorkerOptions): SamplerWorkerHandle {
  const epochMs = options.epochMs ?? sharedNowMs();
  const sampler = new KernelSampler({
    sampleMs: options.sampleMs,
    censusMs: options.censusMs,
    serverPorts: options.serverPorts,
    clock: () => sharedNowMs() - epochMs,
    ...(options.root !== undefined ? { root: options.root } : {}),
    ...(options.onSample !== undefined ? { onSample: options.onSample } : {}),
    // The worker reports failures as messages; so does this, for one onError either way.
    onError: (err) => options.onError?.(err instanceof Error ? err.message : String(err)),
  });
  sampler.start();
  return { ready: sampler.ready, stop: () => sampler.stop() };
}

export function startSamplerWorker(options: SamplerWorkerOptions): SamplerWorkerHandle {
  const data: SamplerWorkerData = {
    kind: 'twstorm-kernel-sampler',
    sampleMs: options.sampleMs,
    censusMs: options.censusMs,
    serverPorts: [...options.serverPorts],
    epochMs: options.epochMs ?? sharedNowMs(),
    live: options.onSample !== undefined,
    ...(options.root !== undefined ? { root: options.root } : {}),
  };
  const worker = new Worker(entryUrl('observe/sampler-worker.js'), { workerData: data });
  // Like the in-process sampler's timer: an observer must not keep the process alive.
  worker.unref();

  let resolveReady: () => void = () => undefined;
  let rejectReady: (err: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => undefined); // a caller who never awaits it must not see an unhandled rejection

  let settleStop: ((samples: KernelSample[]) => void) | undefined;
  let failStop: ((err: Error) => void) | undefined;
  let stopped: KernelSample[] | undefined;
  let failure: Error | undefined;

  worker.on('message', (msg: SamplerWorkerMessage) => {
    switch (msg.type) {
      case 'started':
        resolveReady();
        break;
      case 'sample':
        options.onSample?.(msg.sample);
        break;
      case 'error':
        options.onError?.(msg.message);
        break;
      case 'stopped':
        stopped = msg.samples;
        settleStop?.(msg.samples);
        break;
    }
  });
  const fail = (err: Error): void => {
    failure ??= err;
    rejectReady(err);
    failStop?.(err);
  };
  worker.on('error', fail);
  worker.on('exit', (code) => {
    if (stopped === undefined) fail(new Error(`sampler worker exited (code ${code}) before returning its samples`));
  });

  let stopping: Promise<KernelSample[]> | undefined;
  return {
    ready,
    stop(): Promise<KernelSample[]> {
      stopping ??= new Promise<KernelSample[]>((resolve, reject) => {
        if (stopped !== undefined) return resolve(stopped);
        if (failure !== undefined) return reject(failure);
        settleStop = resolve;
        failStop = reject;
        // Awaiting an unref'd worker would let the process exit before the reply arrives.
        worker.ref();
        const cmd: SamplerWorkerCommand = { type: 'stop' };
        worker.postMessage(cmd);
      }).finally(() => worker.unref());
      return stopping;
    },
  };
}
