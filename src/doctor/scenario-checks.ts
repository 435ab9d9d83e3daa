// Per-scenario checks: what one scenario needs of this machine before it starts (its
// namespace, open files, and on the host: the port range, tcp_max_tw_buckets and the sysctls
// that will not be applied), and the one doctor line per scenario.
import { int } from '../util/format.js';
import { DEFAULT_SYSCTLS, expandMatrix, formatDuration, type Scenario } from '../scenario/index.js';
import { seriesLengthCheck } from './series-length.js';
import { ownServer } from '../scenario/close-semantics.js';
import { normaliseSysctl } from '../environment/sysctl.js';
import { KERNEL_DEFAULT_PORT_RANGE, parsePortRange } from '../scenario/port-range.js';
import { check, worstStatus, type Check } from './check.js';
import type { Facts } from './facts.js';
import { FD_HEADROOM, kernelCheck, nftCheck, openFilesCheck, type FdNeed } from './machine-checks.js';
import { namespaceFix } from '../environment/namespace.js';
import { hostPortsCheck, timeWaitLoad, type ClientSockets } from './port-demand.js';
import { nativeNeedsCheck } from './native.js';
import { addToPath, COMMAND_WRAPPERS, commandProgram } from '../server/command-line.js';
import { httpPoolConnections, peakConcurrency } from '../scenario/work.js';

export { FD_HEADROOM, type FdNeed };


/**
 * Sockets an HTTP run holds open at once. Requests in flight are bounded like connections under
 * tcp (concurrency, or maxInFlight in an open loop, and the request count); the undici pool then
 * caps the sockets at its limit, except with a new Client per request and with the raw client
 * (the engine's own sockets, no pool), where every request in flight has its own connection (an
 * audit: a raw open loop was sized as "the undici pool of concurrency 64", ok at ulimit 1,024,
 * and its run failed 1,295 requests with EMFILE).
 */
function httpInFlight(s: Scenario): { inFlight: number; because: string } {
  const openLoop = s.rate !== null;
  const bound = openLoop ? s.maxInFlight : peakConcurrency(s);
  const loop = openLoop ? `maxInFlight ${int(s.maxInFlight)} (open loop)` : closedLoopWords(s);
  // Never more in flight than the run has requests: the sum doctor prints must add up.
  const requests = Math.min(bound, s.http.requests);
  const inFlight = bound > s.http.requests ? `${int(s.http.requests)} requests in flight at most (${loop})` : loop;
  if (s.http.client === 'agent-per-request') return { inFlight: requests, because: `${inFlight}, a connection per request in flight (agent-per-request)` };
  if (s.http.client === 'raw') return { inFlight: requests, because: `${inFlight}, a connection per request in flight (http.client raw has no pool)` };
  const pool = httpPoolConnections(s);
  const poolWords = s.http.connections === null ? `the undici pool of ${closedLoopWords(s)}` : `the undici pool of http.connections ${int(pool)}`;
  return pool < requests ? { inFlight: pool, because: poolWords } : { inFlight: requests, because: inFlight };
}

/**
 * What bounds a closed loop's in-flight count: its concurrency, or a stage that ramps above it
 * (an audit: a ramp to 50,000 from concurrency 1 was judged to need 101 descriptors).
 */
function closedLoopWords(s: Scenario): string {
  const peak = peakConcurrency(s);
  return peak > s.concurrency ? `a stage target of ${int(peak)} in flight (from concurrency ${int(s.concurrency)})` : `concurrency ${int(s.concurrency)}`;
}

/** The client's sockets open at once, at most, in one run (no matrix): a descriptor and a local port each. */
export function clientSockets(s: Scenario): ClientSockets {
  if (s.protocol === 'http') return httpInFlight(s);
  const openLoop = s.rate !== null;
  const bound = openLoop ? s.maxInFlight : peakConcurrency(s);
  const what = openLoop ? `maxInFlight ${int(s.maxInFlight)} (open loop)` : closedLoopWords(s);
  // Never more in flight than the run has connections: fdNeed's sum must add up.
  return bound > s.connections ? { inFlight: s.connections, because: `${int(s.connections)} connections in flight at most (${what})` } : { inFlight: bound, because: what };
}

/**
 * RLIMIT_NOFILE is per process, and the driver and the echo server are separate processes
 * (each inherits the limit): each connection costs one descriptor in the driver and one in
 * the server, so each process needs the in-flight count plus its own descriptors. TIME_WAIT
 * sockets have no descriptor (they outlive close()), so they do not count.
 */
export function fdNeed(scenario: Scenario): FdNeed {
  const variants = runVariants(scenario);
  let best: FdNeed = { inFlight: 0, need: FD_HEADROOM, because: '' };
  for (const s of variants) {
    const { inFlight, because } = clientSockets(s);
    if (inFlight > best.inFlight) best = { inFlight, need: inFlight + FD_HEADROOM, because };
    // A server that never closes (close-wait-leak) holds a descriptor for every connection it
    // accepts until the run ends, unless the scenario gives it a limit of its own on purpose.
    const leaked = s.protocol === 'tcp' && s.close.server === 'never' && s.server.maxOpenFiles === null && s.server.command === null && s.target === null;
    if (leaked && s.connections > best.inFlight) {
      best = { inFlight: s.connections, need: s.connections + FD_HEADROOM, because: `close.server never: the server holds all ${int(s.connections)} connections` };
    }
  }
  return best;
}

/**
 * server.maxOpenFiles is applied by prlimit inside the run's namespaces, where raising a hard
 * limit is refused (EPERM: CAP_SYS_RESOURCE does not reach the host's limits from there), so a
 * limit above twstorm's own hard one would stop the server before it listens.
 */
function serverOpenFilesCheck(scenario: Scenario, facts: Facts): Check | null {
  const limit = facts.fdLimit;
  const wanted = Math.max(...runVariants(scenario).map((s) => s.server.maxOpenFiles ?? 0));
  if (wanted > 0 && facts.programs?.['prlimit'] === false) {
    // The server is started as `setpriv … prlimit --nofile=N:N -- node …`: without prlimit it
    // exits 127 before it answers (an audit: doctor said "everything can run").
    return check(
      'server-open-files',
      'server open-file limit',
      'fail',
      `server.maxOpenFiles ${int(wanted)} is set on the server by util-linux's prlimit, which is not on $PATH: the server would not start`,
      'install util-linux (it provides prlimit), or leave server.maxOpenFiles out',
    );
  }
  if (limit === null || wanted === 0 || wanted <= limit.hard) return null;
  return check(
    'server-open-files',
    'server open-file limit',
    'fail',
    `server.maxOpenFiles ${int(wanted)} is above twstorm's hard open-file limit ${int(limit.hard)}: the server's prlimit would be refused and it would not start`,
    `set server.maxOpenFiles to at most ${int(limit.hard)}, or raise the hard limit before the run (as root: ulimit -Hn ${wanted})`,
  );
}

type Placement = 'netns' | 'host' | 'impossible';

/** runVariants' answers, per loaded scenario (nothing changes a scenario after it is loaded). */
const variantsOfScenario = new WeakMap<Scenario, Scenario[]>();

/**
 * The scenarios a run really makes: a matrix's variants, not the base they are made from (the
 * base alone when there is no matrix, or a bad one, which the loader refuses). Expanding a
 * matrix validates every variant (2-3 ms for close-matrix) and a pre-flight asks about seven
 * times, so each scenario's answer is kept.
 */
export function runVariants(scenario: Scenario): Scenario[] {
  if (Object.keys(scenario.matrix).length === 0) return [scenario];
  let variants = variantsOfScenario.get(scenario);
  if (variants === undefined) {
    try {
      variants = expandMatrix(scenario, scenario.name).map((v) => v.scenario);
    } catch {
      variants = [scenario];
    }
    variantsOfScenario.set(scenario, variants);
  }
  return variants;
}

/**
 * What would let this machine make a namespace: namespaceFix's answer once one was probed. Not
 * probed (run's preflight skips the probe under isolation host) is said once, the same way.
 */
function makeNamespace(facts: Facts): string {
  return facts.namespace ? namespaceFix(facts.namespace, facts.root) : 'run "twstorm doctor" to see why no namespace can be made';
}

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

/**
 * The checks one scenario needs before it starts, judged on `facts`. `run` refuses when any
 * is 'fail' and prints the 'warn' ones.
 */
export function scenarioChecks(scenario: Scenario, facts: Facts): Check[] {
  const out: Check[] = [];
  if (facts.platform !== 'linux') out.push(kernelCheck(facts));
  // A bad matrix variant is not judged here: the loader refuses it with the file's other
  // problems (exit 2, before any check), as `run` does.
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
          `${makeNamespace(facts)}, or set environment.isolation: auto (host fallback)`,
        ),
      );
    } else {
      out.push(
        check(
          'namespace',
          'network namespace',
          'warn',
          `no namespace can be made (${ns?.reason ?? 'not probed'}): this run will use the HOST network, count host sockets with its own and leave its TIME_WAIT on the host`,
          `to isolate it, ${makeNamespace(facts)}`,
        ),
      );
    }
  }

  // The client waits for the server's FIN before it closes; a user's server that keeps its
  // connections open (an HTTP server speaking keep-alive over a raw TCP load) never sends one, and
  // every connection then ends at client.idleTimeout with ETIMEDOUT. Said before, not after 30 s.
  if (scenario.protocol === 'tcp' && scenario.close.first === 'server' && ownServer(scenario)) {
    out.push(
      check(
        'server-closes-first',
        'close.first: server',
        'warn',
        `the client waits for your server to close each connection first; if it keeps them open, each ends at client.idleTimeout (${formatDuration(scenario.client.idleTimeout)}) with ETIMEDOUT`,
        'make sure your server closes after its reply, or set close.first: client',
      ),
    );
  }
  // What any variant needs is checked before the first one runs (a matrix may vary
  // server.command, faults or environment.topology).
  const runs = runVariants(scenario);
  const programs = new Set(runs.map((v) => (v.server.command === null ? null : commandProgram(v.server.command))));
  for (const program of programs) {
    if (program === null || facts.programs?.[program] !== false) continue;
    // The run would start the wrapper and stop at once with exit 127 ("was not found").
    const dir = facts.offPath?.[program];
    out.push(
      check(
        'server-command',
        'server.command',
        'fail',
        `the scenario's server starts "${program}", which is not ${program.includes('/') ? 'an executable file' : 'on $PATH'}${dir ? ` (it is in ${dir})` : ''}`,
        dir
          ? `${addToPath(dir)}, or point server.command at your own server`
          : `install it${program === 'nginx' ? ' (Debian: apt-get install nginx-light)' : ''}, or point server.command at your own server`,
      ),
    );
  }
  const commanded = runs.filter((v) => v.server.command !== null);
  const noWrapper = COMMAND_WRAPPERS.filter((p) => facts.programs?.[p] === false);
  if (commanded.length > 0 && noWrapper.length > 0) {
    // spawn('setpriv') fails with ENOENT, or setpriv's exec of unshare exits 127, before the
    // server's own program is looked at (an audit: doctor said "everything can run").
    out.push(
      check(
        'server-command',
        'server.command',
        'fail',
        `your server is started under setpriv --pdeathsig and unshare --pid (a PID namespace of its own, so nothing it starts outlives the run), and ${noWrapper.join(' and ')} ${noWrapper.length > 1 ? 'are' : 'is'} not on $PATH`,
        'install util-linux (it provides setpriv and unshare)',
      ),
    );
  } else if (!facts.root && ns && !ns.ok && !/command is missing/.test(ns.reason) && commanded.some((v) => placement(v, facts) === 'host')) {
    // A user's run process on the host has no CAP_SYS_ADMIN for unshare --pid, so the server gets
    // a user namespace of its own first (unshare --user): refused where `unshare -rn` was.
    out.push(
      check(
        'server-command',
        'server.command',
        'fail',
        `on the host your server needs a user namespace of its own for its PID namespace (unshare --user --pid), and this machine refuses one to a user: ${ns.reason}`,
        namespaceFix(ns, false),
      ),
    );
  }
  out.push(openFilesCheck(facts, [{ name: scenario.name, need: fdNeed(scenario) }]));
  const series = seriesLengthCheck(runVariants(scenario));
  if (series) out.push(series);
  const serverFiles = serverOpenFilesCheck(scenario, facts);
  if (serverFiles) out.push(serverFiles);
  if (runs.some((v) => v.faults.length > 0 && placement(v, facts) === 'host')) {
    // isolation auto without a namespace falls back to the host, where applyFaults refuses to
    // load rules (twstorm never changes the host's firewall): the run would stop after its server
    // started (an audit: doctor said "runs, with the caveats above").
    out.push(
      check(
        'faults',
        'faults',
        'fail',
        "no namespace can be made, so this run would fall back to the host network, where its faults cannot go: twstorm never changes the host's firewall",
        `${makeNamespace(facts)}, or remove faults:`,
      ),
    );
  }
  if (runs.some((v) => v.faults.length > 0)) {
    // Fault rules cannot be left out of a run that asks for them: without nft it fails.
    const nft = nftCheck(facts);
    out.push(nft.status === 'ok' || facts.nft === null ? nft : { ...nft, status: 'fail', detail: `the scenario's faults need nftables: ${nft.detail}` });
  }

  // Options only the native layer gives (IP_LOCAL_PORT_RANGE needs Linux 6.3): the run would be refused.
  const native = nativeNeedsCheck(scenario, facts.native);
  if (native) out.push(native);

  const wanted = requestedSysctls(scenario);
  if (where === 'host') {
    const differing = Object.entries(wanted).filter(([k, v]) => facts.sysctls[k] !== undefined && facts.sysctls[k] !== v);
    const unread = Object.keys(wanted).filter((k) => facts.sysctls[k] === undefined);
    if (differing.length > 0 || unread.length > 0) {
      // A setting the scenario does not write is twstorm's own default (tcp_tw_reuse=0): "drop
      // it from the scenario" cannot be done (an audit: the README's own target example warned
      // so). Writing the host's value says the run is meant to see the host as it is.
      const ownSetting = (k: string): boolean => k in scenario.environment.sysctls;
      const defaults = differing.filter(([k]) => !ownSetting(k));
      const accept = defaults.map(([k]) => `${k}: ${facts.sysctls[k]}`).join(', ');
      const targetFix = [
        differing.some(([k]) => ownSetting(k)) || unread.length > 0 ? "drop the scenario's own settings above" : '',
        defaults.length > 0 ? `write the host's value of twstorm's default${defaults.length > 1 ? 's' : ''} into environment.sysctls (${accept}) to accept ${defaults.length > 1 ? 'them' : 'it'}` : '',
      ].filter((part) => part !== '');
      out.push(
        check(
          'host-sysctls',
          'scenario sysctls',
          'warn',
          `on the host no sysctl is changed, so these settings are NOT in force: ` +
            [
              ...differing.map(([k, v]) => `${k}=${v} (${ownSetting(k) ? '' : "twstorm's default; "}host has ${facts.sysctls[k] ?? 'none'})`),
              ...unread.map((k) => `${k} (not checked)`),
            ].join(', ') +
            ': the run will not show what the scenario is written to show',
          scenario.target !== null
            ? `a target: run stays on the host network to reach the target, so ${targetFix.join(', and ')}; or set them on the host yourself`
            : scenario.environment.isolation === 'host'
              ? 'run it in a namespace so its settings apply: set environment.isolation: auto, or run with --isolation netns'
              : `run it in a namespace so its settings apply: ${makeNamespace(facts)}`,
        ),
      );
    }
    const load = timeWaitLoad(scenario);
    // A closed loop keeps its in-flight count open all along; an open loop's maxInFlight is a cap.
    const ports = hostPortsCheck(scenario, facts, load, scenario.rate === null ? clientSockets(scenario) : null);
    if (ports) out.push(ports);
    const buckets = Number(facts.sysctls['net.ipv4.tcp_max_tw_buckets'] ?? NaN);
    if (load.timeWait && Number.isFinite(buckets) && load.connections > buckets) {
      out.push(
        check(
          'host-tw-buckets',
          'tcp_max_tw_buckets',
          'warn',
          `the host keeps at most ${int(buckets)} TIME_WAIT sockets; past that a close makes none (TCPTimeWaitOverflow), so TIME_WAIT counts of this run are capped`,
          scenario.target !== null ? `lower ${load.knob}` : `run it in a namespace, or lower ${load.knob}`,
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
    const reserved = wanted['net.ipv4.ip_local_reserved_ports'];
    const range = parsePortRange(wanted['net.ipv4.ip_local_port_range'] ?? KERNEL_DEFAULT_PORT_RANGE, reserved);
    if (range === null) {
      out.push(check('port-range', 'ephemeral port range', 'fail', `net.ipv4.ip_local_port_range "${wanted['net.ipv4.ip_local_port_range']}" is not "LOW HIGH"`, 'write it as two port numbers, e.g. "32768 60999"'));
    } else if (range.usable === 0) {
      // The namespace's own settings leave connect() nothing to pick (__inet_hash_connect skips
      // every reserved port): each unbound connect() fails at once. A warning, not a failure: a
      // scenario may be written to show just that (an audit: doctor said ok).
      out.push(
        check(
          'port-range',
          'ephemeral port range',
          'warn',
          `the scenario reserves all ${int(range.size)} ports of its range ${range.low}–${range.high} (net.ipv4.ip_local_reserved_ports "${reserved}"): every connect() without a port of its own fails with EADDRNOTAVAIL`,
          'take ports out of net.ipv4.ip_local_reserved_ports in the scenario, or widen its net.ipv4.ip_local_port_range, unless that failure is what it shows',
        ),
      );
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
