// The model held against a measured run: the inputs come from the result (port range,
// tcp_tw_reuse and tcp_max_tw_buckets as read back in the run's namespace, the scenario's
// rate and close policy, its source addresses, destinations and bind mode (topology-inputs.ts), or under http the request rate, the measured requests per connection and
// the closer its client mode and server policy make), and the predictions are set beside what the
// run measured.
// Pure (no I/O), so the HTML report can show the same table.
import type { RunResult } from '../result/model.js';
import { computePlan } from './model.js';
import { portsVisitedAtClose } from './connect-walk.js';
import { connectScanFromResult } from './connect-calibration.js';
import type { Closer, PlanInputs, PlanOutput } from './types.js';
import { DEFAULT_TW_SOCK_BYTES } from './machine.js';
import { countReserved } from '../scenario/port-range.js';
import { recordedPortRange } from '../result/build.js';
import { roundTo } from '../util/round.js';
import { int } from '../util/format.js';
import { ownServer, serverRequestLimit, timeWaitLanding } from '../scenario/close-semantics.js';
import { connectionLifeTail, exhaustedAfterMs, rateBeforeExhaustion, shortageHosts, sysctlNumber, timeWaitBeforeLoad, timeWaitSide } from '../result/figures.js';
import { namedTurn } from './named-turn.js';
import { natFixes, openFlowsMeasured, routerLimits } from './router-limits.js';
import { poolInputs } from './topology-inputs.js';
import { clientHosts, httpPoolConnections } from '../scenario/work.js';
import { labOf, serverSysctl } from '../result/lab.js';
import { connectsThroughPool, type NatLimit, type NatLimitInputs } from './nat-limit.js';
import { isLoopbackHost } from '../scenario/target.js';
import { FIN_TIME_MIN_SECONDS, FIN_TIMEOUT_DEFAULT_SECONDS, KERNEL_DEFAULT_PORTS, TIME_WAIT_SECONDS, TW_REUSE_DELAY_MS } from '../tcp-facts.js';
import { compileRamp, startsDueBy } from '../driver/shape/ramp.js';
import type { Scenario } from '../scenario/index.js';

export interface PredictedVsMeasured {
  label: string;
  /** Unit of both figures, e.g. "ms" or "sockets". */
  unit: string;
  predicted: number | null;
  measured: number | null;
  /** (measured − predicted) ÷ predicted, in percent; null when either is missing or predicted is 0. */
  errorPct: number | null;
}

export interface PlanFromResult {
  inputs: PlanInputs;
  /** Input name → where it came from ("result: environment.sysctls…", "assumed: …"). */
  sources: Record<string, string>;
  plan: PlanOutput;
  rows: PredictedVsMeasured[];
  /** True when the run ran into exhaustion (or the model says it should have): worth showing. */
  applicable: boolean;
  notes: string[];
  /** A routed lab's SNAT pool as a limit (as `plan --nat-pool` gives it), when the router translated. */
  nat?: { inputs: NatLimitInputs; limit: NatLimit };
}

export function planFromResult(result: RunResult): PlanFromResult {
  const { summary, scenario, environment } = result;
  const sysctls = environment.sysctls;
  const notes: string[] = [];
  const sources: Record<string, string> = {};

  const pools = poolInputs(scenario);
  // With client.portRange (IP_LOCAL_PORT_RANGE) the engine's sockets draw from the part of
  // it the kernel honours, as the result's own port range says (result/build.ts).
  // (Results written before client.portRange existed, or by hand, have none.)
  const perSocket = (scenario.client as Partial<typeof scenario.client> | undefined)?.portRange ?? null;
  const namespaceRange = recordedPortRange(sysctls['net.ipv4.ip_local_port_range'], perSocket);
  const range = pools.localPorts ?? namespaceRange ?? summary.ports.range;
  sources['portRange'] = pools.localPorts
    ? `result: scenario.client.localPorts ${scenario.client.localPorts}`
    : namespaceRange
      ? `result: environment.sysctls net.ipv4.ip_local_port_range${perSocket !== null ? `, narrowed by scenario.client.portRange ${perSocket}` : ''}`
      : range
        ? 'result: summary.ports.range'
        : `assumed: Linux default ${KERNEL_DEFAULT_PORTS.low}–${KERNEL_DEFAULT_PORTS.high}`;
  // connect() skips ports listed in ip_local_reserved_ports (inet_is_local_reserved_port); a
  // run records the list when it reads it back.
  const reservedList = sysctls['net.ipv4.ip_local_reserved_ports'];
  const portLow = range?.low ?? KERNEL_DEFAULT_PORTS.low;
  const portHigh = range?.high ?? KERNEL_DEFAULT_PORTS.high;
  const reservedPorts = pools.localPorts || reservedList == null ? 0 : countReserved(String(reservedList), portLow, portHigh);
  const twReuse = Number(sysctls['net.ipv4.tcp_tw_reuse'] ?? 2);
  sources['twReuse'] = sysctls['net.ipv4.tcp_tw_reuse'] != null ? 'result: environment.sysctls' : 'assumed: 2';
  // TCP timestamps go on a connection only when both ends have them on (the server answers a
  // SYN's TS option only if its own tcp_timestamps allows), and tcp_twsk_unique reuses nothing
  // without them: a routed lab's server host counts too (an audit: tcp_timestamps=0 planned
  // "fits, never" where 1,500 connects failed).
  const clientTs = sysctls['net.ipv4.tcp_timestamps'];
  const serverTs = labOf(result) !== null ? serverSysctl(result, 'net.ipv4.tcp_timestamps') : null;
  const timestamps = serverTs != null && Number(serverTs) === 0 ? 0 : Number(clientTs ?? 1);
  sources['timestamps'] =
    serverTs != null && Number(serverTs) === 0 && Number(clientTs ?? 1) !== 0
      ? "result: the server host's net.ipv4.tcp_timestamps 0 (no timestamps on its connections)"
      : clientTs != null
        ? 'result: environment.sysctls'
        : 'assumed: 1 (the kernel default; the run did not record net.ipv4.tcp_timestamps)';

  // exhaustedAtMs is on the run clock, which starts before the server and the observers.
  const exhaustedMs = exhaustedAfterMs(result);

  // HTTP: the model's rate is requests/s, and the share of requests that went over a connection
  // already open is what the run measured (requests per connection), so new connections/s =
  // requests/s × (1 − share), as in `twstorm plan --keep-alive`.
  const http = scenario.protocol === 'http' ? (summary.requests ?? null) : null;
  const measuredShare = http === null ? 0 : Math.min(1, Math.max(0, 1 - 1 / Math.max(1, http.perConnection)));
  // In a routed lab each client host runs the scenario's load of its own (environment.clients).
  const hosts = clientHosts(scenario);
  // Several client hosts each run out on their own, at their own pace (their loads start on one
  // 'go', but 3,379 and 2,508/s were measured side by side): each host's count and time to its
  // shortage (shortageHosts), when every host's range ran out. The model's hosts are alike, so
  // what it predicts is their mean time, not the first one's.
  const hostShortages = hosts > 1 ? shortageHosts(result) : null;
  const everyHost = hostShortages !== null && hostShortages.length === hosts && hostShortages.every((h) => h.ratePerSec !== null) ? hostShortages : null;
  const hostsRate = everyHost === null ? null : everyHost.reduce((sum, h) => sum + h.ratePerSec!, 0);
  const hostsMeanMs = everyHost === null ? null : everyHost.reduce((sum, h) => sum + h.afterMs, 0) / hosts;
  // A keep-alive pool that opened no more connections than it holds never churned: every one
  // lived until the pool closed at the end. Its requests per connection only say how long the
  // run was (a capacity audit: 144 TIME_WAIT predicted at steady state, 12 measured, and 72 for
  // a run twice as long), so at steady state it opens none.
  // A server with a request limit (serverRequestLimit: policy rst, close-after, or
  // maxRequestsPerConnection) closes each connection after that many requests: a steady load
  // churns there even if this run ended first, so the limit, not the run, gives the share (a
  // review: 0 new conn/s predicted where close-after 100 at 1,000/s makes 10).
  const pool = http !== null && scenario.http.client === 'keepalive' ? httpPoolConnections(scenario) * hosts : null;
  const poolNeverChurned = pool !== null && summary.connections.established <= pool;
  const requestLimit = http === null ? null : serverRequestLimit(scenario);
  const keepAliveShare = poolNeverChurned ? (requestLimit !== null ? 1 - 1 / requestLimit.requests : 1) : measuredShare;

  let rate: number;
  // An open loop's ramp, each client host's own (a result from before stages were recorded has none).
  const openRamp = scenario.rate != null ? ((scenario as { stages?: Scenario['stages'] }).stages ?? []) : [];
  const stages = openRamp.map((s) => ({ duration: s.duration, target: s.target * hosts }));
  if (scenario.rate !== null && scenario.rate !== undefined) {
    rate = scenario.rate * hosts;
    sources['rate'] = `result: scenario.rate${stages.length > 0 ? ' and stages' : ''}${hosts > 1 ? ` × ${hosts} client hosts` : ''} (open loop: the offered ${http ? 'requests/s' : 'rate'})`;
  } else if (exhaustedMs !== null && exhaustedMs > 0 && pools.localPorts === null) {
    // (Named ports in turn run out connect by connect, the first often in the start's burst: the
    // rate up to it is not the load's (a review: 5,500/s for a run of 1,948/s), so they take the
    // measured rate below.)
    // A closed loop has no offered rate; the rate it reached before the ports ran out is the
    // best stand-in, which makes the exhaustion-time check close to circular (said below).
    // Established before the first shortage (summary.ports): connections made once ports came
    // back (tcp_tw_reuse, a server-first close) are not the rate that ran them out. All of them
    // in a result from before that count. (The row below compares the pools with every
    // connection the kernel let through: with several pools the first to run dry is not the
    // last — 759 of 1,000 when one engine thread's address ran out first.)
    // Several client hosts: their counts added over the first one's time made several-clients
    // 10,911/s where its hosts' own rates add up to 11,684/s. Each host's own rate, added.
    const before = summary.ports.establishedBeforeExhaustion ?? summary.connections.established;
    const connectionRate = hostsRate ?? (before / exhaustedMs) * 1000;
    rate = http && keepAliveShare < 1 ? connectionRate / (1 - keepAliveShare) : connectionRate;
    const measuredHow = hostsRate !== null ? `each of the ${hosts} client hosts' established ÷ its own time to exhaustion, added` : 'established ÷ time to exhaustion';
    sources['rate'] = `measured: ${measuredHow}${http ? ' × requests per connection' : ''} (closed loop)`;
    notes.push('closed loop: the rate is measured up to exhaustion, so predicted exhaustion agrees almost by construction; the TIME_WAIT peak is the real check');
  } else if (http) {
    rate = http.ratePerSec;
    sources['rate'] = 'measured: summary.requests.ratePerSec (closed loop)';
  } else {
    rate = summary.connections.ratePerSec;
    sources['rate'] = 'measured: summary.connections.ratePerSec (closed loop)';
  }

  // Who holds TIME_WAIT, asked of the one module that decides it; the model's "rst" is "none".
  // A user's server (or a target) closes by its own policy, which the scenario does not say:
  // there the run's own census is the answer (server TIME_WAIT only: it closed first).
  const own = ownServer(scenario);
  const tw = summary.timeWait;
  // Against your own server both sides may hold some: the side that held the most closed first
  // on most connections, and the model follows it (an audit: client 32, server 468 was planned
  // as a client closer, 500 TIME_WAIT on the client and "let the server close first").
  const measuredSide = timeWaitSide(tw);
  const measured = measuredSide === 'both' ? (tw.peakServer > tw.peakClient ? 'server' : 'client') : measuredSide;
  const predicted = timeWaitLanding(scenario);
  const landing = own ? { ...predicted, side: measured, race: false, clientHoldsPorts: measured === 'client', closeWait: null } : predicted;
  if (own && measuredSide === 'both') {
    notes.push(
      `your own server: TIME_WAIT on both sides (client ${tw.peakClient}, server ${tw.peakServer} at the peak); the model follows the ${measured}, which closed first on most connections, and leaves the ${measured === 'server' ? 'client' : 'server'}'s share out`,
    );
  }
  // A server that never closes leaves no TIME_WAIT, but the client's orphaned FIN_WAIT2 holds
  // each port for tcp_fin_timeout (60 s by default) just as TIME_WAIT would: for ports, a client closer.
  const closer: Closer = landing.closeWait !== null ? 'client' : landing.side === 'none' ? 'rst' : landing.side === 'server' ? 'server' : 'client';
  // That FIN_WAIT2 lasts the run's tcp_fin_timeout (tcp_close → tcp_time_wait(sk, TCP_FIN_WAIT2,
  // tcp_fin_time()), at least 3.5 RTOs), not TCP_TIMEWAIT_LEN: a close-wait-leak run at
  // tcp_fin_timeout 5 reused its ports after ~6 s and never ran out where a 60 s hold said 6.7 s.
  const finWait2Sec = landing.closeWait === null ? null : Math.max(FIN_TIME_MIN_SECONDS, sysctlNumber(result, 'net.ipv4.tcp_fin_timeout') ?? FIN_TIMEOUT_DEFAULT_SECONDS);
  const where = landing.closeWait !== null ? `nowhere (CLOSE_WAIT on the ${landing.closeWait}, FIN_WAIT2 on its peer)` : landing.side === 'none' ? 'nowhere (RST)' : landing.race ? 'on either side' : landing.side === 'both' ? 'on both sides' : `on the ${landing.side}`;
  sources['closer'] = own
    ? `measured: the run's census (your own server closes by its own policy): TIME_WAIT ${where}`
    : scenario.protocol === 'http'
      ? `result: scenario.http (client ${scenario.http.client}, policy ${scenario.http.policy}): TIME_WAIT ${where}`
      : `result: scenario.close (first ${scenario.close.first}, client ${scenario.close.client}, server ${scenario.close.server}): TIME_WAIT ${where}`;
  if (landing.race) {
    // Why they race is the scenario's: a Connection: close request, or the server's request limit.
    notes.push(`${landing.why}: the two FINs race and TIME_WAIT lands on either side; the model follows the client side, whose ports are held`);
  } else if (landing.side === 'both') {
    notes.push('both sides close: TIME_WAIT on both; the model follows the client side, whose ports are held');
  }
  if (!own && scenario.protocol === 'http' && scenario.http.policy === 'rst') {
    notes.push('here the server sends the RST (policy rst); for the client\'s ports it is the same: none is held after close');
  } else if (landing.closeWait !== null) {
    notes.push(
      `the server never closes (close.server never): no TIME_WAIT, but each client port stays held by an orphaned FIN_WAIT2 for net.ipv4.tcp_fin_timeout (${finWait2Sec} s here), as TIME_WAIT would hold it, so the model counts those as the client's TIME_WAIT (the census shows them as FIN_WAIT2, which /proc/net/sockstat counts with TIME_WAIT: the measured figure); each server socket in CLOSE_WAIT holds a descriptor, which the model does not follow`,
    );
  } else if (landing.side === 'none') {
    notes.push('an RST ends each connection: no TIME_WAIT on either side, and no client port is held after close');
  }

  // The TIME_WAIT table of the side that holds it: a routed lab's server host has its own
  // (an audit: the client's 131,072 planned "enough" where the server host's 100 overflowed).
  const routedServer = closer === 'server' && labOf(result) !== null;
  const bucketsSetting = routedServer ? serverSysctl(result, 'net.ipv4.tcp_max_tw_buckets') : (sysctls['net.ipv4.tcp_max_tw_buckets'] ?? null);
  const buckets = Number(bucketsSetting ?? 262144);
  sources['maxTwBuckets'] =
    bucketsSetting == null ? 'assumed: 262,144' : routedServer ? "result: the server host's environment.server.sysctls (else environment.sysctls, else the client host's read-back)" : 'result: environment.sysctls';

  // tcp_tw_reuse=2 reuses ports only toward loopback: a routed lab's server host is a routed
  // address, an external target is what it is.
  const routed = (scenario.environment as { topology?: string }).topology === 'routed';
  const loopback = !routed && (scenario.target == null ? isLoopbackHost(scenario.server.host) : scenario.target.loopback);
  sources['loopback'] = routed
    ? 'result: environment.topology routed (the server host is a routed address, not loopback)'
    : scenario.target == null
      ? `result: scenario.server.host ${scenario.server.host}`
      : `result: scenario.target ${scenario.target.text}`;
  // Only named ports are held for a connection's life, and they come back in turn: the slowest
  // connections decide (named-turn.ts).
  const life = pools.localPorts !== null ? connectionLifeTail(result) : null;
  const inputs: PlanInputs = {
    portLow,
    portHigh,
    reservedPorts,
    timeWaitSec: finWait2Sec ?? TIME_WAIT_SECONDS,
    timerHz: result.environment.timerHz ?? null,
    sources: pools.sources,
    destinations: pools.destinations,
    // An orphaned FIN_WAIT2 is never taken over: tcp_twsk_unique() refuses a timewait socket
    // whose tw_substate is TCP_FIN_WAIT2 whatever tcp_tw_reuse says (Linux 6.11+), so the ports
    // a never-closing server leaves held stay held for tcp_fin_timeout (a review: tcp_tw_reuse=2
    // planned them back in 1 s, "fits", beside a run that ran out at 3.33 s).
    twReuse: finWait2Sec !== null ? 0 : twReuse,
    loopback,
    // The run's own tcp_tw_reuse_delay when it recorded one (Linux 6.13+).
    twReuseDelaySec: (sysctls['net.ipv4.tcp_tw_reuse_delay'] != null ? Number(sysctls['net.ipv4.tcp_tw_reuse_delay']) : TW_REUSE_DELAY_MS) / 1000,
    keepAliveShare,
    rate,
    ...(stages.length > 0 ? { stages } : {}),
    maxTwBuckets: buckets,
    closer,
    bindBeforeConnect: pools.bindBeforeConnect,
    twSockBytes: DEFAULT_TW_SOCK_BYTES,
    connectScan: null,
    timestamps,
    namedPorts: pools.localPorts !== null,
    reuseAddr: pools.reuseAddr,
    connectionLifeSec: life?.sec ?? null,
    // IP_LOCAL_PORT_RANGE on each socket: __inet_hash_connect walks it in steps of 1, no parity.
    perSocketRange: perSocket !== null && pools.localPorts === null,
    // Each client host of a routed lab keeps its client-side TIME_WAIT under its own
    // tcp_max_tw_buckets (an audit: the whole lab's demand was held against one host's cap);
    // the server host's TIME_WAIT sits in its one table.
    twHosts: closer === 'client' ? hosts : 1,
  };
  const scan = connectScanFromResult(result);
  if (scan !== null) {
    inputs.connectScan = scan.inputs;
    sources['connectScan'] = scan.from;
  }
  sources['timeWaitSec'] =
    finWait2Sec === null
      ? 'Linux constant TCP_TIMEWAIT_LEN'
      : `${sysctlNumber(result, 'net.ipv4.tcp_fin_timeout') === null ? 'assumed: the default' : 'result:'} net.ipv4.tcp_fin_timeout: an orphaned FIN_WAIT2 holds each client port, not TIME_WAIT`;
  const hz = inputs.timerHz ?? null;
  sources['timerHz'] = hz !== null ? `result: environment.timerHz (CONFIG_HZ ${hz})` : 'assumed: the latest of HZ 100, 250, 300 and 1000 (the run did not record CONFIG_HZ)';
  sources['sources'] = pools.from.sources;
  sources['destinations'] = pools.from.destinations;
  sources['bindBeforeConnect'] = pools.from.bindBeforeConnect;
  sources['reservedPorts'] = pools.localPorts
    ? 'none: client.localPorts names its ports'
    : reservedList == null
      ? 'assumed: none (the run did not record net.ipv4.ip_local_reserved_ports)'
      : `result: environment.sysctls net.ipv4.ip_local_reserved_ports ${JSON.stringify(String(reservedList))}`;
  sources['twReuseDelaySec'] = sysctls['net.ipv4.tcp_tw_reuse_delay'] != null ? 'result: environment.sysctls net.ipv4.tcp_tw_reuse_delay' : 'assumed: 1 s (the kernel default; the run did not record tcp_tw_reuse_delay)';
  sources['keepAliveShare'] = poolNeverChurned && requestLimit !== null && requestLimit.requests === 1
    ? `result: the server ends every connection after one request (${requestLimit.setting}): no request shares a connection`
    : poolNeverChurned && requestLimit !== null
    ? `result: the server's request limit (${requestLimit.setting}): 1 − 1 ÷ ${requestLimit.requests}; this run's pool of ${pool} ended before reaching it`
    : poolNeverChurned
    ? `measured: the pool's ${pool} connection${pool === 1 ? '' : 's'} served every request (${summary.connections.established} opened, none replaced): no new connection at steady state`
    : http
    ? `measured: 1 − 1 ÷ summary.requests.perConnection (${http.perConnection} request${http.perConnection === 1 ? '' : 's'} per connection)`
    : 'result: none (one exchange per connection)';
  sources['twSockBytes'] = `assumed: ${DEFAULT_TW_SOCK_BYTES} B`;
  if (inputs.connectionLifeSec != null) sources['connectionLifeSec'] = life!.from;
  if (inputs.twHosts! > 1) sources['maxTwBuckets'] += ` (each of the ${hosts} client hosts has its own)`;
  const ports = computePlan(inputs);
  const router = routerLimits(result, inputs, ports.newConnPerSec, hosts, notes);
  // The router's SNAT pool caps the flows open at once before any client port does: past it a
  // SYN finds no tuple and its connect times out, whatever the ports allow (an audit:
  // snat-port-exhaustion lost 60 of 160 connections, conntrack insert_failed 120, and the plan
  // said "fits"). So the pool decides the headline when the load keeps more flows open.
  const natShort = router !== null && router.limit.fitsOpen === false;
  const plan: PlanOutput = natShort
    ? {
        ...ports,
        fits: false,
        limitedBy: `the router's SNAT pool (${router.inputs.openFlowsWanted} flows open at once, ${router.limit.openFlows} tuples)`,
        fixes: [...natFixes(router.inputs, router.limit), ...ports.fixes],
      }
    : ports;

  // The run is bounded: it starts min(connections, rate × duration) connections, and TIME_WAIT
  // cannot outnumber them, the ports in play (client side), the cap, or rate × 60 s. Under http
  // `connections` is not used: the requests, and the share that needed no new connection, bound it.
  // In a routed lab every client host makes the scenario's count of its own (`rate` is already the hosts' together).
  // Under a ramp, the starts its schedule makes due within `duration`.
  const started = stages.length > 0 ? startsDueBy(compileRamp(rate, stages), scenario.duration) : rate * (scenario.duration / 1000);
  const attempts = http
    ? Math.min(scenario.http.requests * hosts, started) * (1 - measuredShare)
    : Math.min(scenario.connections * hosts, started);
  // Every port the client can hold at once: per source, per destination unless bind() shared
  // them; named ports the pairs or 4-tuples the client makes of them (model.ts; measured: 2
  // addresses × 100 named ports make 100 pairs and ran out after 100, where 200 were counted).
  const portsInPlay = plan.portsInPlay;
  // The plan's steady state (model.ts: the ports or 4-tuples a pool cycles through, rate × 60 s,
  // the cap), as the plan above the table says it, bounded by what this run made.
  // A pool that never churned leaves its connections in TIME_WAIT once, when it closes at the end.
  // Where ports come back (the server closes first, or tcp_tw_reuse in time), the run's connections leave one per client port they visited (model.ts).
  // Behind a short SNAT pool, only the connects that got a tuple made a connection to close.
  const wave = natShort && router.inputs.openFlowsWanted != null ? { flows: router.inputs.openFlowsWanted, limit: router.limit } : null;
  const connected = wave === null ? attempts : connectsThroughPool(attempts, wave.flows, wave.limit);
  if (wave !== null && attempts > wave.flows) {
    notes.push(
      `the run's ${int(Math.round(attempts))} connects come in more than one wave of ${int(wave.flows)}: past the first, which waiting connect gets a tuple a closing flow frees is a race the model does not follow, so the predicted TIME_WAIT (the attempts less the first wave's ${int(wave.flows - wave.limit.openFlows)} that found no tuple) is the most there can be`,
    );
  }
  const runConnectionsTimeWait = plan.timeWait.perPortVisited ? portsVisitedAtClose(inputs, plan.usablePorts, connected) : connected;
  const runTimeWait = plan.timeWait.side === 'none' ? 0 : Math.round(Math.min(runConnectionsTimeWait, poolNeverChurned ? pool! : plan.timeWait.steadyState));
  if (poolNeverChurned && requestLimit === null) {
    notes.push(
      `a keep-alive pool that never churned: at steady state it opens no connection however long it runs, and closing it at the end leaves its ${pool} connection${pool === 1 ? '' : 's'} in TIME_WAIT once`,
    );
  }
  // The orphaned FIN_WAIT2 are timewait sockets the census names FIN_WAIT2: sockstat's tw counts them.
  const measuredTw =
    finWait2Sec !== null ? (summary.timeWait.sockstatPeak ?? null) : plan.timeWait.side === 'server' ? summary.timeWait.peakServer : plan.timeWait.side === 'client' ? summary.timeWait.peakClient : summary.timeWait.peak;
  const before = timeWaitBeforeLoad(result);
  if (before > 0) {
    notes.push(`host network: the census counts every host socket, and ${before} ${before === 1 ? 'was' : 'were'} in TIME_WAIT before the load began, so the measured TIME_WAIT peak includes sockets that are not this run's`);
  }
  // The first connection that finds no port is number `portsInPlay` (0-based) of the schedule.
  const predictedExhaustionMs = plan.exhaustionSec !== null && attempts > portsInPlay ? plan.exhaustionSec * 1000 : null;
  // Named ports in turn fail connection by connection, not once a pool is used up.
  const turn = namedTurn(result, plan, attempts);
  if (turn !== null) notes.push(turn.note);

  // An open loop the client could not keep: the kernel never saw the rate the model was given,
  // so the ports ran out later for that, not for the model (a helper's http-client-reset at
  // 2,000 requests/s through 500 ports: 250 ms predicted, 1,585 ms measured, at the 310/s its
  // undici pool of 16 connections let through).
  const reached = hostsRate ?? rateBeforeExhaustion(result);
  const measuredExhaustionMs = hostsMeanMs ?? exhaustedMs;
  if (scenario.rate != null && predictedExhaustionMs !== null && measuredExhaustionMs !== null && reached !== null && measuredExhaustionMs > 1.25 * predictedExhaustionMs) {
    const asked = portsInPlay / (predictedExhaustionMs / 1000);
    if (reached < 0.8 * asked) {
      const pool = http && scenario.http.client !== 'raw' ? httpPoolConnections(scenario) : null;
      notes.push(
        `the run fell behind its schedule: it made ${int(Math.round(reached))} new connections/s until the ports ran out, where its rate asked ${int(Math.round(asked))}` +
          (pool !== null ? ` (undici keeps at most ${pool} connections in flight per client host: http.connections, else concurrency)` : '') +
          `; at the rate it reached the ports run out after ${int(Math.round((portsInPlay / reached) * 1000))} ms, which is what to hold the measured time against`,
      );
    }
  }
  // Ports that came back during the run (a load longer than the hold: tcp_tw_reuse's delay, or
  // 60 s) let connections through after the first shortage: those are not the pool. Then the
  // count before the shortage is the pool (a helper's tw-reuse run at 700/s through 500 ports:
  // 500 before, 1,000 in all, shown as +100 %). (Not summary.ports.reuses: a port used toward
  // a second destination is a reuse there, and both uses are the pool.)
  const portsCameBack = summary.durationMs > plan.holdSec * 1000 && summary.ports.establishedBeforeExhaustion != null;
  const measuredInPlay = exhaustedMs === null ? null : portsCameBack ? summary.ports.establishedBeforeExhaustion! : summary.connections.established;
  const rows: PredictedVsMeasured[] = [
    row(hostsMeanMs !== null ? `time to exhaustion (the ${hosts} client hosts' mean, each from its load start)` : 'time to exhaustion (from load start)', 'ms', predictedExhaustionMs, measuredExhaustionMs),
    row(finWait2Sec !== null ? 'orphaned FIN_WAIT2 peak (client; sockstat tw)' : `TIME_WAIT peak (${plan.timeWait.side === 'none' ? 'both sides' : plan.timeWait.side})`, 'sockets', runTimeWait, measuredTw),
    // Every connection that got a port before the first found none (those whose handshake was
    // in flight then included): the ports in play.
    ...(turn === null
      ? [row(`client ports in play (connections established${portsCameBack ? ' before the first shortage' : ''})`, 'connections', predictedExhaustionMs === null ? null : portsInPlay, measuredInPlay)]
      : [row('connects that found their named port still open', 'connects', turn.predictedBusy, turn.measuredBusy)]),
    ...(scan !== null && plan.connectScan !== null
      ? [row('new connections/s past the connect() cliff', 'conn/s', plan.connectScan.scanLimitedPerSec, scan.measuredPerSec)]
      : []),
    ...(router !== null && router.inputs.openFlowsWanted != null
      ? [row('flows open at once through the NAT pool', 'flows', Math.min(router.inputs.openFlowsWanted, router.limit.openFlows), openFlowsMeasured(result))]
      : []),
  ];
  return { inputs, sources, plan, rows, applicable: exhaustedMs !== null || predictedExhaustionMs !== null || scan !== null || router !== null || turn !== null, notes, ...(router ? { nat: router } : {}) };
}

function row(label: string, unit: string, predicted: number | null, measured: number | null): PredictedVsMeasured {
  const round = (v: number | null): number | null => (v === null ? null : roundTo(v, 1));
  const errorPct = predicted === null || measured === null || predicted === 0 ? null : Math.round(((measured - predicted) / predicted) * 1000) / 10;
  return { label, unit, predicted: round(predicted), measured: round(measured), errorPct };
}
