// Worker thread of linger-close.ts: it only calls close(fd) and times it. close() of a socket
// with SO_LINGER {1, n>0} and unsent data blocks this thread (not the main event loop) for up
// to n seconds. fds are per process, so the number the main thread sent is valid here.
import { parentPort } from 'node:worker_threads';
import { tryLoadNative } from './native.js';

export interface CloseRequest {
  id: number;
  fd: number;
}
export interface CloseReply {
  id: number;
  ret: number;
  errno: number;
  blockedMs: number;
  /** Set when the worker could not load the FFI: the fd was not closed. */
  error?: string;
}

const loaded = tryLoadNative();

parentPort?.on('message', (request: CloseRequest) => {
  let reply: CloseReply;
  if (!loaded.ok) {
    reply = { id: request.id, ret: -1, errno: 0, blockedMs: 0, error: loaded.reason };
  } else {
    const started = performance.now();
    const r = loaded.native.close(request.fd);
    reply = { id: request.id, ret: r.ret, errno: r.errno, blockedMs: performance.now() - started };
  }
  parentPort?.postMessage(reply);
});
