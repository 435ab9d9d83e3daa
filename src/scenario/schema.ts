// The single source of truth for scenario files: runtime validation, the `Scenario` type the
// rest of twstorm codes against, and the JSON Schema editors use all come from this one value.
// Why one file of ~530 lines: it is one declaration, the scenario format, read as a reference;
// field builders, limits, sysctl and target rules live in fields.ts, limits.ts, sysctls.ts,
// target.ts, and the rules across fields in cross-field.ts.
import { z } from 'zod';
import { formatDuration } from './duration.js';
import { big, BUNDLED_SERVER_DEFAULTS, duration, integer, loopbackAddress, text } from './fields.js';
import * as L from './limits.js';
import { sysctlNameProblem, sysctlValueProblem } from './sysctls.js';
import { parseTarget } from './target.js';
import { parsePortRange } from './port-range.js';
import { crossFieldProblems } from './cross-field.js';

/** Adding a protocol is one entry here; the driver and server dispatch on it. */
export const PROTOCOLS = ['tcp', 'http'] as const;
/** How the HTTP driver (undici 7) treats connections; see `http.client` below. */
export const HTTP_CLIENTS = ['keepalive', 'connection-close', 'reset', 'agent-per-request', 'raw'] as const;
/** When the bundled HTTP server closes a connection; see `http.policy` below. */
export const HTTP_POLICIES = ['keepalive', 'close-after', 'wait-client', 'rst'] as const;
export const CLOSERS = ['client', 'server', 'both'] as const;
export const CLOSE_MODES = ['fin', 'rst', 'linger'] as const;
/** The server's modes: the client's, plus "never" (a server that leaks its connections). */
export const SERVER_CLOSE_MODES = [...CLOSE_MODES, 'never'] as const;
/** Lowest server.maxOpenFiles: Node and the server's threads hold about 30 descriptors of their own. */
export const MIN_SERVER_OPEN_FILES = 64;
export const ISOLATIONS = ['auto', 'netns', 'host'] as const;

// Spelled without the i flag: JSON Schema patterns carry no flags, and editors must agree.
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Only net.* sysctls can be per network namespace; sysctls.ts says which ones are. */
export const SYSCTL_KEY_PATTERN = /^net\.[a-z0-9_.]+$/;
/** A dotted path to a scenario field; record keys with dots (sysctl names) follow their record. */
export const MATRIX_KEY_PATTERN = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9_]+)*$/;

// DEFAULT_SYSCTLS lives in sysctls.ts (the run process needs it without the schema and zod).
export { DEFAULT_SYSCTLS } from './sysctls.js';

const RATE_EXPECTED = `expected a number of connections per second from ${L.MIN_RATE} to ${big(L.MAX_RATE)}, or null`;

/** One step of a ramp; the target's unit depends on the loop (checked on the whole scenario). */
const stageSchema = z
  .strictObject({
    duration: duration(0, L.MAX_RUN_MS).describe('How long the move from the previous target to this one takes; 0 jumps.'),
    target: z
      .number({ error: `expected a number from 0 to ${big(L.MAX_RATE)}` })
      .min(0, { error: `expected a number from 0 to ${big(L.MAX_RATE)}` })
      .max(L.MAX_RATE, { error: `expected a number from 0 to ${big(L.MAX_RATE)}` })
      .describe('Open loop: connections (under http: requests) per second at the end of this stage. Closed loop: connections in flight (an integer).'),
  }, { error: 'expected a stage like { duration: "30s", target: 500 }' });

const DURATION_HINT = 'A duration: "250us", "100ms", "30s", "1.5s", "2m", "1h", "1m30s" or a number of milliseconds.';

const closeSchema = z
  .strictObject({
    first: z
      .enum(CLOSERS)
      .default('client')
      .describe(
        'Which side closes first after the request/response exchange. The side that closes first ends in TIME_WAIT; "both" closes on both sides at once.',
      ),
    client: z
      .enum(CLOSE_MODES)
      .default('fin')
      .describe(
        'How the client closes: "fin" is a normal close; "rst" aborts (SO_LINGER 0) and leaves no TIME_WAIT; "linger" sets SO_LINGER to `lingerSeconds`, so close() blocks while unsent data drains (up to that long); Linux still sends the rest and closes with FIN, no RST, when the time runs out (measured in linger-timeout).',
      ),
    server: z
      .enum(SERVER_CLOSE_MODES)
      .default(BUNDLED_SERVER_DEFAULTS.close)
      .describe(
        'How the server closes: "fin" is a normal close; "rst" aborts (SO_LINGER 0) and leaves no TIME_WAIT; "linger" sets SO_LINGER to `lingerSeconds`; "never" (with first: client) reads the client\'s FIN and never calls close(), as a server that leaks its sockets: each stays in CLOSE_WAIT holding a descriptor until the run ends (EMFILE at `server.maxOpenFiles`), and the client\'s orphaned FIN_WAIT2 waits out net.ipv4.tcp_fin_timeout. No TIME_WAIT anywhere.',
      ),
    lingerSeconds: integer(1, L.MAX_LINGER_SECONDS)
      .default(1)
      .describe('For close mode "linger": SO_LINGER {1, n}. close() blocks up to n seconds while unsent data drains, then returns; the kernel still delivers the rest and closes with FIN (Linux does not reset on the timeout).'),
    delay: duration()
      .prefault(0)
      .describe(`How long the first closer waits after the exchange before closing. ${DURATION_HINT}`),
  })
  .prefault({})
  .describe('Who closes each connection, how, and when.');

const payloadSchema = z
  .strictObject({
    request: integer(0, L.MAX_PAYLOAD_BYTES).default(64).describe('Bytes the client sends on each connection.'),
    response: integer(0, L.MAX_PAYLOAD_BYTES).default(64).describe('Bytes the server sends back on each connection.'),
  })
  .prefault({})
  .describe('Sizes of the request/response exchange on each connection.');

const serverSchema = z
  .strictObject({
    host: loopbackAddress()
      .default('127.0.0.1')
      .describe('Address the bundled server listens on and the client connects to: a literal loopback address, 127.0.0.0/8 or ::1 (no host names: no DNS lookup, no traffic off the machine).'),
    port: integer(0, 65535)
      .default(7000)
      .describe('Port the bundled server listens on; 0 picks a free port.'),
    ports: integer(1, 1024)
      .default(1)
      .describe('Listen on this many consecutive ports from `port`, each a separate destination; the client spreads its connections over them round-robin (per-destination port limits).'),
    backlog: integer(1, L.MAX_BACKLOG)
      .default(BUNDLED_SERVER_DEFAULTS.backlog)
      .describe('listen() backlog (the kernel caps it at net.core.somaxconn).'),
    reuseAddr: z
      .boolean()
      .default(BUNDLED_SERVER_DEFAULTS.reuseAddr)
      .describe('SO_REUSEADDR on the listening socket. Node always sets it; false makes a native listener without it, so a restart over TIME_WAIT fails with EADDRINUSE.'),
    reusePort: z
      .boolean()
      .default(BUNDLED_SERVER_DEFAULTS.reusePort)
      .describe('SO_REUSEPORT: lets `listeners` sockets share one port (Linux 3.9+); the kernel spreads connections over them. When the listeners divide evenly among the server engine threads, each thread accepts from its own share (as nginx `reuseport`); otherwise every thread watches every listener.'),
    listeners: integer(1, 64)
      .default(BUNDLED_SERVER_DEFAULTS.listeners)
      .describe('Listening sockets per port; more than 1 needs reusePort: true. Accepts are counted per listener.'),
    restart: z
      .strictObject({
        timeout: duration()
          .prefault('5s')
          .describe(`How long to keep trying to listen again. ${DURATION_HINT}`),
        retryEvery: duration(1)
          .prefault('100ms')
          .describe(`Pause between two attempts. ${DURATION_HINT}`),
        resume: integer(0, L.MAX_COUNT)
          .default(200)
          .describe('Connections to make after the restart attempts (refused while the server could not listen).'),
      })
      .nullable()
      .default(null)
      .describe('A phase after the load: stop the server, then try to listen on the same port(s) again at once and every `retryEvery` for up to `timeout`, then resume the load. Each attempt\'s outcome is recorded.'),
    command: z
      .union(
        [
          text(L.MAX_STRING_LENGTH, 'a shell command line').min(1, { error: 'expected a shell command line or an argv list' }),
          z
            .array(text(L.MAX_STRING_LENGTH, 'an argument'))
            .min(1, { error: 'expected an argv list with at least the program' })
            .max(1000, { error: 'expected an argv list of at most 1000 arguments' }),
        ],
        { error: 'expected a shell command line (string) or an argv list (array of strings)' },
      )
      .nullable()
      .default(null)
      .describe(
        'Bring your own server: start this command (a shell string, run with /bin/sh -c, or an argv list) inside the run\'s namespace instead of the bundled server, and wait until something listens on `host`:`port`. It runs in twstorm\'s working directory with TWSTORM_HOME (the twstorm package, where examples/ is), TWSTORM_SERVER_DIR (a scratch directory for this run), TWSTORM_SERVER_HOST and TWSTORM_SERVER_PORT in its environment; its stdout/stderr go to <result>.server.log; at the end it gets SIGTERM, then SIGKILL after `stopTimeout` (its whole process group and PID namespace). It must stay in the foreground (nginx: `daemon off`); it is never PID 1 of that namespace (`exec` in a command line included), so it gets SIGTERM even without a handler, and a command line stops at the step that is running.',
      ),
    maxOpenFiles: integer(MIN_SERVER_OPEN_FILES, L.MAX_IN_FLIGHT)
      .nullable()
      .default(null)
      .describe(
        `The bundled server process's open-file limit (RLIMIT_NOFILE, soft and hard, set with prlimit(1) as it starts); Node and the server's threads use about 30 of them (with a limit the native engine runs at most one thread per 32), every connection it holds one more. Past it accept() fails with EMFILE: the server resets that connection (as libuv does) and counts it in its errors (the native engine; under Node's net, libuv hides it). null: the limit twstorm runs with. At least ${MIN_SERVER_OPEN_FILES}.`,
      ),
    readyTimeout: duration(1)
      .prefault('10s')
      .describe(`With command: how long to wait for the server to listen on \`port\` before giving up (exit 1 with its last output lines). ${DURATION_HINT}`),
    stopTimeout: duration()
      .prefault('5s')
      .describe(`With command: how long the server may take to exit after SIGTERM before it is killed (SIGKILL). ${DURATION_HINT}`),
  })
  .prefault({})
  .describe('Where and how the bundled server (or the user\'s `command`) listens.');

const clientSchema = z
  .strictObject({
    sourceAddresses: z
      .array(
        z
          .ipv4({ error: 'expected a loopback IPv4 address like "127.0.0.2"' })
          .regex(/^127\./, { error: 'expected a loopback IPv4 address like "127.0.0.2" (the run talks to its own namespace only)' }),
      )
      .max(L.MAX_SOURCE_ADDRESSES, { error: `expected at most ${L.MAX_SOURCE_ADDRESSES} source addresses` })
      .default([])
      .describe(
        'Loopback source addresses (127.0.0.0/8, all local on lo) to connect from; each brings its own ephemeral port range per destination (the client meets every address with every destination in turn).',
      ),
    bind: z
      .boolean()
      .default(false)
      .describe('Bind before connect (bind(addr, port) then connect()): a port bound this way is held for every destination, unless `bindAddressNoPort`.'),
    localPorts: z
      .string()
      .regex(/^\d{1,5}-\d{1,5}$/, { error: 'expected a port range like "40000-40499"' })
      .nullable()
      .default(null)
      .describe('With bind: take local ports from this range in turn instead of letting the kernel pick (null): each port with each source address, then each destination.'),
    reuseAddr: z.boolean().default(false).describe('With bind: SO_REUSEADDR on the client socket before bind().'),
    bindAddressNoPort: z
      .boolean()
      .default(false)
      .describe('With bind and no localPorts: IP_BIND_ADDRESS_NO_PORT (Linux 4.2+), so the port is chosen at connect() per destination.'),
    portRange: z
      .string()
      .refine((v) => parsePortRange(v) !== null, { error: 'expected a port range like "40000-40999" (1 <= low <= high <= 65535)' })
      .nullable()
      .default(null)
      .describe(
        'IP_LOCAL_PORT_RANGE (Linux 6.3+) on every client socket before connect (or before bind to port 0): the kernel picks its ephemeral port from this range ("low-high") instead of the whole net.ipv4.ip_local_port_range, still skipping net.ipv4.ip_local_reserved_ports, and scans it port by port (not even ports first). It must lie inside the namespace\'s ip_local_port_range (the kernel ignores a bound outside it). protocol tcp and http.client raw only, set by the native engine (the `net` fallback cannot set it before connect, so such a run is refused); not with client.localPorts. null: the namespace\'s range.',
      ),
    readDelay: duration()
      .prefault(0)
      .describe(`Wait this long after connecting before reading the response (a slow reader leaves the server's data unsent). ${DURATION_HINT}`),
    idleTimeout: duration(1, L.MAX_WAIT_MS)
      .prefault('10s')
      .describe(`How long a connection may wait for the server (its response, or after the client's FIN the server's FIN) before the client gives up: ETIMEDOUT in that phase, then close(). Against a server that never closes (close.server never) every connection ends this way. ${DURATION_HINT}`),
  })
  .prefault({})
  .describe('How the client makes its connections.');

/** A fixed service delay, or one drawn uniformly from [min, max]; output is always { min, max } in ms. */
const serviceDelaySchema = z
  .union([
    duration(),
    z.strictObject({
      min: duration().describe(`Shortest delay. ${DURATION_HINT}`),
      max: duration().describe(`Longest delay. ${DURATION_HINT}`),
    }),
  ], { error: `expected a duration from 0ms to ${formatDuration(L.MAX_WAIT_MS)} (like "2ms") or { min, max } of them` })
  .transform((value, ctx) => {
    const range = typeof value === 'number' ? { min: value, max: value } : value;
    if (range.min > range.max) {
      ctx.addIssue({ code: 'custom', message: 'expected min <= max', input: value });
      return z.NEVER;
    }
    return range;
  });

const httpSchema = z
  .strictObject({
    requests: integer(1, L.MAX_COUNT)
      .default(5000)
      .describe('protocol http: total requests to send (in a routed lab: per client host). The run stops when they are done or when `duration` is over. (`connections` is not used under http: how many connections the requests need is what the run measures.)'),
    client: z
      .enum(HTTP_CLIENTS)
      .default('keepalive')
      .describe(
        'protocol http, how the undici client uses connections: "keepalive" reuses pooled connections (the healthy baseline); "connection-close" sends `Connection: close` on every request; "reset" sets undici\'s `reset: true` (undici 7 sends `connection: close` for it too, and closes its socket after the response); "agent-per-request" makes a new undici Client for every request and closes it afterwards (the classic bug); "raw" skips undici: engine threads write a GET themselves and read the response (Content-Length or chunked), `requestsPerConnection` per connection (1: `Connection: close`) — churn at wrk speed, but not what a real Node client does.',
      ),
    // Visible ASCII only (RFC 9112 §3.2: a request-target has no space or control character):
    // undici refuses any other path on every request (UND_ERR_INVALID_ARG, its invalidPathRegex),
    // and the raw client would write it into the request line as it is.
    path: z
      .string()
      .max(2048)
      .regex(/^\/[\x21-\x7e]*$/, { error: 'expected a request target like "/bytes/512": "/" and then visible ASCII, no space (percent-encode others, e.g. %20)' })
      .default('/')
      .describe('protocol http: the request target of each GET (the bundled server answers /bytes/N with N bytes of body).'),
    requestsPerConnection: integer(1, L.MAX_COUNT)
      .default(1)
      .describe('protocol http, client raw: requests sent on a connection before the client closes it; 1 sends `Connection: close` (the undici pool decides this itself: another value is refused with an undici client).'),
    connections: integer(1, L.MAX_IN_FLIGHT)
      .nullable()
      .default(null)
      .describe('protocol http: connection limit of the undici pool (pipelining 1). null means `concurrency`, or a closed loop\'s highest stage target when `stages` climb above it.'),
    policy: z
      .enum(HTTP_POLICIES)
      .default('keepalive')
      .describe(
        'protocol http, when the bundled server closes: "keepalive" keeps connections open (until `keepAliveTimeout` idle or `maxRequestsPerConnection`) and, like any RFC 7230 §6.6 server, closes after answering a `Connection: close` request; "close-after" answers with `Connection: close` after `closeAfter` requests on a connection and closes first (TIME_WAIT on the server); "wait-client" never closes first, even when asked to, so the client does (TIME_WAIT on the client); "rst" aborts each connection with RST (SO_LINGER 0) after the response: no TIME_WAIT.',
      ),
    keepAliveTimeout: duration(0, L.MAX_KEEPALIVE_MS)
      .prefault('5s')
      .describe(`protocol http: the server closes a connection idle this long (Node's server.keepAliveTimeout; 0 = no keep-alive timer, though a run still cuts connections idle for 10 s). ${DURATION_HINT}`),
    maxRequestsPerConnection: integer(0, L.MAX_COUNT)
      .default(0)
      .describe('protocol http, policy keepalive: the server answers the Nth request on a connection with `Connection: close` and closes (Node\'s maxRequestsPerSocket). 0 = no limit.'),
    closeAfter: integer(1, L.MAX_COUNT)
      .default(1)
      .describe('protocol http, policy close-after: requests served on a connection before the server closes it.'),
    body: integer(0, L.MAX_PAYLOAD_BYTES)
      .default(64)
      .describe('protocol http: bytes in the response body of GET /.'),
    serviceDelay: serviceDelaySchema
      .prefault(0)
      .describe(`protocol http: how long the server waits before answering each request, fixed ("2ms") or uniform in { min: "1ms", max: "5ms" }. ${DURATION_HINT}`),
  })
  .prefault({})
  .describe('protocol http only (ignored under tcp): the requests the undici client sends, and how the bundled HTTP/1.1 server answers and closes. Under http, `connections`, `payload` and `close` are not used, and refused when given (unless a matrix varies `protocol`).');

const targetSchema = text(L.MAX_STRING_LENGTH, '"host:port", "[v6]:port" or an http:// URL')
  .nullable()
  .default(null)
  .transform((value, ctx) => {
    if (value === null) return null;
    const target = parseTarget(value);
    if (typeof target === 'string') {
      ctx.addIssue({ code: 'custom', message: target, input: value });
      return z.NEVER;
    }
    return target;
  })
  .describe(
    'An external target instead of a server the run starts: "host:port", "[::1]:port" or "http://host:port/" (HTTP). Needs environment.isolation: host; no server is started and no sysctl is changed, and the host\'s own sockets are counted with the run\'s. Only loopback unless allowRemoteTarget (`--allow-remote-target`).',
  );

export const sysctlKey = z
  .string()
  .regex(SYSCTL_KEY_PATTERN, {
    error: 'expected a per-network-namespace sysctl name like "net.ipv4.tcp_tw_reuse" (only net.* can be set)',
  })
  .superRefine((name, ctx) => {
    const problem = sysctlNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: name });
  });

/** Each value the kernel would refuse, said at its own key with the file's other problems. */
function checkSysctlValues(sysctls: Record<string, string | number>, ctx: z.RefinementCtx): void {
  for (const [name, value] of Object.entries(sysctls)) {
    const problem = sysctlValueProblem(name, value, sysctls);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: [name], input: value });
  }
}

const sysctlRecord = (what: string) =>
  z
    .record(sysctlKey, z.union([z.string(), z.number()], { error: 'expected a string or a number' }))
    .superRefine(checkSysctlValues)
    .default({})
    .describe(`topology routed: per-namespace sysctls of ${what}, applied over environment.sysctls.`);

const labHostSchema = (what: string) =>
  z.strictObject({ sysctls: sysctlRecord(what) }).prefault({}).describe(`topology routed: ${what}.`);

const natSchema = z
  .strictObject({
    addresses: integer(1, 254).default(1).describe('Pool addresses (198.19.1.1 onwards, inside 198.18.0.0/15).'),
    ports: z
      .string()
      .regex(/^\d{1,5}-\d{1,5}$/, { error: 'expected a port range like "40000-40099"' })
      .default('1024-65535')
      .describe('Source ports the router may give each pool address, low-high.'),
    randomFully: z.boolean().default(false).describe('nft `fully-random` (iptables --random-fully): a random port per connection instead of the kernel\'s search from the start of the range.'),
  })
  .nullable()
  .default(null)
  .describe('topology routed: SNAT in the router to a pool of addresses × ports (a NAT gateway, a Kubernetes node). One translated tuple per pool address and port per destination; each client host uses one pool address (the kernel picks it by a hash of source and destination address), so more addresses than client hosts add nothing.');

const conntrackSchema = z
  .strictObject({
    max: integer(1, L.MAX_COUNT)
      .nullable()
      .default(null)
      .describe('nf_conntrack_max. Linux lets only the host\'s namespace change it, so a run refuses it (twstorm never changes host settings); kept so the refusal says why.'),
    limit: integer(1, L.MAX_COUNT)
      .nullable()
      .default(null)
      .describe('Emulates a full conntrack table (nf_conntrack_max is host-only on this kernel): an nftables rule in the router (`ct count over N`) drops the SYN of a new TCP flow while N open flows are tracked; its counter (dropped SYNs) is in lab.router.conntrack.limit.'),
    timeouts: z
      .partialRecord(
        z.enum(['syn_sent', 'syn_recv', 'established', 'fin_wait', 'close_wait', 'last_ack', 'time_wait', 'close', 'unacknowledged', 'max_retrans'], {
          error: 'expected a TCP conntrack state like "time_wait"',
        }),
        // The kernel's longest default (established) is 5 days; 10 days is room enough.
        integer(1, 864_000),
      )
      .default({})
      .describe('Seconds per TCP state (net.netfilter.nf_conntrack_tcp_timeout_<state>, per namespace), e.g. {time_wait: 120}.'),
  })
  .nullable()
  .default(null)
  .describe('topology routed: the router\'s connection tracking (always on in a routed lab; observed over time).');

const routerSchema = z
  .strictObject({ sysctls: sysctlRecord('the router'), nat: natSchema, conntrack: conntrackSchema })
  .prefault({})
  .describe('topology routed: the router between the client hosts and the server host.');

/** What a fault rule matches; src/environment/faults.ts turns each into an nftables expression. */
export const FAULT_PACKETS = ['final-ack', 'fin', 'syn', 'syn-ack', 'rst', 'any'] as const;
export const FAULT_DIRECTIONS = ['to-server', 'to-client', 'both'] as const;
export const FAULT_ACTIONS = ['drop', 'reset'] as const;

const PERCENT_EXPECTED = 'expected a percentage from 1 to 100';
const faultSchema = z
  .strictObject({
    packets: z
      .enum(FAULT_PACKETS)
      .describe(
        'Which TCP segments: "final-ack" the bare ACK that moves a connection into TIME_WAIT (the last packet of the close), "fin" any segment with FIN, "syn" a SYN without ACK, "syn-ack", "rst", "any" every TCP segment.',
      ),
    direction: z.enum(FAULT_DIRECTIONS).default('both').describe('"to-server": segments sent to the server\'s port(s), "to-client": segments sent from them, "both".'),
    action: z
      .enum(FAULT_ACTIONS)
      .default('drop')
      .describe('"drop": the segment is lost. "reset": the segment is lost and its sender gets an RST in its place (nft reject with tcp reset), as from a peer that no longer knows the connection; on a final ACK that RST lands on the new TIME_WAIT socket (rfc1337-assassination).'),
    count: integer(1, L.MAX_COUNT).nullable().default(null).describe('Only the first N matching segments (retransmissions count); null: every one.'),
    percent: z
      .number({ error: PERCENT_EXPECTED })
      .int({ error: PERCENT_EXPECTED })
      .min(1, { error: PERCENT_EXPECTED })
      .max(100, { error: PERCENT_EXPECTED })
      .default(100)
      .describe('Of the matching segments, this percentage at random (nft numgen random); 100: all of them.'),
  })
  .describe('One fault rule; its nft counter is recorded in the result\'s `faults`.');

const faultsSchema = z
  .array(faultSchema, { error: 'expected a list of fault rules like { packets: final-ack, direction: to-server, count: 200 }' })
  .max(16, { error: 'expected at most 16 fault rules' })
  .default([])
  .describe(
    'Faults on the wire, applied with nftables inside the run\'s own namespace (never on the host; needs the nft command), in a routed lab by the router: drop or reset chosen TCP segments, the first N or P % at random, each counted. Delay and reordering would need tc netem (sch_netem), which these kernels do not ship; see docs/faults.md.',
  );

const environmentSchema = z
  .strictObject({
    isolation: z
      .enum(ISOLATIONS)
      .default('auto')
      .describe(
        'Where the run happens: "netns" in a fresh network namespace (clean TIME_WAIT table, private sysctls), "host" in the current one, "auto" a namespace when possible, else the host with a notice.',
      ),
    sysctls: z
      .record(sysctlKey, z.union([text(L.MAX_STRING_LENGTH), z.number()], { error: 'expected a string or a number' }))
      .refine((r) => Object.keys(r).length <= L.MAX_SYSCTLS, { error: `expected at most ${L.MAX_SYSCTLS} sysctls` })
      .superRefine(checkSysctlValues)
      .default({})
      .describe(
        'Per-namespace sysctls to set for the run, e.g. {"net.ipv4.tcp_tw_reuse": 1, "net.ipv4.ip_local_port_range": "32768 60999"}. Applied over the run defaults (net.ipv4.tcp_tw_reuse = 0). Only names the kernel keeps per network namespace are accepted (README.md lists them under "Limits"), and each must exist on this kernel.',
      ),
    topology: z
      .enum(['loopback', 'routed'])
      .default('loopback')
      .describe('"loopback": server and client on one lo in the run\'s namespace. "routed": client hosts, a router and a server host, each a namespace of its own joined by veth pairs (198.18.0.0/15, 2001:2::/48), so TIME_WAIT, counters and sysctls are per host; see docs/lab.md.'),
    clients: integer(1, 64).default(1).describe('topology routed: how many client hosts; each runs its own driver with `connections` of its own.'),
    ipv6: z.boolean().default(false).describe('topology routed: connect over IPv6 (2001:2::/48) instead of IPv4 (198.18.0.0/15).'),
    client: labHostSchema('each client host'),
    server: labHostSchema('the server host'),
    router: routerSchema,
  })
  .prefault({})
  .describe('The network environment the run happens in.');

/** The scenario's fields, each checked on its own; `scenarioSchema` adds the cross-field rules. */
export const scenarioFields = z
  .strictObject({
    name: z
      .string({ error: 'expected a name like "client-closes-first"' })
      .max(L.MAX_NAME_LENGTH, { error: `expected a name of at most ${L.MAX_NAME_LENGTH} characters (it becomes part of file names)` })
      .regex(NAME_PATTERN, {
        error: 'expected a name of letters, digits, ".", "_" and "-", starting with a letter or digit',
      })
      .describe('Short name of the scenario; used in report file names.'),
    description: text(L.MAX_DESCRIPTION_LENGTH).default('').describe('What the scenario shows and what to look for.'),
    protocol: z
      .enum(PROTOCOLS)
      .default('tcp')
      .describe('Protocol spoken on each connection: "tcp" (the echo exchange, closed as `close` says) or "http" (HTTP/1.1 requests through undici 7 to the bundled HTTP server, as the `http` block says).'),
    connections: integer(1, L.MAX_COUNT)
      .default(5000)
      .describe('Total connections to open (in a routed lab: per client host, see `environment.clients`). The run stops when they are done or when `duration` is over, whichever comes first.'),
    // At least 1ms: a load of 0 attempts no connection, and such a run failed after building its
    // namespace ("the load driver attempted no connection", exit 1).
    duration: duration(1, L.MAX_RUN_MS)
      .prefault('30s')
      .describe(`How long the load starts connections (with \`stages\`, at least their total; at least 1ms); those in flight then get \`gracefulStop\` to end. ${DURATION_HINT}`),
    gracefulStop: duration(0, L.MAX_WAIT_MS)
      .prefault('30s')
      .describe(`After \`duration\`, how long the connections (under http: requests) in flight get to end on their own, as k6's gracefulStop; then each still open is closed as it stands and counted as CUT_AT_STOP in the phase it was in. So \`duration\` + \`gracefulStop\` bounds the load whatever its timeouts and delays. ${DURATION_HINT}`),
    concurrency: integer(1, L.MAX_IN_FLIGHT)
      .default(64)
      .describe('Closed loop: how many connections (under http: requests) are in flight at once (in a routed lab: per client host; a new one starts when one finishes); with `stages`, the concurrency the ramp starts from. Ignored when `rate` is set.'),
    rate: z
      .number({ error: RATE_EXPECTED })
      .min(L.MIN_RATE, { error: RATE_EXPECTED })
      .max(L.MAX_RATE, { error: RATE_EXPECTED })
      .nullable()
      .default(null)
      .describe('Open loop: new connections (under http: requests) per second (in a routed lab: per client host, so 4 hosts at 1,000 make 4,000/s), started on schedule whatever the latency; with `stages`, the rate the ramp starts from. null means closed loop (see `concurrency`).'),
    stages: z
      .array(stageSchema, { error: 'expected a list of { duration, target } stages' })
      .max(L.MAX_STAGES, { error: `expected at most ${L.MAX_STAGES} stages` })
      .default([])
      .describe(
        'A ramp, k6-style: each stage moves the load linearly from the previous target (at first `rate`, or `concurrency` in a closed loop) to its own `target` over its `duration`; after the last one the last target holds until `duration` or `connections` ends the load. In an open loop (`rate` set) a target is connections (under http: requests) per second; in a closed loop, a number in flight. [] = a flat load.',
      ),
    maxInFlight: integer(1, L.MAX_IN_FLIGHT)
      .default(10000)
      .describe('Open loop only: cap on simultaneous connections (under http: requests), so a stalled server cannot exhaust file descriptors.'),
    threads: integer(1, 256)
      .nullable()
      .default(null)
      .describe('protocol tcp (and http with client raw): engine threads that make the connections (each a loop over raw sockets, on io_uring or epoll); `concurrency`, `rate` and `maxInFlight` are split over them. null means the CPUs this run may use. The `net` fallback engine (TWSTORM_NATIVE_SOCKETS=off) always uses one.'),
    connectTimeout: duration(1, L.MAX_WAIT_MS)
      .prefault('5s')
      .describe(`How long a connect may take before it counts as a timeout. ${DURATION_HINT}`),
    payload: payloadSchema,
    close: closeSchema,
    http: httpSchema,
    server: serverSchema,
    client: clientSchema,
    environment: environmentSchema,
    faults: faultsSchema,
    target: targetSchema,
    allowRemoteTarget: z
      .boolean()
      .default(false)
      .describe('Let `target` be an address outside loopback (127.0.0.0/8, ::1, localhost). Set by `twstorm run --allow-remote-target`; off, a typo cannot load-test someone else\'s machine.'),
    sample: duration(10, L.MAX_SAMPLE_MS)
      .prefault('100ms')
      .describe(`How often the cheap kernel files (/proc/net/sockstat, snmp, netstat) are polled; at least 10ms. ${DURATION_HINT}`),
    census: duration(10, L.MAX_SAMPLE_MS)
      .prefault('1s')
      .describe(`How often the full TCP state census runs (the kernel's socket table through netlink sock_diag, /proc/net/tcp{,6} without the native layer); 10-20 ms at 30,000 sockets, at least 10ms; also when sockstat moved ≥10 %, within 1 % of a core. ${DURATION_HINT}`),
    tail: duration()
      .prefault('2s')
      .describe(`How long the observers keep sampling after the load stops, to watch TIME_WAIT drain. With the bundled server the final census then waits (up to 10 s more) until the server has closed every connection it will close, so a server slowed by a busy machine does not leave FIN_WAIT2 counted where TIME_WAIT is coming. ${DURATION_HINT}`),
    repeat: integer(1, 100)
      .default(1)
      .describe('Run the scenario (each matrix variant) this many times, each in a fresh namespace, as one set: the report shows the spread (median, min–max) and `twstorm compare` judges rates and latencies against it. `run --repeat N` sets it.'),
    matrix: z
      .record(
        z.string().max(200).regex(MATRIX_KEY_PATTERN, { error: 'expected a field path like "close.first"' }),
        z
          .array(z.union([text(L.MAX_STRING_LENGTH), z.number(), z.boolean(), z.null()]), { error: 'expected a list of values' })
          .min(1, { error: 'expected a list of at least one value' })
          .max(L.MAX_VARIANTS, { error: `expected at most ${L.MAX_VARIANTS} values (a matrix runs at most ${L.MAX_VARIANTS} variants)` }),
      )
      .refine((r) => Object.keys(r).length <= L.MAX_MATRIX_KEYS, { error: `expected at most ${L.MAX_MATRIX_KEYS} fields to vary` })
      .default({})
      .describe(
        'Run one variant per combination of these field values, each in its own fresh namespace, and compare them, e.g. {"close.first": ["client", "server"], "close.client": ["fin", "rst"]} gives 4 runs.',
      ),
    thresholds: z
      .record(text(200, 'a figure path'), text(100, 'a comparison like "< 5" or "== 0"'))
      .refine((r) => Object.keys(r).length <= L.MAX_THRESHOLDS, { error: `expected at most ${L.MAX_THRESHOLDS} thresholds` })
      .default({})
      .describe(
        'Pass/fail gates over result figures, checked after the run: {"summary.errors.EADDRNOTAVAIL": "== 0", "summary.latencyMs.connect.p99": "< 5"}. A failed threshold makes `twstorm run` exit with code 3.',
      ),
  });

/** A scenario as its fields parse, before the cross-field rules (cross-field.ts) read it. */
export type ScenarioFields = z.output<typeof scenarioFields>;

export const scenarioSchema = scenarioFields
  // Only on a scenario whose every field is valid: zod would also run it after a number failed
  // its bound (duration -1), and the rules would judge that value. validate.ts runs them on the
  // valid parts of a file that has wrong fields.
  .superRefine(
    (s, ctx) => {
      for (const issue of crossFieldProblems(s)) ctx.addIssue({ code: 'custom', ...issue });
    },
    { when: (payload) => payload.issues.length === 0 },
  )
  .describe(
    `A twstorm scenario: the load to run, how connections close, and what to observe. A file is at most ${L.MAX_FILE_BYTES / 1024} KiB with ${L.MAX_KEYS} keys, nested at most ${L.MAX_DEPTH} levels, with at most ${L.MAX_ALIAS_COUNT} YAML alias expansions; every number has a maximum (README, "Limits").`,
  );

/** A validated scenario: defaults filled, durations in milliseconds. */
export type Scenario = z.output<typeof scenarioSchema>;
/** What a scenario file may contain before defaults and duration parsing. */
export type ScenarioInput = z.input<typeof scenarioSchema>;
