// Machine checks: what this machine (or namespace) can do, judged from Facts alone. Pure
// functions from Facts to Check lines; the per-scenario checks are in scenario-checks.ts.
import { IO_URING_ENV } from '../engine/io-choice.js';
import { int } from '../util/format.js';
import { TIME_WAIT_SECONDS } from '../result/figures.js';
import { timerLateSeconds } from '../tcp-facts.js';
import { parsePortRange } from '../scenario/port-range.js';
import { check, type Check } from './check.js';
import type { Facts } from './facts.js';
import { namespaceFix } from '../environment/namespace.js';

/**
 * Descriptors a twstorm process holds besides its connections. Measured: a Node 20 process
 * with a worker thread and an IPC child holds 29 (stdio, epoll, eventfds, signal pipe,
 * worker and child pipes); the rest is margin for the observers' /proc reads and undici.
 */
export const FD_HEADROOM = 100;

export interface FdNeed {
  /** Connections one process may hold at once. */
  inFlight: number;
  /** inFlight + FD_HEADROOM: the open-file limit each twstorm process needs. */
  need: number;
  because: string;
}

function versionTuple(text: string): number[] {
  return (text.match(/\d+(\.\d+)*/)?.[0] ?? '0').split('.').map(Number);
}

function atLeast(have: number[], want: number[]): boolean {
  for (let i = 0; i < Math.max(have.length, want.length); i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** Smallest "round" limit that covers a need: a power of two, at least 1024. */
export function suggestedLimit(need: number): number {
  let n = 1024;
  while (n < need) n *= 2;
  return n;
}

/** This host's ephemeral range, reserved ports taken out. */
export function hostRange(facts: Facts) {
  return parsePortRange(facts.sysctls['net.ipv4.ip_local_port_range'] ?? null, facts.sysctls['net.ipv4.ip_local_reserved_ports'] ?? null);
}

export function nodeCheck(facts: Facts): Check {
  const required = facts.node.required;
  if (required === null) return check('node', 'Node.js', 'ok', `v${facts.node.version}`);
  const min = versionTuple(required);
  return atLeast(versionTuple(facts.node.version), min)
    ? check('node', 'Node.js', 'ok', `v${facts.node.version} (needs ${required})`)
    : check('node', 'Node.js', 'fail', `v${facts.node.version}, but twstorm needs ${required}`, `install Node.js ${min.join('.')} or newer`);
}

export function kernelCheck(facts: Facts): Check {
  if (facts.platform !== 'linux') {
    return check(
      'kernel',
      'kernel',
      'fail',
      `${facts.platform}: twstorm reads Linux's /proc/net and uses Linux network namespaces`,
      'run twstorm on Linux (a VM or container is fine)',
    );
  }
  const v = versionTuple(facts.kernel);
  // The TCP sysctls a run sets in its namespace (tcp_tw_reuse, tcp_timestamps,
  // tcp_max_tw_buckets …) were made per network namespace over Linux 4.x; on older kernels a
  // write either fails or changes the whole host, so those are refused by the read-back.
  return atLeast(v, [4, 15])
    ? check('kernel', 'kernel', 'ok', `Linux ${facts.kernel}`)
    : check(
        'kernel',
        'kernel',
        'warn',
        `Linux ${facts.kernel}: older than 4.15, where some TCP sysctls are still host-wide; scenarios that set them may be refused`,
        'use a kernel 4.15 or newer to run every scenario',
      );
}

export function namespaceCheck(facts: Facts): Check {
  const ns = facts.namespace;
  if (ns === null) return check('namespace', 'network namespace', 'warn', 'not probed');
  if (ns.ok) {
    return facts.root
      ? check('namespace', 'network namespace', 'ok', `can make one (${ns.how}): every run is isolated, with its own sysctls`)
      : check(
          'namespace',
          'network namespace',
          'ok',
          `can make one (${ns.how}): runs are isolated as with root; only "states --netns" and other users' processes need root`,
        );
  }
  const fix = namespaceFix(ns, facts.root);
  return check(
    'namespace',
    'network namespace',
    'warn',
    `cannot make one: ${ns.reason}. Scenarios with isolation "auto" then run on the HOST: host sockets are counted with ` +
      `the run's, no sysctl is applied, TIME_WAIT stays on the host for 60 s; isolation "netns" refuses to run`,
    fix,
  );
}

export function nativeCheck(facts: Facts): Check {
  const n = facts.native;
  const title = 'native socket options';
  if (n === null) return check('native-sockets', title, 'warn', 'not probed');
  if (!n.loaded) {
    return check(
      'native-sockets',
      title,
      'warn',
      `not available: ${n.reason ?? 'unknown reason'}. Scenarios that set SO_REUSEADDR off, SO_REUSEPORT, ` +
        `IP_BIND_ADDRESS_NO_PORT, SO_LINGER n or a per-socket port range cannot run; the others can`,
      'reinstall the dependencies with npm ci (koffi ships prebuilt binaries for Linux x64 and arm64)',
    );
  }
  const good = Object.entries(n.options).filter(([, v]) => v === true).map(([k]) => k);
  const bad = Object.entries(n.options).filter(([, v]) => v !== true);
  const version = n.version ?? 'the native layer';
  if (bad.length === 0) return check('native-sockets', title, 'ok', `${version} loaded: ${good.join(', ')}`);
  return check(
    'native-sockets',
    title,
    'warn',
    `${version} loaded; has ${good.join(', ') || 'none'}; missing ${bad.map(([k, v]) => `${k} (${String(v)})`).join(', ')}`,
    'scenarios using the missing options cannot run on this kernel',
  );
}

/** io_uring or epoll for the engine's threads (client and echo server); null when the native layer was not probed or did not load. */
export function engineIoCheck(facts: Facts): Check | null {
  const io = facts.native?.engineIo;
  if (!io) return null;
  const title = 'engine I/O';
  if (io.io === 'io_uring') return check('engine-io', title, 'ok', 'io_uring: each engine thread hands its sends, recvs and closes to the kernel in one batch per loop turn');
  return check(
    'engine-io',
    title,
    'warn',
    `epoll: ${io.reason}. Runs work, at more CPU per connection (a system call per step), so the fastest storms are smaller`,
    io.reason.startsWith(IO_URING_ENV)
      ? `unset ${IO_URING_ENV} to let runs use io_uring`
      : 'allow io_uring: sysctl kernel.io_uring_disabled=0, or a container seccomp profile that permits io_uring_setup and io_uring_enter (Docker\'s default blocks them); Linux 5.19+',
  );
}

export function nftCheck(facts: Facts): Check {
  const n = facts.nft;
  const title = 'nftables';
  if (n === null) return check('nft', title, 'warn', 'not probed');
  if (n.version === null) {
    return check('nft', title, 'warn', `${n.reason ?? 'nft is not available'}: fault injection (dropped packets, lost final ACKs) is unavailable`, 'install nftables for the fault scenarios (Debian/Ubuntu: apt install nftables)');
  }
  if (n.worksInNamespace === false) {
    return check('nft', title, 'warn', `${n.version} is installed, but ${n.reason}`, 'fault scenarios need nft to work inside the run\'s namespace: check that the nf_tables module can load');
  }
  return check('nft', title, 'ok', `${n.version}${n.worksInNamespace ? ', works inside a namespace' : ''}: fault injection available`);
}

export function portRangeCheck(facts: Facts): Check {
  const range = hostRange(facts);
  const title = 'ephemeral port range';
  if (range === null) return check('port-range', title, 'warn', 'net.ipv4.ip_local_port_range could not be read');
  // A port comes back when its TIME_WAIT's timer fires, up to a wheel granule after the 60 s.
  const late = timerLateSeconds(TIME_WAIT_SECONDS, facts.timerHz);
  const perSecond = range.usable / (TIME_WAIT_SECONDS + late);
  // Under one a second (a range of fewer than 60 ports), "~0" would read as none at all.
  const rate = perSecond >= 1 ? int(Math.floor(perSecond)) : perSecond.toFixed(2);
  const text =
    `${range.low}–${range.high}: ${int(range.usable)} usable ports${range.reserved ? ` (${int(range.reserved)} reserved)` : ''}, so at most ` +
    `~${rate} new connections/s to one destination when this side closes first (TIME_WAIT holds each port 60 s, and the timer may end it up to ${+late.toFixed(3)} s late${facts.timerHz !== null ? ` at HZ ${facts.timerHz}` : ' at the worst HZ'})`;
  if (range.usable < 10_000) {
    // A wide range that ip_local_reserved_ports empties is not made wider by widening it.
    const fix =
      range.size >= 10_000
        ? `take ports out of net.ipv4.ip_local_reserved_ports for real traffic: it holds ${int(range.reserved)} of the range's ${int(range.size)} (a fresh namespace starts with none, so runs are not held back)`
        : `widen it for real traffic: sysctl -w net.ipv4.ip_local_port_range="10000 65000" (runs set their own in their namespace)`;
    return check('port-range', title, 'warn', `${text}; small for a busy client`, fix);
  }
  return check('port-range', title, 'ok', text);
}

export function twReuseCheck(facts: Facts): Check {
  const v = facts.sysctls['net.ipv4.tcp_tw_reuse'] ?? null;
  const meaning: Record<string, string> = {
    '0': 'off: TIME_WAIT ports are not reused for outgoing connections',
    '1': 'on: outgoing connections may reuse a TIME_WAIT port after ~1 s (needs tcp_timestamps)',
    '2': 'loopback only (the kernel default): hides storms on 127.0.0.1 that a real network shows',
  };
  if (v === null) return check('tw-reuse', 'tcp_tw_reuse', 'warn', 'could not be read');
  return check('tw-reuse', 'tcp_tw_reuse', 'ok', `${v} — ${meaning[v] ?? 'unknown value'}. Runs use 0 in their namespace unless a scenario sets it`);
}

export function timestampsCheck(facts: Facts): Check {
  const v = facts.sysctls['net.ipv4.tcp_timestamps'] ?? null;
  if (v === null) return check('timestamps', 'tcp_timestamps', 'warn', 'could not be read');
  if (v === '0') {
    return check(
      'timestamps',
      'tcp_timestamps',
      'warn',
      '0: tcp_tw_reuse needs TCP timestamps, so this host never reuses a TIME_WAIT port early (runs in a namespace start from the default, 1)',
      'sysctl -w net.ipv4.tcp_timestamps=1 unless something on this host needs them off',
    );
  }
  return check('timestamps', 'tcp_timestamps', 'ok', `${v}: on, so tcp_tw_reuse can work`);
}

export function twBucketsCheck(facts: Facts, biggestStorm: number): Check {
  const v = Number(facts.sysctls['net.ipv4.tcp_max_tw_buckets'] ?? NaN);
  if (!Number.isFinite(v)) return check('tw-buckets', 'tcp_max_tw_buckets', 'warn', 'could not be read');
  const text = `${int(v)}: past it a closing connection gets no TIME_WAIT at all (counted in TcpExt TCPTimeWaitOverflow)`;
  if (v < biggestStorm) {
    return check(
      'tw-buckets',
      'tcp_max_tw_buckets',
      'warn',
      `${text}; a bundled scenario makes up to ${int(biggestStorm)} TIME_WAIT, so on this network its counts would be cut off`,
      `in a namespace runs use the kernel default; for host runs raise it: sysctl -w net.ipv4.tcp_max_tw_buckets=${suggestedLimit(biggestStorm * 2)}`,
    );
  }
  return check('tw-buckets', 'tcp_max_tw_buckets', 'ok', text);
}

export function openFilesCheck(facts: Facts, needs: ReadonlyArray<{ name: string; need: FdNeed }>): Check {
  const limit = facts.fdLimit;
  const title = 'open-file limit';
  if (limit === null) return check('open-files', title, 'warn', 'could not read /proc/self/limits');
  const worst = [...needs].sort((a, b) => b.need.need - a.need.need)[0];
  const have = limit.soft === Infinity ? 'unlimited' : int(limit.soft);
  const hard = limit.hard === Infinity ? 'unlimited' : int(limit.hard);
  if (!worst) return check('open-files', title, 'ok', `${have} (hard ${hard})`);
  const about = `${worst.name} needs ${int(worst.need.need)} per process (${worst.need.because} + ${FD_HEADROOM} of Node's own)`;
  if (limit.soft < worst.need.need) {
    const target = suggestedLimit(worst.need.need);
    const fix =
      limit.hard >= target
        ? `raise ulimit -n to at least ${target} (ulimit -n ${target} in the shell that runs twstorm)`
        : `raise ulimit -n to at least ${target}: the hard limit is ${hard}, so as root run ulimit -Hn ${target}, or set nofile in /etc/security/limits.conf or LimitNOFILE= for a systemd service`;
    return check('open-files', title, 'fail', `${have} (hard ${hard}), but ${about}: connections would fail with EMFILE`, fix);
  }
  return check('open-files', title, 'ok', `${have} (hard ${hard}); ${about}`);
}

const pct = (share: number): string => `${(share * 100).toFixed(1)}%`;

/**
 * TIME_WAIT here now, judged as connect() sees it: per destination only the ports it cannot use
 * (a TIME_WAIT that tcp_tw_reuse lets it take over is not one: tcp_twsk_unique), and for the
 * range as a whole the ports any socket holds, which bind(0) cannot have and which connect()
 * skips for every destination when their sockets were bound (__inet_hash_connect).
 */
export function timeWaitNowCheck(facts: Facts): Check {
  const tw = facts.timeWait;
  const title = 'TIME_WAIT now';
  if (tw === null) return check('time-wait-now', title, 'warn', 'could not read /proc/net/tcp');
  const buckets = Number(facts.sysctls['net.ipv4.tcp_max_tw_buckets'] ?? NaN);
  const b = tw.busiest;
  let busiest = '';
  if (b && b.heldShare !== null && b.usable !== null) {
    const reusable = b.twReuse && b.reusable ? `, besides ${int(b.reusable)} TIME_WAIT it may reuse (tcp_tw_reuse=${tw.twReuse?.mode ?? '?'})` : '';
    busiest = `; busiest destination ${b.destination} holds ${int(b.held)} of ${int(b.usable)} ports (${pct(b.heldShare)})${reusable}`;
  }
  const u = tw.rangeUse;
  const range =
    u && u.share !== null && u.usable !== null && u.held > 0
      ? `; ports of the range held by any socket: ${int(u.held)} of ${int(u.usable)}${u.listeners > 0 ? ` (${int(u.listeners)} listening)` : ''}`
      : '';
  const detail = `${int(tw.count)} TIME_WAIT sockets in this network namespace${busiest}${range}`;
  if (b && b.heldShare !== null && b.heldShare >= 0.8) {
    return check(
      'time-wait-now',
      title,
      'warn',
      `${detail}: ${b.heldShare >= 1 ? 'out of ports for it, connect() gets EADDRNOTAVAIL' : 'close to EADDRNOTAVAIL for it'}`,
      `see who: twstorm states --by remote; use keep-alive/pooling towards ${b.destination}, or widen net.ipv4.ip_local_port_range`,
    );
  }
  if (u && u.share !== null && u.share >= 0.8) {
    return check(
      'time-wait-now',
      title,
      'warn',
      `${detail}: ${u.share >= 1 ? 'no port of the range is free of sockets, so bind(0) gets EADDRINUSE' : 'few ports of the range are free of sockets, so bind(0) may soon get EADDRINUSE'}, ` +
        'and so does connect() to every destination (EADDRNOTAVAIL) if those sockets called bind() first: the "free port now" line probes it',
      'see which ports: twstorm states --by local-port --state all; clients that bind() before connect() should set IP_BIND_ADDRESS_NO_PORT (or not bind)',
    );
  }
  if (Number.isFinite(buckets) && tw.count >= 0.8 * buckets) {
    return check('time-wait-now', title, 'warn', `${detail}: near tcp_max_tw_buckets (${int(buckets)})`, 'see who: twstorm states --by remote');
  }
  return check('time-wait-now', title, 'ok', detail);
}

/**
 * doctor's answer to "I got EADDRNOTAVAIL": can a socket get a local port here right now
 * (port-probe.ts)? Null when not probed (only `doctor` without a scenario probes).
 */
export function portProbeCheck(facts: Facts): Check | null {
  const p = facts.portProbe;
  const title = 'free port now';
  if (p === undefined) return null;
  if (p === null) return check('port-now', title, 'warn', 'the probe failed to run');
  const { connect, bind } = p;
  const side = `connect() to ${p.destination}, where nothing listens`;
  if (connect.error === 'EADDRNOTAVAIL') {
    return check(
      'port-now',
      title,
      'warn',
      `${side}, got EADDRNOTAVAIL: no port of the range is left for ANY destination: each is reserved, or held by a listener or by a socket that called bind() ` +
        '(connect() skips those ports for every destination, TIME_WAIT included)',
      'see which ports: twstorm states --by local-port --state all; clients that bind() before connect() should set IP_BIND_ADDRESS_NO_PORT (or not bind), or widen net.ipv4.ip_local_port_range',
    );
  }
  if (!connect.tried || connect.error !== null) {
    return check('port-now', title, 'warn', `could not probe: ${side}, failed with ${connect.error ?? 'no answer'} (is lo up?)`, 'run doctor where 127.0.0.1 is reachable (ip link set lo up)');
  }
  const got = `${side}, got a local port${connect.port !== null ? ` (${connect.port})` : ''} (the probe's SYN met an RST on loopback)`;
  if (bind.error === 'EADDRINUSE') {
    return check(
      'port-now',
      title,
      'warn',
      `${got}, but bind(0.0.0.0:0) got EADDRINUSE: every port of the range holds a socket, so a client that binds before connect() fails now, while a plain connect() still gets a port per destination`,
      'clients that bind() before connect() should set IP_BIND_ADDRESS_NO_PORT (or not bind); twstorm states --by local-port --state all shows what holds the ports',
    );
  }
  const bound = bind.error === null ? `; bind(0.0.0.0:0) got port ${bind.port ?? '?'}` : bind.tried ? `; bind(0.0.0.0:0) failed with ${bind.error}` : `; bind(0) not probed: ${bind.error}`;
  return check('port-now', title, 'ok', `${got}${bound}: a port can be had now`);
}
