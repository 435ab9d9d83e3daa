// Helper run inside a fresh network namespace by netns.test.ts:
//   unshare -n node netns-cases.js <case> [args...]
// (not named *.test.* so `node --test` does not run it on the host). Each case makes real
// sockets on loopback, prints one JSON line and exits; the namespace, with every socket and
// TIME_WAIT entry in it, goes away with the process. Sysctls are written inside the namespace.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  closeFd,
  connectBound,
  createListenerFd,
  createReusePortGroup,
  getLinger,
  getTcpInfo,
  lingerClose,
  listenNative,
  setLinger,
  stopLingerClosers,
  type LingerCloseResult,
} from '../../src/sockets/index.js';
import { setLinkUp } from '../../src/sockets/link.js';
import { requireFreshNamespace } from '../helpers/fresh-namespace.js';

requireFreshNamespace('netns-cases.js');

setTimeout(() => {
  process.stderr.write('netns case timed out\n');
  process.exit(3);
}, 50_000).unref();

const [name = '', ...args] = process.argv.slice(2);
// 'link-up' brings lo up itself: it starts from the namespace's down lo.
if (name !== 'link-up') execFileSync('ip', ['link', 'set', 'lo', 'up']);
// The kernel default (2) reuses loopback TIME_WAIT ports for outgoing connections, which would
// blur the port counts; this namespace only.
writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '0');

function ssCount(filter: string[]): number {
  return execFileSync('ss', ['-Htan', ...filter], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.trim() !== '').length;
}

function outcome(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const closeServer = (s: net.Server): Promise<void> => new Promise((r) => s.close(() => r()));

/** Server closes first on `count` connections, so TIME_WAIT sits on the server's port. */
async function restart(oldReuse: boolean, newReuse: boolean): Promise<unknown> {
  const PORT = 7000;
  const COUNT = 5;
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.end('bye'); // server sends the first FIN
  });
  const l = await listenNative(server, { host: '127.0.0.1', port: PORT, reuseAddr: oldReuse, backlog: 16 });
  await Promise.all(
    Array.from(
      { length: COUNT },
      () =>
        new Promise<void>((resolve, reject) => {
          const c = net.connect(PORT, '127.0.0.1');
          c.resume();
          c.on('end', () => c.end());
          c.on('close', () => resolve());
          c.on('error', reject);
        }),
    ),
  );
  await waitFor('server TIME_WAIT', () => ssCount(['state', 'time-wait', '( sport = :7000 )']) === COUNT);
  await closeServer(server);
  let newBind = 'ok';
  let error: { code?: string; syscall?: string; message: string } | undefined;
  try {
    const again = createListenerFd({ host: '127.0.0.1', port: PORT, reuseAddr: newReuse });
    closeFd(again.fd);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    newBind = e.code ?? 'no code';
    error = { code: e.code, syscall: e.syscall, message: e.message };
  }
  return { listenerPort: l.port, timeWait: ssCount(['state', 'time-wait', '( sport = :7000 )']), newBind, error };
}

async function reusePort(count: number, connections: number): Promise<unknown> {
  const group = createReusePortGroup(count, { host: '127.0.0.1', port: 0, reuseAddr: false, backlog: 128 });
  const port = group[0]!.port;
  const accepts = group.map(() => 0);
  const servers = group.map((l, i) => {
    const s = net.createServer((sock) => {
      accepts[i]!++;
      sock.on('error', () => undefined);
      sock.end();
    });
    s.listen({ fd: l.fd }, l.backlog);
    return s;
  });
  const withoutFlag = outcome(() => createListenerFd({ host: '127.0.0.1', port, reuseAddr: false, reusePort: false }));
  for (let done = 0; done < connections; ) {
    const batch = Math.min(20, connections - done);
    await Promise.all(
      Array.from(
        { length: batch },
        () =>
          new Promise<void>((resolve) => {
            const c = net.connect(port, '127.0.0.1');
            c.resume();
            c.on('close', () => resolve());
            c.on('error', () => undefined);
          }),
      ),
    );
    done += batch;
  }
  await Promise.all(servers.map(closeServer));
  return { port, accepts, samePort: group.every((l) => l.port === port), withoutFlag };
}

/** 500-port range, two server ports, connections kept open: how many get established. */
async function bindBeforeConnect(mode: 'plain' | 'noport' | 'connect'): Promise<unknown> {
  writeFileSync('/proc/sys/net/ipv4/ip_local_port_range', '40000 40499');
  const ports = [7001, 7002];
  const servers = await Promise.all(
    ports.map(
      (p) =>
        new Promise<net.Server>((resolve) => {
          const s = net.createServer((sock) => sock.on('error', () => undefined));
          s.listen({ port: p, host: '127.0.0.1', backlog: 2048 }, () => resolve(s));
        }),
    ),
  );
  const open: net.Socket[] = [];
  const perDestination = [0, 0];
  const errors: Record<string, number> = {};
  const localPorts = new Set<number>();
  let failuresInARow = 0;
  for (let i = 0; i < 1500 && failuresInARow < 20; i++) {
    const d = i % 2;
    const ok = await new Promise<boolean>((resolve) => {
      let sock: net.Socket;
      try {
        sock =
          mode === 'connect'
            ? net.connect({ host: '127.0.0.1', port: ports[d]! })
            : connectBound({ host: '127.0.0.1', port: ports[d]!, localAddress: '127.0.0.1', bindAddressNoPort: mode === 'noport' });
      } catch (err) {
        const code = `${(err as NodeJS.ErrnoException).syscall}:${(err as NodeJS.ErrnoException).code}`;
        errors[code] = (errors[code] ?? 0) + 1;
        return resolve(false);
      }
      sock.once('connect', () => {
        localPorts.add(sock.localPort ?? 0);
        open.push(sock);
        resolve(true);
      });
      sock.once('error', (err: NodeJS.ErrnoException) => {
        const code = `${err.syscall}:${err.code}`;
        errors[code] = (errors[code] ?? 0) + 1;
        resolve(false);
      });
    });
    if (ok) {
      perDestination[d]!++;
      failuresInARow = 0;
    } else failuresInARow++;
  }
  const established = open.length;
  for (const s of open) s.destroy();
  await Promise.all(servers.map(closeServer));
  return { mode, established, perDestination, distinctLocalPorts: localPorts.size, errors };
}

async function options(): Promise<unknown> {
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    accepted.push(sock);
    sock.on('data', (d) => sock.write(d)); // echo, and never end: the client's FIN leaves CLOSE_WAIT
    sock.on('error', () => undefined);
  });
  const accepted: net.Socket[] = [];
  const l = await listenNative(server, { host: '127.0.0.1', port: 0, reuseAddr: true, backlog: 64 });
  const listenerInfo = getTcpInfo(server);
  // A bound client through the layer, to prove data flows both ways on it.
  const client = connectBound({ host: '127.0.0.1', port: l.port, localAddress: '127.0.0.1', localPort: 45678, allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  const echoed = await new Promise<string>((resolve) => {
    client.once('data', (d) => resolve(d.toString()));
    client.write('ping');
  });
  await waitFor('accept', () => accepted.length === 1);
  const established = { client: getTcpInfo(client), server: getTcpInfo(accepted[0]!) };
  const lingers: unknown[] = [getLinger(client)];
  for (const s of [3, 0, null] as const) {
    setLinger(client, s);
    lingers.push(getLinger(client));
  }
  client.end(); // FIN from the client; the server does not answer it
  await waitFor('FIN_WAIT2', () => getTcpInfo(client).state === 5);
  const halfClosed = { client: getTcpInfo(client), server: getTcpInfo(accepted[0]!) };
  const pick = (i: ReturnType<typeof getTcpInfo>) => ({
    state: i.state,
    stateName: i.stateName,
    retransmits: i.retransmits,
    totalRetrans: i.totalRetrans,
    rttUs: i.rttUs,
    unacked: i.unacked,
    sacked: i.sacked,
    bytesSent: i.bytesSent,
    bytesReceived: i.bytesReceived,
    length: i.length,
  });
  const out = {
    localPort: client.localPort,
    echoed,
    lingers,
    listener: pick(listenerInfo),
    established: { client: pick(established.client), server: pick(established.server) },
    halfClosed: { client: pick(halfClosed.client), server: pick(halfClosed.server) },
  };
  client.destroy();
  for (const s of accepted) s.destroy();
  await closeServer(server);
  return out;
}

/** SO_LINGER 1 with a send queue the peer never drains: contained close vs inline close. */
async function lingerCloseCase(seconds: number): Promise<unknown> {
  const held: net.Socket[] = [];
  const server = net.createServer((sock) => {
    sock.pause(); // never read: the client's data stays unsent once the windows are full
    sock.on('error', () => undefined);
    held.push(sock);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;

  const stuffedClient = async (): Promise<net.Socket> => {
    const c = net.connect(port, '127.0.0.1');
    c.on('error', () => undefined);
    await new Promise<void>((r) => c.once('connect', () => r()));
    const chunk = Buffer.alloc(1 << 20, 0x61);
    for (let i = 0; i < 64 && c.write(chunk); i++); // until Node has to buffer: kernel queue full
    await sleep(200);
    return c;
  };

  const measure = async (contain: boolean): Promise<{ result: LingerCloseResult; maxLoopGapMs: number; notsentBefore?: number }> => {
    const c = await stuffedClient();
    const notsentBefore = getTcpInfo(c).notsentBytes;
    let last = performance.now();
    let maxGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 5);
    last = performance.now();
    const result = await lingerClose(c, seconds, { contain });
    await sleep(50); // let the interval fire after the close as well
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    clearInterval(timer);
    return { result, maxLoopGapMs: maxGap, notsentBefore };
  };
  const contained = await measure(true);
  const inline = await measure(false);
  await stopLingerClosers();
  for (const s of held) s.destroy();
  await closeServer(server);
  return { seconds, contained, inline };
}

/**
 * lo as `ip` reports it (its flags, "<LOOPBACK,UP,LOWER_UP>"), before and after setLinkUp. Not
 * /sys/class/net: sysfs shows the namespace it was mounted in, the host's.
 */
async function linkUp(): Promise<{ before: boolean; first: unknown; after: boolean; again: unknown; connects: string; missing: unknown }> {
  const up = (): boolean => /<[^>]*\bUP\b[^>]*>/.test(execFileSync('ip', ['-o', 'link', 'show', 'lo'], { encoding: 'utf8' }));
  const before = up();
  const first = setLinkUp('lo');
  const after = up();
  const again = setLinkUp('lo');
  // Up means usable: a connection to 127.0.0.1 gets through (ENETUNREACH while lo is down).
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(7000, '127.0.0.1', resolve));
  const connects = await new Promise<string>((resolve) => {
    const c = net.connect(7000, '127.0.0.1', () => resolve('ok'));
    c.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    c.on('close', () => c.destroy());
  });
  await closeServer(server);
  return { before, first, after, again, connects, missing: setLinkUp('nosuch0') };
}

/**
 * unshareNetwork() from a process that already has libuv's pool running (as a warm harness has):
 * the main thread, its new sockets, a Worker it starts and the sysctls sysctl.ts writes are in
 * the new namespace; the pool's threads, which opened /proc/sys through fs/promises before,
 * still see the old one.
 */
async function unshareCase(): Promise<unknown> {
  const { readFile } = await import('node:fs/promises');
  const { readFileSync, readlinkSync } = await import('node:fs');
  const { Worker } = await import('node:worker_threads');
  const { unshareNetwork } = await import('../../src/sockets/netns.js');
  const { writeSysctl } = await import('../../src/environment/sysctl.js');
  const REUSE = '/proc/sys/net/ipv4/tcp_tw_reuse';
  await readFile(REUSE, 'utf8'); // the pool is up, in this (old) namespace
  const old = await listenOn(7400);
  const nsBefore = readlinkSync('/proc/thread-self/ns/net');
  const unshared = unshareNetwork();
  const nsAfter = readlinkSync('/proc/thread-self/ns/net');
  await writeSysctl('net.ipv4.tcp_tw_reuse', 1);
  const workerNs = await new Promise<string>((resolve, reject) => {
    const w = new Worker("require('worker_threads').parentPort.postMessage(require('fs').readlinkSync('/proc/thread-self/ns/net'))", { eval: true });
    w.once('message', (m: string) => resolve(m)).once('error', reject);
  });
  const listeners = ssCount(['state', 'listening']);
  const fresh = await listenOn(7400); // the same port again: the old listener is in the other namespace
  // The observers read /proc/net through the pool: it names the main thread's namespace, so the
  // pool sees the new listener, and only it (7400 = 0x1CE8, LISTEN = 0A).
  const poolListeners = (await readFile('/proc/net/tcp', 'utf8')).split('\n').filter((l) => / 0100007F:1CE8 00000000:0000 0A /.test(l)).length;
  await Promise.all([closeServer(old), closeServer(fresh)]);
  return {
    unshared,
    moved: nsBefore !== nsAfter,
    workerInNew: workerNs === nsAfter,
    procSelfNet: readlinkSync('/proc/self/ns/net') === nsAfter,
    listenersSeen: listeners,
    poolListeners,
    reuseHere: readFileSync(REUSE, 'utf8').trim(),
    reuseThroughPool: (await readFile(REUSE, 'utf8')).trim(),
  };
}

function listenOn(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

let result: unknown;
switch (name) {
  case 'unshare':
    result = await unshareCase();
    break;
  case 'link-up':
    result = await linkUp();
    break;
  case 'restart':
    result = await restart(args[0] === 'true', args[1] === 'true');
    break;
  case 'reuseport':
    result = await reusePort(Number(args[0] ?? 4), Number(args[1] ?? 200));
    break;
  case 'bind':
    result = await bindBeforeConnect(args[0] as 'plain' | 'noport' | 'connect');
    break;
  case 'options':
    result = await options();
    break;
  case 'linger-close':
    result = await lingerCloseCase(Number(args[0] ?? 1));
    break;
  default:
    throw new Error(`unknown case ${name}`);
}
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
