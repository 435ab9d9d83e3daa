// Messages between the run and the server child process (Node IPC channel).
import type { EchoServerConfig, EchoServerStats } from './echo-server.js';

export type ToServer = { type: 'start'; config: EchoServerConfig } | { type: 'stats' } | { type: 'stop' };

export type FromServer =
  | { type: 'listening'; port: number }
  | { type: 'stats'; stats: EchoServerStats }
  | { type: 'stopped'; stats: EchoServerStats }
  | { type: 'error'; code: string; message: string };
