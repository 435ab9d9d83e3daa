// The bundled echo server's configuration as tests start it by hand (not through a scenario):
// 64-byte request and response, one listener, the client closes first, a 10 s idle timeout.
import type { EchoServerConfig } from '../../src/server/echo-server.js';

export function echoConfig(overrides: Partial<EchoServerConfig> = {}): EchoServerConfig {
  return {
    host: '127.0.0.1',
    port: 7000,
    ports: 1,
    backlog: 128,
    reuseAddr: true,
    reusePort: false,
    listeners: 1,
    requestBytes: 64,
    responseBytes: 64,
    close: { first: 'client', mode: 'fin', delayMs: 0, lingerSeconds: 0 },
    idleTimeoutMs: 10_000,
    ...overrides,
  };
}
