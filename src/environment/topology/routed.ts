// The routed lab: client hosts → router → server host, each host its own network namespace.
//
// The namespace this process is in (the run's own, made with `unshare -n`) is the router. Every
// other host is a network namespace held open by one holder process (`sleep`), started as
//   setpriv --pdeathsig KILL -- unshare --net -- sleep …
// and addressed as /proc/<holder>/ns/net. No `ip netns add`: a named namespace needs a bind mount
// under /run/netns, which a SIGKILLed run could leave on the host. Here the holders die with the
// run process (PR_SET_PDEATHSIG), their namespaces go with the last process in them, and a veth
// pair goes with the namespace of either end — so even `kill -9` leaves no namespace, link, mount
// or process behind.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { clientAddresses, SERVER_ADDRESSES, type HostAddresses } from './addresses.js';
import { EnvironmentError } from '../namespace.js';
import { inWriteOrder, sysctlNameProblem } from '../../scenario/sysctls.js';
import { procPath } from '../sysctl.js';

const run = promisify(execFile);

export type HostRole = 'client' | 'server';

export interface LabHost {
  /** "client1" … "clientN", "server". */
  name: string;
  role: HostRole;
  /** The holder's PID: the namespace is /proc/<pid>/ns/net. */
  pid: number;
  netnsPath: string;
  addresses: HostAddresses;
}

export interface RoutedLabSpec {
  clients: number;
  /** Per-role sysctls (net.* only; the schema checks the names). */
  sysctls?: { client?: Record<string, string | number>; server?: Record<string, string | number>; router?: Record<string, string | number> };
  /**
   * A Ctrl-C: no more client hosts are built after the first (a host takes ~0.25 s, so a lab of
   * 40 outlasted the run's 5 s stop deadline). The lab comes back with the hosts it has, for
   * the run to end at once with its (empty) partial result.
   */
  signal?: AbortSignal;
}

export interface RoutedLab {
  clients: LabHost[];
  server: LabHost;
  /** argv prefix that runs a command inside a host, tied to this process: setpriv --pdeathsig KILL -- nsenter --net=… -- */
  enter(host: LabHost): string[];
  /** Runs a command inside a host and returns its stdout. */
  exec(host: LabHost, argv: readonly string[], input?: string): Promise<string>;
  /** Kills the holders (their namespaces and veths go with them); idempotent. */
  teardown(): Promise<void>;
}

/** The lab could not be built or run; an EnvironmentError, so the CLI prints it as one line (exit 1). */
export class TopologyError extends EnvironmentError {}

async function netnsId(path: string): Promise<string> {
  return readlink(path);
}

/** Starts one holder and waits until it is in a namespace of its own. */
async function startHolder(): Promise<{ child: ChildProcess; pid: number; path: string }> {
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'unshare', '--net', '--', 'sleep', '2147483647'], {
    stdio: 'ignore',
  });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new TopologyError(`cannot start a namespace holder: ${err.message} (util-linux setpriv/unshare needed)`)));
    child.once('exit', (code, signal) => reject(new TopologyError(`a namespace holder exited at once (code ${code}, signal ${signal}): unshare --net is not permitted here`)));
  });
  failed.catch(() => undefined);
  const pid = child.pid!;
  const path = `/proc/${pid}/ns/net`;
  const mine = await netnsId('/proc/self/ns/net');
  // unshare() happens after exec; until then the holder is still in this namespace.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const theirs = await Promise.race([netnsId(path).catch(() => mine), failed]);
    if (theirs !== mine) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new TopologyError('a namespace holder did not enter its own network namespace within 10 s (a machine too busy, or unshare blocked); run it again on a quieter machine, and check "unshare -n true" works');
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return { child, pid, path };
}

async function sh(argv: readonly string[], what: string, input?: string): Promise<string> {
  try {
    const promise = run(argv[0]!, argv.slice(1), { timeout: 20_000, maxBuffer: 64 * 1024 * 1024 });
    if (input !== undefined) {
      promise.child.stdin?.end(input);
    }
    const { stdout } = await promise;
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    // One line: ip and tee say it in one; a multi-line complaint is joined.
    const said = (e.stderr ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '').join('; ');
    throw new TopologyError(`${what}: ${argv.join(' ')} failed: ${said || e.message}`);
  }
}

/** Commands for `ip -batch -`, one a line (ip infers each address's family). */
const batch = (lines: readonly string[]): string => `${lines.join('\n')}\n`;

async function writeSysctlIn(prefix: readonly string[], key: string, value: string | number): Promise<void> {
  // The scenario's validation has refused these already; this guards every other caller.
  const problem = sysctlNameProblem(key);
  if (problem !== undefined) throw new TopologyError(`sysctl ${key}: ${problem}`);
  const path = procPath(key);
  await sh([...prefix, 'tee', path], `sysctl ${key}=${value}`, `${value}\n`);
}

/**
 * Builds the lab around this process's namespace (the router). On any failure everything built
 * so far is torn down before the error is thrown.
 */
export async function buildRoutedLab(spec: RoutedLabSpec): Promise<RoutedLab> {
  const holders: ChildProcess[] = [];
  const hosts: LabHost[] = [];
  // Whatever runs inside a host dies with this process too (a driver would otherwise keep its
  // client namespace alive after a SIGKILLed run).
  const enter = (host: LabHost): string[] => ['setpriv', '--pdeathsig', 'KILL', '--', 'nsenter', `--net=${host.netnsPath}`, '--'];
  const teardown = async (): Promise<void> => {
    await Promise.all(
      holders.splice(0).map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
  };
  try {
    await sh(['ip', 'link', 'set', 'lo', 'up'], 'router loopback');
    await writeSysctlIn([], 'net.ipv4.ip_forward', 1);
    await writeSysctlIn([], 'net.ipv6.conf.all.forwarding', 1);
    for (const [key, value] of inWriteOrder(spec.sysctls?.router ?? {})) await writeSysctlIn([], key, value);

    // The server host first: an interrupted build still has one client host and the server.
    const plan: Array<{ name: string; role: HostRole; addresses: HostAddresses }> = [
      { name: 'server', role: 'server', addresses: SERVER_ADDRESSES },
      ...Array.from({ length: spec.clients }, (_, i) => ({ name: `client${i + 1}`, role: 'client' as const, addresses: clientAddresses(i + 1) })),
    ];
    for (const [index, { name, role, addresses: a }] of plan.entries()) {
      if (spec.signal?.aborted && hosts.some((h) => h.role === 'client')) break;
      const holder = await startHolder();
      holders.push(holder.child);
      const host: LabHost = { name, role, pid: holder.pid, netnsPath: holder.path, addresses: a };
      const inside = enter(host);
      // Each veth end gets a MAC of its own (locally administered, by host index) and each side
      // knows the other's from the start (permanent neighbour entries): no neighbour discovery
      // when the load begins. Over IPv6 with the router's conntrack on, the server host's first
      // SYN-ACK of each opening connection was lost to it, and the connect waited out the 1 s
      // SYN retry (an audit: connect p99 1,022 ms, TCPSynRetrans = concurrency; IPv4 had none).
      const mac = (side: 1 | 2): string => `02:74:77:00:${index.toString(16).padStart(2, '0')}:0${side}`;
      // One `ip -batch` per side instead of a process per step (12 execs per host before).
      // addrgenmode none before each end goes up: the kernel would give it an fe80:: link-local
      // address of its own (addrconf, EUI-64 from the MAC), outside 2001:2::/48, and send its
      // DAD probes and router solicitations from it. An audit found one on every veth end; the
      // permanent neighbour entries and global next-hops leave nothing that needs one.
      await sh(['ip', '-batch', '-'], `router side of ${name}`, batch([
        `link add ${a.routerIfname} address ${mac(1)} type veth peer name ${a.ifname} address ${mac(2)} netns ${holder.pid}`,
        `link set ${a.routerIfname} addrgenmode none`,
        `addr add ${a.routerV4}/24 dev ${a.routerIfname}`,
        `addr add ${a.routerV6}/64 dev ${a.routerIfname} nodad`,
        `link set ${a.routerIfname} up`,
        `neigh replace ${a.v4} lladdr ${mac(2)} dev ${a.routerIfname} nud permanent`,
        `neigh replace ${a.v6} lladdr ${mac(2)} dev ${a.routerIfname} nud permanent`,
      ]));
      await sh([...inside, 'ip', '-batch', '-'], `${name}'s network`, batch([
        'link set lo up',
        `link set ${a.ifname} addrgenmode none`,
        `addr add ${a.v4}/24 dev ${a.ifname}`,
        `addr add ${a.v6}/64 dev ${a.ifname} nodad`,
        `link set ${a.ifname} up`,
        `neigh replace ${a.routerV4} lladdr ${mac(1)} dev ${a.ifname} nud permanent`,
        `neigh replace ${a.routerV6} lladdr ${mac(1)} dev ${a.ifname} nud permanent`,
        `route add default via ${a.routerV4}`,
        `route add default via ${a.routerV6}`,
      ]));
      for (const [key, value] of inWriteOrder((role === 'client' ? spec.sysctls?.client : spec.sysctls?.server) ?? {})) {
        await writeSysctlIn(inside, key, value);
      }
      hosts.push(host);
    }
  } catch (err) {
    await teardown();
    throw err;
  }
  return {
    clients: hosts.filter((h) => h.role === 'client'),
    server: hosts.find((h) => h.role === 'server')!,
    enter,
    exec: (host, argv, input) => sh([...enter(host), ...argv], `in ${host.name}`, input),
    teardown,
  };
}
