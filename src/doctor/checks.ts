// Judging the facts: pure functions from Facts (and a scenario) to Check lines.
import { int } from '../util/format.js';
import { DEFAULT_SYSCTLS, expandMatrix, type Scenario } from '../scenario/index.js';
import { normaliseSysctl } from '../environment/sysctl.js';
import { parsePortRange } from '../states/snapshot.js';
import { timeWaitLanding } from '../scenario/close-semantics.js';
import { check, worstStatus, type Check } from './check.js';
import type { Facts } from './facts.js';

/**
 * Descriptors a twstorm process holds besides its connections. Measured: a Node 20 process
 * with a worker thread and an IPC child holds 29 (stdio, epoll, eventfds, signal pipe,
 * worker and child pipes); the rest is margin for the observers' /proc reads and undici.
 */
export const FD_HEADROOM = 100;

/** TIME_WAIT lasts TCP_TIMEWAIT_LEN, a fixed 60 s on Linux (include/net/tcp.h). */
const TIME_WAIT_SECONDS = 60;

/** The kernel's default ephemeral range, which a fresh namespace starts from. */
const KERNEL_DEFAULT_RANGE = '32768 60999';

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

// ------------------------------------------------------------------ machine checks

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
  const fix = /unshare command is missing/.test(ns.reason)
    ? 'install util-linux (it provides unshare)'
    : /ip command is missing/.test(ns.reason)
      ? 'install iproute2 (it provides ip)'
      : 'run as root, or enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0)';
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
        `IP_BIND_ADDRESS_NO_PORT or SO_LINGER n cannot run; the others can`,
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

function hostRange(facts: Facts) {
  return parsePortRange(facts.sysctls['net.ipv4.ip_local_port_range'] ?? null, facts.sysctls['net.ipv4.ip_local_reserved_ports'] ?? null);
}

export function portRangeCheck(facts: Facts): Check {
  const range = hostRange(facts);
  const title = 'ephemeral port range';
  if (range === null) return check('port-range', title, 'warn', 'net.ipv4.ip_local_port_range could not be read');
  const perSecond = Math.floor(range.usable / TIME_WAIT_SECONDS);
  const text =
    `${range.low}–${range.high}: ${int(range.usable)} usable ports${range.reserved ? ` (${int(range.reserved)} reserved)` : ''}, so at most ` +
    `~${int(perSecond)} new connections/s to one destination when this side closes first (TIME_WAIT holds each port 60 s)`;
  if (range.usable < 10_000) {
    return check('port-range', title, 'warn', `${text}; small for a busy client`, `widen it for real traffic: sysctl -w net.ipv4.ip_local_port_range="10000 65000" (runs set their own in their namespace)`);
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
  const text = `${int(v)}: past it new TIME_WAIT sockets are destroyed at once (counted in TcpExt TCPTimeWaitOverflow)`;
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

export interface FdNeed {
  /** Connections one process may hold at once. */
  inFlight: number;
  /** inFlight + FD_HEADROOM: the open-file limit each twstorm process needs. */
  need: number;
  because: string;
}

/**
 * Sockets an HTTP run holds open at once. Requests in flight are bounded like connections under
 * tcp (concurrency, or maxInFlight in an open loop, and the request count); the undici pool then
 * caps the sockets at its limit, except with a new Client per request, where every request in
 * flight has its own connection.
 */
function httpInFlight(s: Scenario): { inFlight: number; because: string } {
  const openLoop = s.rate !== null;
  const requests = Math.min(openLoop ? s.maxInFlight : s.concurrency, s.http.requests);
  const loop = openLoop ? `maxInFlight ${int(s.maxInFlight)} (open loop)` : `concurrency ${int(s.concurrency)}`;
  if (s.http.client === 'agent-per-request') return { inFlight: requests, because: `${loop}, a connection per request in flight (agent-per-request)` };
  const pool = s.http.connections ?? s.concurrency;
  const poolWords = s.http.connections === null ? `the undici pool of concurrency ${int(pool)}` : `the undici pool of http.connections ${int(pool)}`;
  return pool < requests ? { inFlight: pool, because: poolWords } : { inFlight: requests, because: loop };
}

/**
 * RLIMIT_NOFILE is per process, and the driver and the echo server are separate processes
 * (each inherits the limit): each connection costs one descriptor in the driver and one in
 * the server, so each process needs the in-flight count plus its own descriptors. TIME_WAIT
 * sockets have no descriptor (they outlive close()), so they do not count.
 */
export function fdNeed(scenario: Scenario): FdNeed {
  const variants: Scenario[] = [scenario];
  if (Object.keys(scenario.matrix).length > 0) {
    try {
      variants.push(...expandMatrix(scenario, scenario.name).map((v) => v.scenario));
    } catch {
      // A bad matrix is reported by `run` itself; judge the base scenario.
    }
  }
  let best: FdNeed = { inFlight: 0, need: FD_HEADROOM, because: '' };
  for (const s of variants) {
    const openLoop = s.rate !== null;
    const { inFlight, because } =
      s.protocol === 'http'
        ? httpInFlight(s)
        : {
            inFlight: Math.min(openLoop ? s.maxInFlight : s.concurrency, s.connections),
            because: openLoop ? `maxInFlight ${int(s.maxInFlight)} (open loop)` : `concurrency ${int(s.concurrency)}`,
          };
    if (inFlight > best.inFlight) best = { inFlight, need: inFlight + FD_HEADROOM, because };
  }
  return best;
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

export function timeWaitNowCheck(facts: Facts): Check {
  const tw = facts.timeWait;
  const title = 'TIME_WAIT now';
  if (tw === null) return check('time-wait-now', title, 'warn', 'could not read /proc/net/tcp');
  const buckets = Number(facts.sysctls['net.ipv4.tcp_max_tw_buckets'] ?? NaN);
  const b = tw.busiest;
  const busiest =
    b && b.share !== null && b.usable !== null
      ? `; busiest destination ${b.destination} holds ${int(b.inRange)} of ${int(b.usable)} ports (${(b.share * 100).toFixed(1)}%)`
      : '';
  const detail = `${int(tw.count)} TIME_WAIT sockets in this network namespace${busiest}`;
  if (b && b.share !== null && b.share >= 0.8) {
    return check('time-wait-now', title, 'warn', `${detail}: close to EADDRNOTAVAIL for it`, `see who: twstorm states --by remote; use keep-alive/pooling towards ${b.destination}, or widen net.ipv4.ip_local_port_range`);
  }
  if (Number.isFinite(buckets) && tw.count >= 0.8 * buckets) {
    return check('time-wait-now', title, 'warn', `${detail}: near tcp_max_tw_buckets (${int(buckets)})`, 'see who: twstorm states --by remote');
  }
  return check('time-wait-now', title, 'ok', detail);
}

// ------------------------------------------------------------------ per scenario

type Placement = 'netns' | 'host' | 'impossible';

function placement(scenario: Scenario, facts: Facts): Placement {
  const wanted = scenario.environment.isolation;
  if (wanted === 'host') return 'host';
  if (facts.namespace?.ok) return 'netns';
  return wanted === 'netns' ? 'impossible' : 'host';
}

/** The sysctls a run asks for: the run defaults with the scenario's over them. */
function requestedSysctls(scenario: Scenario): Record<string, string> {
  const merged = { ...DEFAULT_SYSCTLS, ...scenario.environment.sysctls };
  return Object.fromEntries(Object.entries(merged).map(([k, v]) => [k, normaliseSysctl(v)]));
}

export interface TimeWaitLoad {
  /** TCP connections the run opens; under http an estimate from the client mode and server policy. */
  connections: number;
  /** The client ends in TIME_WAIT, so every connection spends a client port for 60 s. */
  clientKeepsPorts: boolean;
  /** Some side ends in TIME_WAIT, so the run's count counts against tcp_max_tw_buckets. */
  timeWait: boolean;
  /** The load in words: "2,000 connections with the client closing first". */
  what: string;
  /** How to make it smaller: "connections" or "http.requests". */
  knob: string;
}

/**
 * How many TCP connections an HTTP run needs for its requests. `connections` is not used
 * under http; the client mode and server policy decide how many requests share a connection:
 * one each when either side ends every connection after its response, `closeAfter` or
 * `maxRequestsPerConnection` when the server limits them, else the pool's own connections.
 */
export function httpConnections(s: Scenario): { connections: number; why: string } {
  const { requests, client, policy, closeAfter, maxRequestsPerConnection } = s.http;
  if (client !== 'keepalive') return { connections: requests, why: `one per request (client ${client})` };
  if (policy === 'rst') return { connections: requests, why: 'one per request (server policy rst)' };
  if (policy === 'close-after') {
    return { connections: Math.ceil(requests / closeAfter), why: `one per ${int(closeAfter)} request${closeAfter === 1 ? '' : 's'} (server policy close-after)` };
  }
  const pool = Math.min(s.http.connections ?? s.concurrency, requests);
  if (policy === 'keepalive' && maxRequestsPerConnection > 0) {
    return {
      connections: Math.max(pool, Math.ceil(requests / maxRequestsPerConnection)),
      why: `one per ${int(maxRequestsPerConnection)} requests (maxRequestsPerConnection)`,
    };
  }
  return { connections: pool, why: 'the keep-alive pool' };
}

/** How many connections a run opens and where they leave TIME_WAIT, for the port and bucket checks. */
export function timeWaitLoad(scenario: Scenario): TimeWaitLoad {
  const landing = timeWaitLanding(scenario);
  // A race (Connection: close against a keep-alive server) may leave some of the client's
  // ports held, so the port check counts them (it only warns).
  const where = landing.side === 'none' ? 'no TIME_WAIT' : landing.race ? 'TIME_WAIT on either side' : landing.side === 'both' ? 'TIME_WAIT on both sides' : `TIME_WAIT on the ${landing.side}`;
  if (scenario.protocol === 'http') {
    const { connections, why } = httpConnections(scenario);
    return {
      connections,
      clientKeepsPorts: landing.clientHoldsPorts,
      timeWait: landing.side !== 'none',
      what: `${int(scenario.http.requests)} HTTP requests on about ${int(connections)} connections, ${why}, with ${where},`,
      knob: 'http.requests',
    };
  }
  return {
    connections: scenario.connections,
    clientKeepsPorts: landing.clientHoldsPorts,
    timeWait: landing.side !== 'none',
    what: `${int(scenario.connections)} connections, ${landing.why}, with ${where},`,
    knob: 'connections',
  };
}

/**
 * The checks one scenario needs before it starts, judged on `facts`. `run` refuses when any
 * is 'fail' and prints the 'warn' ones.
 */
export function scenarioChecks(scenario: Scenario, facts: Facts): Check[] {
  const out: Check[] = [];
  if (facts.platform !== 'linux') out.push(kernelCheck(facts));
  const where = placement(scenario, facts);
  const ns = facts.namespace;

  if (scenario.environment.isolation !== 'host') {
    if (where === 'netns') out.push(check('namespace', 'network namespace', 'ok', `runs in a fresh namespace (${ns?.how ?? 'unshare'})`));
    else if (where === 'impossible') {
      out.push(
        check(
          'namespace',
          'network namespace',
          'fail',
          `the scenario needs isolation "netns" but no namespace can be made: ${ns?.reason ?? 'not probed'}`,
          'run as root, enable unprivileged user namespaces, or set environment.isolation: auto (host fallback)',
        ),
      );
    } else {
      out.push(
        check(
          'namespace',
          'network namespace',
          'warn',
          `no namespace can be made (${ns?.reason ?? 'not probed'}): this run will use the HOST network, count host sockets with its own and leave its TIME_WAIT on the host`,
          'run as root or enable unprivileged user namespaces to isolate it',
        ),
      );
    }
  }

  out.push(openFilesCheck(facts, [{ name: scenario.name, need: fdNeed(scenario) }]));

  const wanted = requestedSysctls(scenario);
  if (where === 'host') {
    const differing = Object.entries(wanted).filter(([k, v]) => facts.sysctls[k] !== undefined && facts.sysctls[k] !== v);
    const unread = Object.keys(wanted).filter((k) => facts.sysctls[k] === undefined);
    if (differing.length > 0 || unread.length > 0) {
      out.push(
        check(
          'host-sysctls',
          'scenario sysctls',
          'warn',
          `on the host no sysctl is changed, so these settings are NOT in force: ` +
            [...differing.map(([k, v]) => `${k}=${v} (host has ${facts.sysctls[k] ?? 'none'})`), ...unread.map((k) => `${k} (not checked)`)].join(', ') +
            ': the run will not show what the scenario is written to show',
          'run it in a namespace (root or unprivileged user namespaces) so its settings apply',
        ),
      );
    }
    const range = hostRange(facts);
    const load = timeWaitLoad(scenario);
    if (range && load.clientKeepsPorts && load.connections > range.usable) {
      // Under http the request count is the knob, and it shrinks the connections only in proportion.
      const limit = Math.floor((range.usable * (scenario.protocol === 'http' ? scenario.http.requests : load.connections)) / load.connections);
      out.push(
        check(
          'host-ports',
          'host port range',
          'warn',
          `${load.what} need ${int(load.connections)} ports to ` +
            `${scenario.server.host}:${scenario.server.port}, but the host has ${int(range.usable)}: this run will exhaust them for 60 s and ` +
            `anything else on this host connecting to that address and port gets EADDRNOTAVAIL meanwhile`,
          `lower ${load.knob} to at most ${int(limit)} (--set ${load.knob}=…)${scenario.protocol === 'http' ? ', reuse connections (http.client: keepalive)' : ''} or run it in a namespace`,
        ),
      );
    }
    const buckets = Number(facts.sysctls['net.ipv4.tcp_max_tw_buckets'] ?? NaN);
    if (load.timeWait && Number.isFinite(buckets) && load.connections > buckets) {
      out.push(
        check(
          'host-tw-buckets',
          'tcp_max_tw_buckets',
          'warn',
          `the host keeps at most ${int(buckets)} TIME_WAIT sockets; past that they are destroyed at once (TCPTimeWaitOverflow), so TIME_WAIT counts of this run are capped`,
          `run it in a namespace, or lower ${load.knob}`,
        ),
      );
    }
  } else if (where === 'netns') {
    // A fresh namespace starts from the kernel defaults, then the scenario's settings.
    const timestamps = wanted['net.ipv4.tcp_timestamps'] ?? '1';
    const reuse = wanted['net.ipv4.tcp_tw_reuse'] ?? '2';
    if (timestamps === '0' && reuse !== '0') {
      out.push(
        check(
          'timestamps',
          'tcp_timestamps',
          'warn',
          `the scenario sets tcp_tw_reuse=${reuse} with tcp_timestamps=0: reuse needs timestamps (tcp_twsk_unique checks them), so no TIME_WAIT port will be reused`,
          'drop net.ipv4.tcp_timestamps: 0 from the scenario, or tcp_tw_reuse if that is the point',
        ),
      );
    }
    const range = parsePortRange(wanted['net.ipv4.ip_local_port_range'] ?? KERNEL_DEFAULT_RANGE, null);
    if (range === null) {
      out.push(check('port-range', 'ephemeral port range', 'fail', `net.ipv4.ip_local_port_range "${wanted['net.ipv4.ip_local_port_range']}" is not "LOW HIGH"`, 'write it as two port numbers, e.g. "32768 60999"'));
    }
  }
  return out;
}

/** One doctor line per scenario: can this machine run it, and how. */
export function scenarioVerdict(scenario: Scenario, checks: readonly Check[], facts: Facts): Check {
  const status = worstStatus(checks);
  const id = `scenario:${scenario.name}`;
  const title = scenario.name;
  const where = placement(scenario, facts);
  const need = fdNeed(scenario);
  if (status === 'ok') {
    return check(id, title, 'ok', `runs ${where === 'netns' ? 'in a fresh namespace' : 'on the host (isolation: host)'}; needs ${int(need.need)} open files`);
  }
  const problems = checks.filter((c) => c.status === status);
  const fix = problems.find((c) => c.fix)?.fix;
  const detail = problems.map((c) => `${c.title}: ${c.detail}`).join(' · ');
  return fix === undefined ? check(id, title, status, detail) : check(id, title, status, detail, fix);
}
