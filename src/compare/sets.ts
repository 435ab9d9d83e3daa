// Finding the result SETS to compare: a side is one run, or every repeat of one
// `run --repeat N` set. Two files compare one run each; two directories are matched by
// scenario name and matrix variant, and per key the newest set wins (a CI job that re-ran a
// scenario compares its last attempt). Every file is read through load.ts's reader.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { RESULT_SCHEMA } from '../result/model.js';
import { readResultDirectory, refuseDuplicates, ResultFileError } from '../result/read.js';
import { mergedOf, repeatOf, shardOf } from '../result/provenance.js';
import { CompareInputError, readResultFile, resultKey, type LoadedResult, type Pairing } from './load.js';
import { byCodeUnit } from '../util/order.js';
import { allInOrder } from '../util/all-in-order.js';

export interface SetPairing {
  pairs: Array<{ name: string; baseline: LoadedResult[]; current: LoadedResult[] }>;
  /** Scenario names with a baseline but no current result: the run that should have made it did not. */
  missing: string[];
  /** Scenario names new in the current set: nothing to compare them with yet. */
  added: string[];
}

/** The runs of one key, grouped into sets: a repeat set by its id, a plain run alone. */
function newestSets(loaded: LoadedResult[]): Map<string, LoadedResult[]> {
  const groups = new Map<string, Map<string, LoadedResult[]>>();
  for (const item of loaded) {
    const key = resultKey(item.result);
    const setId = repeatOf(item.result)?.set ?? `single:${item.file}`;
    const sets = groups.get(key) ?? new Map<string, LoadedResult[]>();
    sets.set(setId, [...(sets.get(setId) ?? []), item]);
    groups.set(key, sets);
  }
  const newest = new Map<string, LoadedResult[]>();
  // A merge is as new as its newest contributor (it starts when its first one did): two merges of
  // one split then tie unless one lacks the newest shard, and the one holding more shards is the
  // fuller picture (an audit: a --partial merge beside the complete one won by its file name; a
  // review: a partial without the first shard started later and won on time).
  const newestOf = (r: LoadedResult['result']): string => [r.startedAt, ...(mergedOf(r)?.contributors.map((c) => c.startedAt) ?? [])].sort().at(-1)!;
  const latest = (set: LoadedResult[]): string => set.map((x) => newestOf(x.result)).sort().at(-1)!;
  const held = (set: LoadedResult[]): number => set.reduce((n, x) => n + (mergedOf(x.result)?.contributors.length ?? 1), 0);
  for (const [key, sets] of groups) {
    const chosen = [...sets.values()].sort((a, b) => byCodeUnit(latest(a), latest(b)) || held(a) - held(b)).at(-1)!;
    newest.set(key, chosen.sort((a, b) => byCodeUnit(a.result.startedAt, b.result.startedAt)));
  }
  return newest;
}

/**
 * Every result in a directory (not recursive); other JSON is skipped. A file of several runs
 * (`run --json` of a repeat or a matrix) gives each; a run in two files is refused, for a rank
 * test over a set would count it twice (an audit: copies took a p of 0.100 to 0.048).
 */
async function resultsIn(dir: string): Promise<LoadedResult[]> {
  try {
    const read = await readResultDirectory(dir);
    refuseDuplicates(read);
    return read.flatMap(({ file, runs }) => runs.map((result, i) => ({ file: runs.length === 1 ? file : `${file}[${i}]`, result })));
  } catch (err) {
    if (err instanceof ResultFileError) throw new CompareInputError(err.message);
    throw err;
  }
}

/**
 * A directory compares one result per scenario, and a shard (run --shard) is a part of one: a
 * shard that a merge in the directory holds is left out, and one that none holds is refused, for
 * "the newest result" would silently be one shard's share of the load, or an older split's merge
 * (an audit: a merge of a 2-shard split beside the 3 shards of a newer one, which were dropped).
 */
function withoutShards(loaded: LoadedResult[], dir: string): LoadedResult[] {
  const held = loaded.flatMap((x) => mergedOf(x.result)?.contributors ?? []);
  const inAMerge = (r: LoadedResult['result']): boolean => {
    const s = shardOf(r)!;
    return held.some((c) => c.startedAt === r.startedAt && c.shard?.index === s.index && c.shard.count === s.count);
  };
  const alone = loaded.find((x) => shardOf(x.result) !== undefined && !inAMerge(x.result));
  if (alone) {
    const s = shardOf(alone.result)!;
    throw new CompareInputError(
      `${alone.file} is shard ${s.index + 1}/${s.count} of a split (run --shard), and no merge in ${dir} holds it: merge its shards (twstorm merge <shards> -o ${path.join(dir, '/')}) and compare again`,
    );
  }
  return loaded.filter((x) => shardOf(x.result) === undefined);
}

async function kindOf(p: string): Promise<'file' | 'dir'> {
  try {
    return (await stat(p)).isDirectory() ? 'dir' : 'file';
  } catch (err) {
    // Worded as result/read.ts words an unreadable file: the same mistake reads the same way.
    throw new CompareInputError(`${p}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); pass two result JSONs written by "twstorm run", or two directories of them`);
  }
}

export async function pairResultSets(baseline: string, current: string): Promise<SetPairing> {
  const [bKind, cKind] = await allInOrder([kindOf(baseline), kindOf(current)]);
  if (bKind !== cKind) {
    throw new CompareInputError(
      `${baseline} is a ${bKind === 'dir' ? 'directory' : 'file'} but ${current} is a ${cKind === 'dir' ? 'directory' : 'file'}: compare two result files or two directories`,
    );
  }
  if (bKind === 'file') {
    const [b, c] = await allInOrder([readResultFile(baseline), readResultFile(current)]);
    // A shard is a share of a run, never compared as the whole (its per-run figures are a share).
    for (const [file, r] of [[baseline, b], [current, c]] as const) {
      const s = shardOf(r);
      if (s !== undefined) {
        throw new CompareInputError(`${file} is shard ${s.index + 1}/${s.count} of a split (run --shard): merge its shards (twstorm merge <shards> -o merged.json) and compare the merge`);
      }
    }
    // Two files are compared whatever their names: the user chose them.
    return { pairs: [{ name: resultKey(c), baseline: [{ file: baseline, result: b }], current: [{ file: current, result: c }] }], missing: [], added: [] };
  }
  const [bAll, cAll] = await allInOrder([resultsIn(baseline).then((r) => withoutShards(r, baseline)), resultsIn(current).then((r) => withoutShards(r, current))]);
  if (bAll.length === 0) throw new CompareInputError(`no twstorm results (*.json with "schema": "${RESULT_SCHEMA}") in ${baseline}`);
  if (cAll.length === 0) throw new CompareInputError(`no twstorm results (*.json with "schema": "${RESULT_SCHEMA}") in ${current}`);
  const b = newestSets(bAll);
  const c = newestSets(cAll);
  const pairs: SetPairing['pairs'] = [];
  const missing: string[] = [];
  for (const [name, base] of [...b].sort(([x], [y]) => byCodeUnit(x, y))) {
    const cur = c.get(name);
    if (cur) pairs.push({ name, baseline: base, current: cur });
    else missing.push(name);
  }
  const added = [...c.keys()].filter((name) => !b.has(name)).sort();
  return { pairs, missing, added };
}

/**
 * One result per side: the newest of each matched set (by startedAt) — a CI job that re-ran a
 * scenario compares its last attempt.
 */
export async function pairResults(baseline: string, current: string): Promise<Pairing> {
  const sets = await pairResultSets(baseline, current);
  return {
    pairs: sets.pairs.map((p) => ({ name: p.name, baseline: p.baseline.at(-1)!, current: p.current.at(-1)! })),
    missing: sets.missing,
    added: sets.added,
  };
}
