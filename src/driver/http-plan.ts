// What an HTTP load is asked to do, for both clients: undici's (http-load.ts) and the raw one
// on the engine (raw-http-load.ts). Its own file so neither driver imports the other for it.
import type { ShapePlan } from './shape/index.js';

export type HttpClientMode = 'keepalive' | 'connection-close' | 'reset' | 'agent-per-request' | 'raw';

/** `count`, `concurrency`, `rate` and `maxInFlight` count requests. */
export interface HttpLoadPlan extends ShapePlan {
  host: string;
  port: number;
  client: HttpClientMode;
  /** Connection limit of the shared pool (keepalive, connection-close, reset). */
  poolConnections: number;
  connectTimeoutMs: number;
  /** A stalled response is cut off after this long. */
  idleTimeoutMs: number;
  /** The request target of each GET (every client). */
  path?: string;
  /** client raw (raw-http-load.ts): requests per connection, engine threads. */
  requestsPerConnection?: number;
  threads?: number | null;
  /** client raw: IP_LOCAL_PORT_RANGE [low, high] on each socket (client.portRange). */
  portRange?: [number, number] | null;
}
