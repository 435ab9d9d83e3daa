// The router's connection tracking, over time: how many entries, in which TCP state (TIME_WAIT
// entries live 120 s here — nf_conntrack_tcp_timeout_time_wait — twice the hosts' 60 s), and the
// failure counters: insert_failed (a clash on insert, e.g. NAT found no free tuple), drop (a
// packet dropped because the table was full), early_drop (an entry evicted to make room).
// Read in the router's namespace: /proc/net/stat/nf_conntrack is per namespace; the entry list
// comes from `conntrack -L` (netlink), because /proc/net/nf_conntrack is not built on most kernels.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Per-namespace conntrack statistics, summed over CPUs (the file has one row per CPU, in hex). */
export type ConntrackStats = Record<string, number>;

/** The counters that mean the router refused a flow: a report marks them, the verdict names them. */
export const CONNTRACK_TROUBLE: readonly string[] = ['insert_failed', 'drop', 'early_drop'];

export function parseConntrackStat(text: string): ConntrackStats {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0]?.trim().split(/\s+/) ?? [];
  const sums: ConntrackStats = Object.fromEntries(header.map((h) => [h, 0]));
  for (const line of lines.slice(1)) {
    const cells = line.trim().split(/\s+/);
    cells.forEach((cell, i) => {
      const name = header[i];
      // `entries` is the same table-wide count on every row, not a per-CPU figure.
      if (name === undefined) return;
      const value = parseInt(cell, 16);
      sums[name] = name === 'entries' ? value : (sums[name] ?? 0) + value;
    });
  }
  return sums;
}

export async function readConntrackStats(procRoot = '/proc'): Promise<ConntrackStats | null> {
  try {
    return parseConntrackStat(await readFile(`${procRoot}/net/stat/nf_conntrack`, 'utf8'));
  } catch {
    return null; // conntrack not loaded / not in use in this namespace
  }
}

/** TCP conntrack entries by state, from `conntrack -L -p tcp` lines ("tcp 6 117 TIME_WAIT src=…"). */
export function parseConntrackList(text: string): Record<string, number> {
  const states: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*tcp\s+\d+\s+\d+\s+([A-Z_]+)\s/.exec(line);
    if (m) states[m[1]!] = (states[m[1]!] ?? 0) + 1;
  }
  return states;
}

export async function readConntrackStates(prefix: readonly string[] = []): Promise<Record<string, number>> {
  const argv = [...prefix, 'conntrack', '-L', '-p', 'tcp'];
  const { stdout } = await run(argv[0]!, argv.slice(1), { timeout: 20_000, maxBuffer: 256 * 1024 * 1024 });
  return parseConntrackList(stdout);
}

export interface ConntrackSample {
  t: number;
  stats: ConntrackStats | null;
  states: Record<string, number>;
}

/** One sample: statistics and the state census. */
export async function sampleConntrack(t: number, procRoot = '/proc'): Promise<ConntrackSample> {
  const [stats, states] = await Promise.all([readConntrackStats(procRoot), readConntrackStates().catch(() => ({}))]);
  return { t, stats, states };
}

/**
 * Samples every `everyMs` until stop(); the last sample is taken at stop. Sampling never
 * overlaps itself (a census of 100k entries takes longer than a short interval).
 */
export function watchConntrack(everyMs: number, clock: () => number): { stop(): Promise<ConntrackSample[]> } {
  const samples: ConntrackSample[] = [];
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  const loop = async (): Promise<void> => {
    while (!stopped) {
      samples.push(await sampleConntrack(clock()));
      if (!stopped) await new Promise((r) => setTimeout(r, everyMs));
    }
  };
  current = loop();
  return {
    async stop() {
      stopped = true;
      await current;
      samples.push(await sampleConntrack(clock()));
      return samples;
    },
  };
}

/** insert_failed, drop, early_drop … over the run (last sample − first). */
export function conntrackDeltas(samples: ConntrackSample[]): Record<string, number> {
  const first = samples.find((s) => s.stats !== null)?.stats ?? {};
  const last = [...samples].reverse().find((s) => s.stats !== null)?.stats ?? {};
  const out: Record<string, number> = {};
  for (const key of ['insert', 'insert_failed', 'drop', 'early_drop', 'invalid', 'clashres', 'search_restart']) {
    if (key in last) out[key] = (last[key] ?? 0) - (first[key] ?? 0);
  }
  return out;
}
