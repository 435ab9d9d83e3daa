// Can a socket get a local port right now? Asked of the kernel itself, because the socket table
// cannot answer it: __inet_hash_connect skips, for every destination, each port whose bind
// bucket was made by bind() (tb->fastreuse >= 0) — listeners, and clients that bind() before
// connect(), whose TIME_WAIT keeps the bucket for 60 s — and nothing in /proc/net/tcp or
// sock_diag says which connected socket was bound first.
//
// Two probes, in the namespace doctor runs in, changing nothing:
// - connect() to 127.0.0.1 on a port nothing listens on: a destination no socket uses, so the
//   4-tuple is free on every port, and the only ports connect() can lack are the ones it skips
//   for all destinations. EADDRNOTAVAIL comes back at once when there is none; otherwise the
//   kernel has picked a port, its SYN meets an RST on loopback (ECONNREFUSED) and the socket
//   closes with no TIME_WAIT. That moves TcpActiveOpens, TcpAttemptFails and TcpOutRsts by one.
//   No packet leaves loopback.
// - bind(0.0.0.0:0) without SO_REUSEADDR: inet_csk_find_open_port conflicts with any socket on
//   a port (TIME_WAIT included), so EADDRINUSE means no port of the range is free of sockets:
//   what a client that binds before connect() meets. Needs the native layer (Node binds a TCP
//   socket only to listen on it); the socket is closed unconnected.
import net from 'node:net';
import { AF_INET, SOCK_CLOEXEC, SOCK_STREAM } from '../sockets/constants.js';
import { errnoName } from '../sockets/errors.js';
import { loadRawSockets, writeU32 } from '../sockets/raw.js';
import { encodeSockaddr, SOCKADDR_STORAGE_SIZE } from '../sockets/structs.js';

export interface ProbeOutcome {
  /** Whether the call was made (false: `error` says why not). */
  tried: boolean;
  /** The local port it got, when known (a refused connect() does not keep its port to be read). */
  port: number | null;
  /** null when it got a port; else the errno name (EADDRNOTAVAIL, EADDRINUSE…) or why it was not tried. */
  error: string | null;
}

export interface PortProbe {
  /** Where the connect() probe went: 127.0.0.1 and a port nothing listened on. */
  destination: string;
  connect: ProbeOutcome;
  bind: ProbeOutcome;
}

/** How long a connect() may stay pending: it has a port by then (a firewall may drop the SYN). */
const CONNECT_WAIT_MS = 1000;

/** The lowest port nothing listens on: the probe must reach no listener. */
export function unusedPort(listening: readonly number[]): number {
  const taken = new Set(listening);
  let port = 1;
  while (taken.has(port) && port < 65535) port++;
  return port;
}

function probeConnect(port: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let timer: NodeJS.Timeout | undefined;
    const done = (outcome: ProbeOutcome): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    // Still connecting: the kernel chose a port (a refusal of the port comes back from connect() itself).
    timer = setTimeout(() => done({ tried: true, port: socket.localPort ?? null, error: null }), CONNECT_WAIT_MS);
    socket.once('connect', () => done({ tried: true, port: socket.localPort ?? null, error: null }));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? err.message;
      // Refused: the SYN went out from a port the kernel found, and the RST came back.
      done(code === 'ECONNREFUSED' ? { tried: true, port: null, error: null } : { tried: true, port: null, error: code });
    });
  });
}

function probeBind(): ProbeOutcome {
  const loaded = loadRawSockets();
  if (!loaded.ok) return { tried: false, port: null, error: `needs the native socket layer (${loaded.reason})` };
  const raw = loaded.raw;
  const fd = raw.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return { tried: false, port: null, error: `socket() failed with ${errnoName(raw.errno())}` };
  try {
    const address = encodeSockaddr('0.0.0.0', 0);
    if (raw.bind(fd, address, address.length) < 0) return { tried: true, port: null, error: errnoName(raw.errno()) };
    const name = Buffer.alloc(SOCKADDR_STORAGE_SIZE);
    const length = Buffer.alloc(4); // socklen_t, host order
    writeU32(length, name.length, 0);
    const port = raw.getsockname(fd, name, length) < 0 ? null : name.readUInt16BE(2);
    return { tried: true, port, error: null };
  } finally {
    raw.close(fd);
  }
}

/** Both probes; `listening`: the ports something listens on here (the census's), to aim the connect() past them. */
export async function probePorts(listening: readonly number[]): Promise<PortProbe> {
  const port = unusedPort(listening);
  const bind = probeBind();
  const connect = await probeConnect(port);
  return { destination: `127.0.0.1:${port}`, connect, bind };
}
