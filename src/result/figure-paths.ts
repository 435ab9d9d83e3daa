// The figures a threshold (or a comparison) may name: every number in a result's `summary`
// block, and a routed lab's router refusals (lab.ts, ROUTER_FIGURES). The shape is declared here rather than read from a result, so a scenario's
// thresholds can be checked before anything runs. `satisfies SummaryShape` makes the compiler
// hold this table against the `Summary` type: a figure added to the summary without being
// added here is a build error, so the two cannot drift apart.
import type { RunResult, Summary } from './model.js';
import { kernelCounters, ROUTER_FIGURES, routerFigure } from './lab.js';
import { KEY_COUNTERS } from '../observe/index.js';
import { didYouMean } from '../util/suggest.js';

/** A plain figure, a map keyed by errno code, or a map keyed by kernel counter name. */
type Leaf = 'number' | 'errno-map' | 'counter-map';
type Node<V> = string extends keyof NonNullable<V>
  ? 'errno-map' | 'counter-map'
  : NonNullable<V> extends number
    ? 'number'
    : { [K in keyof NonNullable<V>]-?: Node<NonNullable<V>[K]> };
type SummaryShape = { [K in keyof Summary]-?: Node<Summary[K]> };
interface ShapeTree {
  [key: string]: Leaf | ShapeTree;
}

const PERCENTILES = { count: 'number', min: 'number', mean: 'number', p50: 'number', p90: 'number', p99: 'number', p999: 'number', max: 'number' } as const;

const FILL_BAND = { heldFrom: 'number', heldTo: 'number', connections: 'number', p50Ms: 'number', p99Ms: 'number' } as const;

export const SUMMARY_SHAPE = {
  durationMs: 'number',
  connections: { attempted: 'number', established: 'number', completed: 'number', failed: 'number', ratePerSec: 'number' },
  errors: 'errno-map',
  serverErrors: 'errno-map',
  timeWait: { peak: 'number', peakClient: 'number', peakServer: 'number', end: 'number', sockstatPeak: 'number', peakAtMs: 'number', reopened: 'number' },
  ports: {
    distinct: 'number',
    reused: 'number',
    reuses: 'number',
    minReuseIntervalMs: 'number',
    medianReuseIntervalMs: 'number',
    exhaustedAtMs: 'number',
    establishedBeforeExhaustion: 'number',
    peakInUse: 'number',
    range: { low: 'number', high: 'number', size: 'number' },
  },
  latencyMs: { connect: PERCENTILES, firstByte: PERCENTILES, total: PERCENTILES, close: PERCENTILES, life: PERCENTILES },
  kernel: 'counter-map',
  bytes: { sent: 'number', received: 'number', lost: 'number' },
  restart: { ok: 'number', unavailableMs: 'number', attempts: 'number', failures: 'errno-map' },
  lingerBlockedMs: PERCENTILES,
  requests: { total: 'number', ok: 'number', failed: 'number', ratePerSec: 'number', perConnection: 'number' },
  driver: {
    cpuUserMs: 'number',
    cpuSystemMs: 'number',
    cpuMsPer1000: 'number',
    eventLoopDelayMs: { p50: 'number', p99: 'number', max: 'number' },
  },
  connectFill: {
    even: { ...PERCENTILES, firstAtMs: 'number', minHeld: 'number' },
    odd: { ...PERCENTILES, firstAtMs: 'number', minHeld: 'number' },
    lowFill: FILL_BAND,
    highFill: FILL_BAND,
    cliff: { atHeld: 'number', atFill: 'number', atMs: 'number', slowdownP50: 'number', slowdownP99: 'number' },
  },
} as const satisfies SummaryShape;

const ROOT: ShapeTree = { summary: SUMMARY_SHAPE as unknown as ShapeTree };

// errno names as the kernel spells them (EADDRNOTAVAIL), plus twstorm's own PEER_CLOSED_EARLY and CUT_AT_STOP.
const ERRNO_KEY = /^[A-Z][A-Z0-9_]*$/;

export type ResolvedPath =
  | { ok: true; segments: string[]; kind: 'number' | 'errno' | 'errno-total' | 'counter' | 'router' }
  | { ok: false; problem: string };

/**
 * Checks a dotted figure path against the summary's shape. An errno code is accepted even
 * though this run has not seen it yet: a code that never occurred is simply 0. Under a map of
 * codes, `total` is every code together (summary.errors.total: what `compare` reports and a
 * threshold gates on, one name for both).
 */
export function resolvePath(path: string): ResolvedPath {
  const segments = path.split('.');
  // A routed lab's router figures (lab.ts) sit beside the summary, not in it.
  if (segments[0] === 'lab') {
    if (ROUTER_FIGURES.includes(path)) return { ok: true, segments, kind: 'router' };
    return { ok: false, problem: `unknown router figure ${JSON.stringify(path)}${didYouMean(path, ROUTER_FIGURES)} (known: ${ROUTER_FIGURES.join(', ')})` };
  }
  let node: Leaf | ShapeTree = ROOT;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const at = segments.slice(0, i).join('.');
    if (node === 'number') {
      return { ok: false, problem: `${at} is a figure: there is nothing below it (drop ".${segments.slice(i).join('.')}")` };
    }
    if (typeof node === 'string') {
      if (i !== segments.length - 1) {
        const figure = segments.slice(0, i + 1).join('.');
        return { ok: false, problem: `${figure} is a figure: there is nothing below it (drop ".${segments.slice(i + 1).join('.')}")` };
      }
      if (node === 'errno-map') {
        if (segment === 'total') return { ok: true, segments, kind: 'errno-total' };
        if (!ERRNO_KEY.test(segment)) {
          return { ok: false, problem: `${JSON.stringify(segment)} is not an errno code (${at} is keyed by codes like EADDRNOTAVAIL, ECONNRESET, ETIMEDOUT)` };
        }
        return { ok: true, segments, kind: 'errno' };
      }
      if (!KEY_COUNTERS.includes(segment)) {
        return { ok: false, problem: `unknown kernel counter ${JSON.stringify(segment)} under ${at}${didYouMean(segment, KEY_COUNTERS)} (known: ${KEY_COUNTERS.join(', ')})` };
      }
      return { ok: true, segments, kind: 'counter' };
    }
    const child: Leaf | ShapeTree | undefined = Object.hasOwn(node, segment) ? node[segment] : undefined;
    if (child === undefined) {
      const where = at === '' ? 'at the top' : `under ${at}`;
      // At the top, `lab` (the router figures above) is known beside `summary`.
      const known = at === '' ? [...Object.keys(node), 'lab'] : Object.keys(node);
      return { ok: false, problem: `unknown figure ${JSON.stringify(segment)} ${where}${didYouMean(segment, known)} (known: ${known.join(', ')})` };
    }
    node = child;
  }
  if (node === 'number') return { ok: true, segments, kind: 'number' };
  const below = typeof node === 'string' ? `a code or counter name, e.g. ${path}.${node === 'errno-map' ? 'EADDRNOTAVAIL' : 'TcpExtTW'}` : `one of ${Object.keys(node).join(', ')}`;
  return { ok: false, problem: `${path} is a group, not a figure: name ${below}` };
}

/** Every plain figure path (maps excluded), for help texts and `compare --metric`. */
export function allFigurePaths(): string[] {
  const out: string[] = [];
  const walk = (node: ShapeTree, prefix: string): void => {
    for (const [key, child] of Object.entries(node)) {
      const path = `${prefix}.${key}`;
      if (child === 'number') out.push(path);
      else if (typeof child === 'object') walk(child, path);
    }
  };
  walk(SUMMARY_SHAPE as unknown as ShapeTree, 'summary');
  return out;
}

/**
 * Reads a resolved figure from a result. Map entries that are absent count as 0 (no error
 * of that code happened; the counter did not move). A plain figure that is null means the
 * thing did not happen (no exhaustion, no reuse); one that is missing means the result was
 * written by an older twstorm: both come back as null.
 * A kernel counter (summary.kernel.X) is every measured host's, as the verdict reads it
 * (kernelCounters): a loopback run's one namespace holds both sides, and a routed lab's
 * summary.kernel only its client hosts, so a gate on the server's ListenOverflows passed a lab
 * whose server host dropped SYNs.
 */
export function readFigure(result: RunResult, resolved: Extract<ResolvedPath, { ok: true }>): number | null {
  if (resolved.kind === 'router') return routerFigure(result, resolved.segments.join('.'));
  if (resolved.kind === 'counter') return kernelCounters(result)[resolved.segments.at(-1)!] ?? 0;
  let value: unknown = { summary: result.summary };
  const segments = resolved.kind === 'errno-total' ? resolved.segments.slice(0, -1) : resolved.segments;
  for (const segment of segments) {
    if (value === null || typeof value !== 'object') {
      value = undefined;
      break;
    }
    value = Object.hasOwn(value, segment) ? (value as Record<string, unknown>)[segment] : undefined;
  }
  if (resolved.kind === 'errno-total') {
    if (value === undefined) return 0;
    if (value === null || typeof value !== 'object') return null;
    return Object.values(value).reduce((sum: number, n) => sum + (typeof n === 'number' ? n : 0), 0);
  }
  if (typeof value === 'number') return value;
  // A yes/no figure (summary.restart.ok) gates as 1 or 0: "summary.restart.ok == 1".
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value === undefined && resolved.kind !== 'number') return 0;
  return null;
}

/**
 * The figure at a dotted path (as resolvePath reads it), or null where the path names none or
 * this result has none: a threshold and `compare` read a figure by the same name.
 */
export function figureAt(result: RunResult, path: string): number | null {
  const resolved = resolvePath(path);
  return resolved.ok ? readFigure(result, resolved) : null;
}

/** What decides which figures a run records: its protocol, under http its client, and whether it is a routed lab. */
export interface RunKind {
  protocol: 'tcp' | 'http';
  httpClient: string;
  routed?: boolean;
}

/**
 * Why a run of this kind never has the figure at `segments` (a resolved path), or null when it
 * may. A threshold on such a figure could only fail, and only after the whole run, saying "it did
 * not happen, or the result predates this figure" (an audit: latencyMs.close and .life gated
 * under an undici client); so it is refused with the file's other problems.
 */
export function unrecordedBy(segments: readonly string[], kind: RunKind): string | null {
  const [root, group, figure] = segments;
  if (root === 'lab' && kind.routed !== true) {
    return 'recorded by a routed lab\'s router only (environment.topology: routed): a loopback run has no router to refuse a flow';
  }
  if (group === 'requests' && kind.protocol === 'tcp') {
    return 'recorded by protocol http runs only: a tcp run counts connections (gate summary.connections.*)';
  }
  if (group === 'latencyMs' && (figure === 'close' || figure === 'life') && kind.protocol === 'http' && kind.httpClient !== 'raw') {
    return `never recorded with http.client ${kind.httpClient}: undici opens and closes its sockets itself, so there is no close() and no connection life to time; gate summary.latencyMs.total, or use http.client raw (the engine's sockets record both)`;
  }
  return null;
}
