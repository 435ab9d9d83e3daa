// What the run's environment was, recorded in every result so two runs can be compared
// knowing whether they ran under the same kernel, isolation and settings.
import os from 'node:os';
import type { Isolation } from './namespace.js';
import { kernelHz } from './timer-hz.js';

export interface EnvironmentInfo {
  isolation: Isolation;
  /** How the namespace was made, or why the run fell back to the host. */
  how: string;
  /** A warning the user must see (host fallback, settings not applied). */
  notice: string | null;
  kernel: string;
  node: string;
  platform: string;
  arch: string;
  cpus: number;
  /**
   * The kernel's CONFIG_HZ (timer-hz.ts), which sets how late its timer wheel may end a TIME_WAIT
   * (tcp-facts.ts timerLateSeconds); null: not readable here. Absent in results before it was recorded.
   */
  timerHz?: number | null;
  /** Values read back from the kernel during the run (null: not present on this kernel). */
  sysctls: Record<string, string | null>;
  /** What the scenario asked for, defaults included. */
  sysctlsRequested: Record<string, string>;
  /** Which engine made the connections: "native" (engine threads over raw sockets, src/engine) or "net" (Node's net). */
  engine?: 'native' | 'net';
  /** Engine threads that made the load. */
  threads?: number;
  /** Why the native engine did not run, when it did not. */
  engineFallback?: string;
  /** How the native engine's threads did their I/O: "io_uring" (one batch per loop turn) or "epoll" (a system call per step). */
  engineIo?: 'io_uring' | 'epoll';
  /** Why the native engine ran on epoll, when it did. */
  engineIoFallback?: string;
}

export function hostFacts(): Pick<EnvironmentInfo, 'kernel' | 'node' | 'platform' | 'arch' | 'cpus' | 'timerHz'> {
  return {
    kernel: os.release(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: os.availableParallelism(),
    timerHz: kernelHz(),
  };
}
