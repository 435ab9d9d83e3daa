// Messages between the run and the server child process (Node IPC channel).
import type { EchoServerConfig, ServerStats } from './echo-server.js';
import type { HttpServerConfig } from './http-server.js';
import type { RestartOutcome } from './restart.js';

/** Which bundled server the child runs; `maxOpenFiles` is the child's RLIMIT_NOFILE (null: inherited). */
export type ServerConfig = ((EchoServerConfig & { kind: 'echo' }) | (HttpServerConfig & { kind: 'http' })) & { maxOpenFiles?: number | null };

export type ToServer =
  | { type: 'start'; config: ServerConfig }
  | { type: 'stats' }
  /** `epochMs` is the run clock's origin (performance.timeOrigin + now() units). */
  | { type: 'restart'; epochMs: number; timeoutMs: number; retryEveryMs: number }
  /** Ctrl-C during the restart phase: stop trying, answer with the attempts made so far. */
  | { type: 'cancel-restart' }
  | { type: 'stop' };

export type FromServer =
  | { type: 'listening'; ports: number[] }
  | { type: 'stats'; stats: ServerStats }
  | { type: 'restarted'; outcome: RestartOutcome }
  | { type: 'stopped'; stats: ServerStats }
  | { type: 'error'; code: string; message: string };
