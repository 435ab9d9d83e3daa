// The fault rules' nft counters, read once at the end of the run: how many segments each rule
// actually dropped or reset (after its "first N" and "P %" selection), so the report can say
// "dropped 200 final ACKs" from the kernel's count rather than from the scenario's wish.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FAULT_TABLE, describeFault, type FaultRule } from '../environment/faults.js';

const run = promisify(execFile);

export interface FaultCount {
  /** The rule in words: "drop final-ack to-server (first 200)". */
  rule: string;
  packets: FaultRule['packets'];
  direction: FaultRule['direction'];
  action: FaultRule['action'];
  /** Segments the rule dropped (or answered with an RST), from its nft counter. */
  matched: number;
}

interface NftJson {
  nftables?: Array<{ rule?: { chain?: string; comment?: string; expr?: Array<Record<string, unknown>> } }>;
}

/** Counter values by chain name (fault0, fault1…) from `nft -j list table`. */
export function parseFaultCounters(json: string): Map<string, number> {
  const out = new Map<string, number>();
  const doc = JSON.parse(json) as NftJson;
  for (const item of doc.nftables ?? []) {
    const rule = item.rule;
    if (!rule?.chain?.startsWith('fault')) continue;
    for (const expr of rule.expr ?? []) {
      const counter = expr['counter'] as { packets?: number } | undefined;
      if (counter && typeof counter.packets === 'number') out.set(rule.chain, (out.get(rule.chain) ?? 0) + counter.packets);
    }
  }
  return out;
}

export async function readFaultCounts(rules: readonly FaultRule[]): Promise<FaultCount[]> {
  if (rules.length === 0) return [];
  const { stdout } = await run('nft', ['-j', 'list', 'table', 'inet', FAULT_TABLE], { timeout: 10_000, maxBuffer: 16 << 20 });
  const counters = parseFaultCounters(stdout);
  return rules.map((rule, i) => ({
    rule: describeFault(rule),
    packets: rule.packets,
    direction: rule.direction,
    action: rule.action,
    matched: counters.get(`fault${i}`) ?? 0,
  }));
}
