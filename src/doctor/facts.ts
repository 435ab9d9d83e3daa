// What doctor looks at, gathered once and then judged by pure functions (machine-checks.ts,
// scenario-checks.ts), so the judging can be tested with any facts and the gathering with the
// real machine.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { probeNamespace, type NamespaceProbe } from '../environment/namespace.js';
import { readSysctls, RECORDED_SYSCTLS } from '../environment/sysctl.js';
import { readOpenFileLimit, type OpenFileLimit } from '../environment/limits.js';
import { kernelHz } from '../environment/timer-hz.js';
import { takeCensus, type DestinationUsage, type RangeUse, type TwReuseSettings } from '../states/census.js';
import { probePorts, type PortProbe } from './port-probe.js';
import { probeNativeSockets, type NativeProbe } from './native.js';
import { packageFile } from '../paths.js';
import { programFound, programOffPath } from '../server/command-line.js';

export interface NftProbe {
  /** `nft --version` output, or null when nft is missing. */
  version: string | null;
  /** Whether `nft list ruleset` works inside a fresh namespace; null when not tried. */
  worksInNamespace: boolean | null;
  reason: string | null;
}

export interface TimeWaitNow {
  /** TIME_WAIT sockets listed in /proc/net/tcp{,6} of this namespace. */
  count: number;
  /** The destination with the most ports connect() cannot use (reusable TIME_WAIT left out), if any. */
  busiest: DestinationUsage | null;
  /** The range as a whole: ports held by any socket, listeners among them (absent: not taken). */
  rangeUse?: RangeUse;
  /** tcp_tw_reuse and its companions as the census read them (absent: not taken). */
  twReuse?: TwReuseSettings;
  /** Ports something listens on here (absent: not taken). */
  listeningPorts?: number[];
}

export interface Facts {
  node: { version: string; required: string | null };
  platform: NodeJS.Platform;
  kernel: string;
  /** CONFIG_HZ (environment/timer-hz.ts); null: not readable. */
  timerHz: number | null;
  root: boolean;
  /** null: not probed. */
  namespace: NamespaceProbe | null;
  native: NativeProbe | null;
  nft: NftProbe | null;
  /** This namespace's values (on the host: the host's). */
  sysctls: Record<string, string | null>;
  fdLimit: OpenFileLimit | null;
  timeWait: TimeWaitNow | null;
  /** Whether connect() and bind() can get a port here now (absent: not probed; only `doctor` without a scenario does). */
  portProbe?: PortProbe | null;
  /** The programs of the scenarios' server.command, and whether each was found (absent: not looked up). */
  programs?: Record<string, boolean>;
  /** Of those not found, the ones installed in an sbin directory that $PATH leaves out, and where. */
  offPath?: Record<string, string>;
}

export interface GatherOptions {
  namespace?: boolean;
  native?: boolean;
  nft?: boolean;
  timeWait?: boolean;
  /** Probe for a free port with connect() and bind() (port-probe.ts); off unless asked. */
  portProbe?: boolean;
  /** Look these programs up (server.command's). */
  programs?: readonly string[];
}

/** engines.node of the installed package.json, e.g. ">=20.18". */
export function requiredNode(): string | null {
  try {
    const pkg = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as {
      engines?: { node?: string };
    };
    return pkg.engines?.node ?? null;
  } catch {
    return null;
  }
}

export function probeNft(namespace: NamespaceProbe | null): NftProbe {
  const version = spawnSync('nft', ['--version'], { encoding: 'utf8', timeout: 5_000 });
  if (version.error || version.status !== 0) {
    const missing = (version.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    return {
      version: null,
      worksInNamespace: null,
      reason: missing ? 'nft is not installed' : `nft --version failed: ${version.stderr?.trim() || version.error?.message}`,
    };
  }
  const text = version.stdout.trim();
  if (!namespace?.ok) return { version: text, worksInNamespace: null, reason: null };
  // Fault rules go into the run's namespace, never the host's, so that is where nft must work
  // (it needs CAP_NET_ADMIN there, which the namespace's root has even without real root).
  const [command, ...args] = namespace.prefix;
  const inside = spawnSync(command!, [...args, 'nft', 'list', 'ruleset'], { encoding: 'utf8', timeout: 10_000 });
  const ok = !inside.error && inside.status === 0;
  return {
    version: text,
    worksInNamespace: ok,
    reason: ok ? null : `nft inside a namespace failed: ${inside.stderr?.trim() || inside.error?.message || `exit ${inside.status}`}`,
  };
}

async function timeWaitNow(): Promise<TimeWaitNow | null> {
  try {
    const snap = await takeCensus({ top: 1 });
    return {
      count: snap.states.TIME_WAIT,
      busiest: snap.destinations[0] ?? null,
      rangeUse: snap.rangeUse,
      twReuse: snap.twReuse,
      listeningPorts: snap.listeningPorts,
    };
  } catch {
    return null;
  }
}

function offPath(programs: readonly string[]): Record<string, string> {
  const dirs = programs.map((p) => [p, programOffPath(p)] as const);
  return Object.fromEntries(dirs.filter((entry): entry is readonly [string, string] => entry[1] !== null));
}

export async function gatherFacts(options: GatherOptions = {}): Promise<Facts> {
  const namespace = options.namespace === false ? null : probeNamespace();
  const [sysctls, timeWait] = await Promise.all([
    // tcp_tw_reuse_delay (Linux 6.13+): how old a TIME_WAIT must be before connect() reuses it.
    readSysctls([...RECORDED_SYSCTLS, 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_tw_reuse_delay']),
    options.timeWait === false ? Promise.resolve(null) : timeWaitNow(),
  ]);
  // After the census, so its look is not of the probe's own socket, and aimed past its listeners.
  const portProbe = options.portProbe === true ? await probePorts(timeWait?.listeningPorts ?? []).catch(() => null) : undefined;
  return {
    node: { version: process.versions.node, required: requiredNode() },
    platform: process.platform,
    kernel: os.release(),
    timerHz: kernelHz(),
    root: process.getuid?.() === 0,
    namespace,
    native: options.native === false ? null : probeNativeSockets(),
    nft: options.nft === false ? null : probeNft(namespace),
    sysctls,
    fdLimit: readOpenFileLimit(),
    timeWait,
    ...(portProbe !== undefined ? { portProbe } : {}),
    ...(options.programs ? { programs: Object.fromEntries(options.programs.map((p) => [p, programFound(p)])) } : {}),
    ...(options.programs ? { offPath: offPath(options.programs) } : {}),
  };
}
