// The scenario's cross-field rules: what no single field can say of itself (a second listener
// needs reusePort, the stages must fit in duration, a routed lab has no external target). Each
// rule is a function of its own so that a file with a wrong field still gets every rule whose
// fields are right (issue 11's "every problem at once"): zod skips a whole-object refinement
// once any field failed on its type or choice, and ran it on a number that failed its bound
// (`duration: -1` was said to be shorter than stages lasting 0ms). So the schema runs the rules
// only on a fully valid scenario, and validate.ts runs them again on the file's valid parts
// (`crossFieldProblems` with the wrong fields' paths): a rule that reads one of them is left out.
import { isIP } from 'node:net';
import { formatDuration } from './duration.js';
import { big, BUNDLED_SERVER_DEFAULTS } from './fields.js';
import * as L from './limits.js';
import { honoured, KERNEL_DEFAULT_PORT_RANGE, parsePortRange } from './port-range.js';
import type { ScenarioFields } from './schema.js';
import type { PathSegment } from './schema-walk.js';

export interface CrossFieldIssue {
  path: PathSegment[];
  message: string;
  /** The offending field's value, so the problem line ends "got <that value>". */
  input: unknown;
}

type Report = (path: PathSegment[], message: string, input?: unknown) => void;
type Rule = (s: ScenarioFields, problem: Report) => void;

const RULES: Rule[] = [
  (s, problem) => {
    if (s.server.listeners > 1 && !s.server.reusePort) {
      problem(['server', 'listeners'], 'more than 1 listener per port needs server.reusePort: true (without SO_REUSEPORT the second bind fails)');
    }
  },
  (s, problem) => {
    if (s.server.ports > 1 && s.server.port === 0) {
      problem(['server', 'ports'], 'several ports need a fixed server.port to count from (0 picks one free port only)');
    }
  },
  (s, problem) => {
    if (s.server.port + s.server.ports - 1 > 65535) problem(['server', 'ports'], 'the ports run past 65535');
  },
  (s, problem) => {
    if (s.client.bindAddressNoPort && (!s.client.bind || s.client.localPorts !== null)) {
      problem(['client', 'bindAddressNoPort'], 'needs client.bind: true and no client.localPorts (the kernel picks the port at connect())');
    }
  },
  (s, problem) => {
    if ((s.client.localPorts !== null || s.client.reuseAddr) && !s.client.bind) {
      problem(['client', 'bind'], 'client.localPorts and client.reuseAddr apply to bind-before-connect: set client.bind: true');
    }
  },
  // IP_LOCAL_PORT_RANGE: where the kernel uses it, and where it silently would not.
  (s, problem) => {
    if (s.client.portRange === null) return;
    if (s.protocol === 'http' && s.http.client !== 'raw') problem(['client', 'portRange'], 'applies to protocol tcp and http.client raw: the engine sets it on its own sockets before connect(); undici\'s sockets are connected by Node, which cannot set it');
    else if (s.client.localPorts !== null) problem(['client', 'portRange'], 'has no effect with client.localPorts (explicit ports are not picked from a range): leave one of them out');
  },
  (s, problem) => {
    if (s.client.portRange === null) return;
    const range = parsePortRange(s.client.portRange);
    const ns = parsePortRange(String(s.environment.sysctls['net.ipv4.ip_local_port_range'] ?? KERNEL_DEFAULT_PORT_RANGE));
    if (range && ns && s.environment.isolation !== 'host' && s.environment.topology !== 'routed' && !honoured(ns, range)) {
      problem(
        ['client', 'portRange'],
        `must lie inside net.ipv4.ip_local_port_range (${ns.low}-${ns.high} in this run): the kernel ignores a per-socket bound outside the namespace's range (inet_sk_get_local_port_range); narrow it or widen the sysctl`,
      );
    }
  },
  (s, problem) => {
    const totalStagesMs = s.stages.reduce((sum, stage) => sum + stage.duration, 0);
    if (totalStagesMs > s.duration) {
      problem(['duration'], `the stages last ${formatDuration(totalStagesMs)}, longer than the load may: raise duration to at least ${formatDuration(totalStagesMs)}`, formatDuration(s.duration));
    }
  },
  (s, problem) => {
    if (s.rate !== null) return;
    s.stages.forEach((stage, i) => {
      if (!Number.isInteger(stage.target) || stage.target > L.MAX_IN_FLIGHT) {
        problem(['stages', i, 'target'], `closed loop (rate: null): a target is a number in flight, expected an integer from 0 to ${big(L.MAX_IN_FLIGHT)}`);
      }
    });
  },
  (s, problem) => {
    if (s.client.localPorts !== null && parsePortRange(s.client.localPorts) === null) problem(['client', 'localPorts'], 'expected low-high with 1 <= low <= high <= 65535');
  },
  // A routed lab: each problem names the one field to change.
  (s, problem) => {
    if (s.environment.topology === 'routed' && s.environment.isolation === 'host') {
      problem(['environment', 'isolation'], 'a routed lab (environment.topology: routed) is built inside the run\'s own namespace: expected netns or auto');
    }
  },
  (s, problem) => {
    if (s.environment.topology === 'routed' && s.target !== null) problem(['target'], 'a routed lab has its own server host: leave target out');
  },
  (s, problem) => {
    if (s.environment.topology !== 'routed') return;
    const routedServer = 'topology routed runs one server port without the restart phase or extra listeners';
    if (s.server.ports > 1) problem(['server', 'ports'], `${routedServer}: expected 1`);
    if (s.server.restart !== null) problem(['server', 'restart'], `${routedServer}: leave server.restart out`);
    if (s.server.listeners > 1) problem(['server', 'listeners'], `${routedServer}: expected 1`);
  },
  (s, problem) => {
    if (s.environment.topology !== 'routed') return;
    const ownAddress = 'topology routed: each client host uses its own address';
    if (s.client.sourceAddresses.length > 0) problem(['client', 'sourceAddresses'], `${ownAddress}: leave client.sourceAddresses out`);
    if (s.client.bind) problem(['client', 'bind'], `${ownAddress}: leave client.bind out`);
  },
  // A socket has one address family: the IPv4 source addresses (127.0.0.0/8) cannot connect to
  // an IPv6 destination, and the run failed on the first connection ("source address 127.0.0.2
  // (IPv4) cannot reach ::1 (IPv6)", exit 1) after building its namespace. A target named by
  // host name is resolved at run time: its family is not known here.
  (s, problem) => {
    if (s.client.sourceAddresses.length === 0 || s.environment.topology === 'routed') return;
    const destination = s.target !== null ? s.target.host : s.server.host;
    if (isIP(destination) !== 6) return;
    const instead = s.target !== null ? 'target an IPv4 address' : 'set server.host to an IPv4 loopback address like "127.0.0.1"';
    problem(
      ['client', 'sourceAddresses'],
      `are IPv4 and cannot reach ${destination}, the ${s.target !== null ? 'target' : 'server.host'} (IPv6): a socket connects within one address family; leave client.sourceAddresses out, or ${instead}`,
    );
  },
  (s, problem) => {
    const nat = s.environment.router.nat;
    if (s.environment.topology !== 'routed' || nat === null) return;
    if (parsePortRange(nat.ports) === null) problem(['environment', 'router', 'nat', 'ports'], 'expected low-high with 1 <= low <= high <= 65535');
  },
  (s, problem) => {
    // The router's SNAT rule is IPv4 (nft table ip): IPv6 flows would pass untranslated and
    // the pool's figures describe nothing (an audit: 160 flows through a 100-tuple pool).
    if (s.environment.topology === 'routed' && s.environment.router.nat !== null && s.environment.ipv6) {
      problem(['environment', 'router', 'nat'], 'SNAT is IPv4 only (the router\'s rule is an nft table ip): leave router.nat out with environment.ipv6: true, or connect over IPv4');
    }
  },
  // The router forwards every packet between the hosts: the lab turns forwarding on, then writes
  // the router's sysctls (environment.sysctls, then router.sysctls) over it. A 0 for the lab's
  // family left every connect to time out at the router with no word why (an audit: 20 of 20
  // ETIMEDOUT, "No connection was established"). The hosts never forward: there it does nothing.
  (s, problem) => {
    const env = s.environment;
    if (env.topology !== 'routed') return;
    const key = env.ipv6 ? 'net.ipv6.conf.all.forwarding' : 'net.ipv4.ip_forward';
    const where: PathSegment[] | null = key in env.router.sysctls ? ['environment', 'router', 'sysctls', key] : key in env.sysctls ? ['environment', 'sysctls', key] : null;
    if (where === null) return;
    const value = where.length === 4 ? env.router.sysctls[key] : env.sysctls[key];
    if (Number(String(value).trim()) !== 0) return;
    problem(where, `the router forwards between the client hosts and the server host, so a routed lab needs ${key} on (the lab sets it to 1) and the hosts do not forward: leave it out`, value);
  },
  // Fields only a routed lab uses. The hint fits the field: only a host's sysctls have a loopback form.
  (s, problem) => {
    const env = s.environment;
    if (env.topology === 'routed') return;
    const sysctlsHint = ' (the loopback form uses environment.sysctls)';
    const used: Array<[PathSegment[], () => boolean, string]> = [
      [['environment', 'clients'], () => env.clients !== 1, ''],
      [['environment', 'ipv6'], () => env.ipv6, ' (on loopback, set server.host: "::1")'],
      [['environment', 'client', 'sysctls'], () => Object.keys(env.client.sysctls).length > 0, sysctlsHint],
      [['environment', 'server', 'sysctls'], () => Object.keys(env.server.sysctls).length > 0, sysctlsHint],
      [['environment', 'router', 'sysctls'], () => Object.keys(env.router.sysctls).length > 0, sysctlsHint],
      [['environment', 'router', 'nat'], () => env.router.nat !== null, ''],
      [['environment', 'router', 'conntrack'], () => env.router.conntrack !== null, ''],
    ];
    for (const [path, set, hint] of used) if (set()) problem(path, `only with environment.topology: routed${hint}`);
  },
  // nft rules change the firewall of the namespace they are loaded in: only the run's own.
  (s, problem) => {
    if (s.faults.length > 0 && s.environment.isolation === 'host') {
      problem(['environment', 'isolation'], 'faults are applied inside the run\'s own namespace, never on the host: expected netns or auto');
    }
  },
  (s, problem) => {
    if (s.faults.length > 0 && s.target !== null) {
      problem(['target'], 'faults need the bundled or own server in the run\'s namespace, not an external target: leave target out');
    }
  },
  (s, problem) => {
    if (s.close.server === 'never' && s.close.first !== 'client') {
      problem(['close', 'server'], 'close.server "never" waits for the client\'s FIN and then leaks the socket: it needs close.first: client (otherwise nobody closes)');
    }
  },
  (s, problem) => {
    if (s.server.command !== null && s.server.maxOpenFiles !== null) {
      problem(['server', 'maxOpenFiles'], 'server.maxOpenFiles limits the bundled server; with server.command, set the limit in your command (prlimit --nofile=N:N …)');
    }
  },
  (s, problem) => {
    if (s.server.command !== null && s.server.restart !== null) {
      problem(['server', 'restart'], 'the restart phase needs the bundled server; with server.command, leave server.restart out');
    }
  },
  (s, problem) => {
    if (s.server.command !== null && s.server.port === 0) {
      problem(['server', 'port'], 'with server.command, set the fixed port the command listens on (not 0: twstorm waits for a listener on it)');
    }
  },
  // Settings of the bundled server's own sockets and close do nothing to a server.command: a
  // value other than the default is refused, never silently ignored (an audit ran backlog 10,
  // reusePort and close.server rst against its own server without a word).
  (s, problem) => {
    if (s.server.command === null) return;
    const yours = 'describes the bundled server; with server.command, your server';
    const bundled = BUNDLED_SERVER_DEFAULTS;
    if (s.server.backlog !== bundled.backlog) problem(['server', 'backlog'], `${yours} sets its own listen() backlog: leave server.backlog out`);
    if (s.server.reuseAddr !== bundled.reuseAddr) problem(['server', 'reuseAddr'], `${yours} sets its own SO_REUSEADDR: leave server.reuseAddr out`);
    if (s.server.reusePort !== bundled.reusePort) problem(['server', 'reusePort'], `${yours} sets its own SO_REUSEPORT: leave server.reusePort out`);
    if (s.server.listeners !== bundled.listeners) problem(['server', 'listeners'], `${yours} opens its own listeners: leave server.listeners out`);
    if (s.close.server !== bundled.close) problem(['close', 'server'], `${yours} closes as it is written to (taken to be a FIN): leave close.server out`);
  },
  // nft's reject never answers an RST with an RST (nf_reject_ip_tcphdr_get: "No RST for RST",
  // RFC 793 §3.4): such a rule only drops, and the finding said the RSTs were answered.
  (s, problem) => {
    s.faults.forEach((f, i) => {
      if (f.packets === 'rst' && f.action === 'reset') problem(['faults', i, 'action'], 'an RST is never answered with an RST (nft reject skips RSTs, RFC 793 §3.4), so this rule would only drop them: use action: drop');
    });
  },
  (s, problem) => {
    if (s.server.command !== null && s.server.ports > 1) {
      problem(['server', 'ports'], 'with server.command, the client connects to server.port only: leave server.ports out (its default is 1)');
    }
  },
  // An external target.
  (s, problem) => {
    if (s.target !== null && s.environment.isolation !== 'host') {
      problem(['target'], 'an external target needs environment.isolation: host (a fresh namespace holds only the run\'s own loopback), or --isolation host');
    }
  },
  (s, problem) => {
    if (s.target !== null && s.server.command !== null) problem(['target'], 'target and server.command exclude each other: either twstorm starts your server or it loads one already running');
  },
  (s, problem) => {
    if (s.target !== null && !s.target.loopback && !s.allowRemoteTarget) {
      problem(['target'], `${s.target.host} is not a loopback address: twstorm refuses to load someone else's machine by accident; pass --allow-remote-target (or set allowRemoteTarget: true) if this is yours`);
    }
  },
];

/**
 * The cross-field problems of a parsed scenario. With `invalid` (the paths of the fields that
 * failed on their own, replaced by their defaults in `s`), a rule that reads any of them, or
 * inside or around one, is left out: its answer would be about a value the user did not write.
 */
export function crossFieldProblems(s: ScenarioFields, invalid?: readonly PathSegment[][]): CrossFieldIssue[] {
  const out: CrossFieldIssue[] = [];
  for (const rule of RULES) {
    const reads: PathSegment[][] = [];
    const found: CrossFieldIssue[] = [];
    // `input` is read from the plain value: the report is not one of the rule's reads.
    rule(invalid ? tracked(s, [], reads) : s, (path, message, input = valueAt(s, path)) => found.push({ path, message, input }));
    if (invalid && reads.some((read) => invalid.some((bad) => isPrefix(read, bad) || isPrefix(bad, read)))) continue;
    out.push(...found);
  }
  return out;
}

/** `target` is parsed into an object: its text is what the user wrote. */
function valueAt(s: ScenarioFields, path: readonly PathSegment[]): unknown {
  if (path.length === 1 && path[0] === 'target') return s.target?.text;
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | null | undefined)?.[k], s);
}

/**
 * `value` seen through a proxy that notes the path of every leaf the rule reads (a primitive,
 * null, an array's length, an object's keys); objects read on the way are proxied in turn.
 */
function tracked<T>(value: T, path: PathSegment[], reads: PathSegment[][]): T {
  if (value === null || typeof value !== 'object') return value;
  return new Proxy(value as object, {
    get(target, key, receiver) {
      const child: unknown = Reflect.get(target, key, receiver);
      if (typeof key === 'symbol' || typeof child === 'function') return child;
      // An array's length is the whole list: any wrong item may change it.
      if (Array.isArray(target) && key === 'length') {
        reads.push(path);
        return child;
      }
      const at = [...path, Array.isArray(target) && /^\d+$/.test(key) ? Number(key) : key];
      if (child !== null && typeof child === 'object') return tracked(child, at, reads);
      reads.push(at);
      return child;
    },
    ownKeys(target) {
      reads.push(path);
      return Reflect.ownKeys(target);
    },
  }) as T;
}

function isPrefix(prefix: readonly PathSegment[], path: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => segment === path[i]);
}
