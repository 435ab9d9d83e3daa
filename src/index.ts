// twstorm as a library: `import { runScenario, compareResults } from 'twstorm'`. The same
// pieces the CLI uses, each behind one function with plain inputs (a scenario name or file,
// result objects or files) so a program can run, compare, merge and plan without a shell.
// Runs still happen in a fresh network namespace made by a child process: the calling
// process's own sockets and sysctls are never touched.
import { expandMatrix, type Scenario } from './scenario/index.js';
import { loadRunnableScenario } from './run/load-scenario.js';
import { chooseIsolation } from './run/run-scenario.js';
import { runSet } from './run/run-set.js';
import { prepareOutDir } from './run/out-dir.js';
import { applyShard, parseShard, shardIsolation } from './run/shard.js';
import { requireSocketFeatures } from './run/native-needs.js';
import type { RunResult } from './result/model.js';
import { readResultFile, type LoadedResult } from './compare/load.js';
import { pairResultSets, type SetPairing } from './compare/sets.js';
import { compareResults as compareSets, type CompareOptions, type CompareReport } from './compare/compare.js';
import { mergeResults as mergeExact, type MergeOptions } from './result/merge.js';
import type { StoredResult } from './result/provenance.js';
import { computePlan, planFromResult, type PlanInputs, type PlanOutput, type PlanFromResult } from './plan/index.js';
import { renderHtmlReport, type HtmlReportOptions } from './report/html/index.js';
import { evaluateThresholds, type ThresholdOutcome } from './thresholds/index.js';

export interface RunOptions {
  /** `--set` style overrides: ["connections=20000", "close.first=server"]. */
  set?: string[];
  /** Where result JSON (and nothing else) is written; default "reports". */
  outDir?: string;
  /** Runs per variant, each in a fresh namespace (the scenario's `repeat:` otherwise). */
  repeat?: number;
  /** "i/N": this process's share of a split run. */
  shard?: string;
  isolation?: Scenario['environment']['isolation'];
}

/** A bundled scenario's name ("client-closes-first") or a YAML/JSON file, validated, defaults filled. */
export async function loadScenario(nameOrFile: string, set: string[] = []): Promise<Scenario> {
  return (await loadRunnableScenario(nameOrFile, set)).scenario;
}

/**
 * Runs a scenario — every matrix variant, `repeat` times each — and resolves to the results
 * (also written under `outDir`). Needs what the CLI needs: root or unprivileged user namespaces
 * for the network namespace, or `isolation: "host"`.
 */
export async function runScenario(scenario: string | Scenario, options: RunOptions = {}): Promise<StoredResult[]> {
  const set = [...(options.set ?? [])];
  if (options.repeat !== undefined) set.push(`repeat=${options.repeat}`);
  if (options.isolation !== undefined) set.push(`environment.isolation=${options.isolation}`);
  let loaded: Scenario;
  let file = '<scenario object>';
  if (typeof scenario === 'string') {
    // As `twstorm run` loads it: a "did you mean", threshold paths and this kernel's sysctls checked.
    ({ file, scenario: loaded } = await loadRunnableScenario(scenario, set));
  } else {
    if (set.length > 0) throw new TypeError('runScenario: `set`, `repeat` and `isolation` apply to a scenario name or file; change the Scenario object instead');
    loaded = scenario;
  }
  const shard = options.shard === undefined ? null : applyShard(loaded, parseShard(options.shard, 'shard'), { isolation: shardIsolation(loaded.environment.isolation) });
  if (shard) loaded = shard.scenario;
  if (shard?.notice) process.emitWarning(shard.notice, { code: 'TWSTORM_SHARD_PORTS' });
  const variants = expandMatrix(loaded, file);
  for (const v of variants.length > 0 ? variants.map((x) => x.scenario) : [loaded]) requireSocketFeatures(v);
  // The output directory is made and proven writable before any traffic (run/out-dir.ts).
  const { dir: outDir } = await prepareOutDir(options.outDir ?? 'reports', []);
  const outcomes = await runSet(loaded, variants, outDir, chooseIsolation(loaded.environment.isolation), { shard: shard?.info ?? null });
  return outcomes.map((o) => o.result);
}

type Side = string | RunResult | RunResult[];

async function sideOf(side: Side, label: string): Promise<{ path: string; results: LoadedResult[] | null }> {
  if (typeof side === 'string') return { path: side, results: null };
  const list = Array.isArray(side) ? side : [side];
  if (list.length === 0) throw new TypeError(`compareResults: the ${label} has no result`);
  return { path: `<${label}>`, results: list.map((result, i) => ({ file: `<${label} ${i + 1}>`, result })) };
}

/**
 * Compares two results, two repeat sets (arrays of results) or two files/directories (as
 * `twstorm compare` does). Defaults are the CLI's: tolerance 10 %, confidence 0.99,
 * single-run tolerance 30 %, latency floor 0.1 ms.
 */
export async function compareResults(baseline: Side, current: Side, options: Partial<CompareOptions> = {}): Promise<CompareReport> {
  const b = await sideOf(baseline, 'baseline');
  const c = await sideOf(current, 'current');
  let pairing: SetPairing;
  if (b.results === null && c.results === null) pairing = await pairResultSets(b.path, c.path);
  else {
    const bl = b.results ?? [{ file: b.path, result: await readResultFile(b.path) }];
    const cl = c.results ?? [{ file: c.path, result: await readResultFile(c.path) }];
    const name = cl[0]!.result.variant ? `${cl[0]!.result.scenario.name} [${cl[0]!.result.variant.label}]` : cl[0]!.result.scenario.name;
    pairing = { pairs: [{ name, baseline: bl, current: cl }], missing: [], added: [] };
  }
  return compareSets(b.path, c.path, pairing, {
    tolerancePct: options.tolerancePct ?? 10,
    latencyFloorMs: options.latencyFloorMs ?? 0.1,
    metrics: options.metrics ?? [],
    ...(options.confidence !== undefined ? { confidence: options.confidence } : {}),
    ...(options.singleRunTolerancePct !== undefined ? { singleRunTolerancePct: options.singleRunTolerancePct } : {}),
  });
}

/**
 * Merges results (objects, or files by path) exactly; the result carries `merged.contributors`.
 * Shards of a split with some missing, and results that were interrupted, are refused unless
 * `options.partial`.
 */
export async function mergeResults(inputs: Array<string | RunResult>, options: MergeOptions = {}): Promise<StoredResult> {
  const loaded = await Promise.all(
    inputs.map(async (x, i) => (typeof x === 'string' ? { file: x, result: await readResultFile(x) } : { file: `<result ${i + 1}>`, result: x })),
  );
  return mergeExact(loaded, options);
}

/** The capacity model: from inputs (ports, TIME_WAIT, sources, destinations…), or checked against a result. */
export function plan(inputs: PlanInputs): PlanOutput;
export function plan(result: RunResult): PlanFromResult;
export function plan(x: PlanInputs | RunResult): PlanOutput | PlanFromResult {
  return 'summary' in x ? planFromResult(x) : computePlan(x);
}

/** One self-contained HTML page: the single-run report for one result, the comparison for several. */
export function renderHtml(results: RunResult | RunResult[], options: HtmlReportOptions = {}): Promise<string> {
  return renderHtmlReport(Array.isArray(results) ? results : [results], options);
}

/** The scenario's thresholds evaluated on a result (a merged one too). */
export function checkThresholds(result: RunResult): ThresholdOutcome[] {
  return evaluateThresholds(result.scenario.thresholds, result);
}

export type { Scenario, ScenarioInput } from './scenario/schema.js';
export type { RunResult, Summary, RunVariant, DriverCost, ServerFacts, StopReason } from './result/model.js';
export type { PercentilesMs } from './metrics/histograms.js';
export type { StoredResult, RepeatInfo, ShardInfo, MergeInfo, Contributor } from './result/provenance.js';
export type { MergeOptions } from './result/merge.js';
export type { CompareReport, CompareOptions, MetricComparison, ScenarioComparison, Status } from './compare/compare.js';
export type { PlanInputs, PlanOutput, PlanFromResult, ThresholdOutcome, HtmlReportOptions };
export { RESULT_SCHEMA } from './result/model.js';
export { VERSION } from './version.js';
