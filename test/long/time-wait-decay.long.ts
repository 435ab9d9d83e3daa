// How long TIME_WAIT and orphaned FIN_WAIT2 really last, measured over a minute (issue 12):
// time-wait-duration and both fin-timeout-myth variants, each in a fresh namespace, run side by
// side (mostly idle: a second of load, then 65 s of watching), about 75 s in all. Not part of
// `npm test`; `.ci/run` runs it after the unit suite (build first:
// `npm run build && node --test dist/test/long/time-wait-decay.long.js`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInNetns, type HarnessOutput } from '../helpers/netns.js';
import { verdict } from '../../src/report/verdict.js';
import { bothSides, decayOf, isTimerOf, type Decay } from '../../src/report/verdict/decay.js';
import { kernelHz } from '../../src/environment/timer-hz.js';
import { timerLateSeconds } from '../../src/tcp-facts.js';
import { censusMaxGapSeconds, timelineCharts } from '../../src/report/html/timeline.js';

const LIMIT_MS = 150_000;

const say = (out: HarnessOutput, rule: string): string => verdict(out.result).findings.find((f) => f.rule === rule)?.text ?? '';

/** The lifetime Linux promises, as its timer wheel keeps it (never early, late by a granule), within the census resolution. */
function assertLasted(d: Decay | null, seconds: number, what: string): void {
  assert.ok(d !== null, `${what}: no decay in the census`);
  assert.ok(
    isTimerOf(d.lifetimeMs, seconds * 1000, d.resolutionMs, kernelHz()),
    `${what}: lived ${d.lifetimeMs} ms, expected ${seconds * 1000} ms (+${timerLateSeconds(seconds, kernelHz()) * 1000} ms timer granule at HZ ${kernelHz() ?? 'unknown'}) ± ${d.resolutionMs + 1000} ms`,
  );
  assert.ok(d.emptyAtMs !== null, `${what}: not drained by the end`);
}

test('TIME_WAIT lasts 60 s here; tcp_fin_timeout moves orphaned FIN_WAIT2 only', { timeout: LIMIT_MS + 30_000 }, async () => {
  const myth = (finTimeout: number): Promise<HarnessOutput> =>
    runInNetns('fin-timeout-myth', ['matrix={}', `environment.sysctls.net.ipv4.tcp_fin_timeout=${finTimeout}`], LIMIT_MS);
  const [duration, myth5, myth60] = await Promise.all([runInNetns('time-wait-duration', [], LIMIT_MS), myth(5), myth(60)]);

  // time-wait-duration: 1,000 TIME_WAIT on the client, all gone ~60 s after they were made.
  {
    const { summary, series } = duration.result;
    assert.equal(summary.timeWait.peakClient, 1000);
    assert.equal(summary.kernel['TcpExtTW'], 1000);
    assert.equal(summary.timeWait.end, 0);
    assert.equal(series.kernel.tw.at(-1), 0, 'sockstat tw drained too');
    assert.deepEqual(duration.ss, { client: 0, server: 0 });
    const d = decayOf(series.census.t, bothSides(series.census, 'TIME_WAIT'));
    assertLasted(d, 60, 'time-wait-duration TIME_WAIT');
    assert.match(say(duration, 'time-wait-duration'), /^TIME_WAIT drained after ~60 s, the fixed TCP_TIMEWAIT_LEN/);
  }

  // fin-timeout-myth: TIME_WAIT 60 s in both; FIN_WAIT2 5 s with tcp_fin_timeout=5, 60 s with 60.
  for (const [out, finTimeout] of [[myth5, 5], [myth60, 60]] as const) {
    const { series, summary } = out.result;
    assert.equal(out.result.environment.sysctls['net.ipv4.tcp_fin_timeout'], String(finTimeout));
    assert.equal(summary.timeWait.peakClient, 200);
    assertLasted(decayOf(series.census.t, series.census.client['TIME_WAIT'] ?? []), 60, `fin_timeout=${finTimeout} TIME_WAIT`);
    assertLasted(decayOf(series.census.t, series.census.client['FIN_WAIT2'] ?? []), finTimeout, `fin_timeout=${finTimeout} FIN_WAIT2`);
    assert.match(say(out, 'fin-wait2'), new RegExp(`tcp_fin_timeout=${finTimeout} s governs them`));
    assert.match(say(out, 'time-wait-duration'), /^TIME_WAIT drained after ~60 s/);
    // The states chart shows the whole decay: TIME_WAIT still up after 50 s, gone at the end of
    // a 65 s+ axis; a census series everywhere, joined only across gaps no wider than its limit
    // (a starved census on a busy machine leaves markers, never a line across the gap).
    const states = timelineCharts([out.result]).find((c) => c.id === 'states')!;
    assert.ok(states.x.at(-1)! >= 65, `the chart spans ${states.x.at(-1)} s`);
    const maxGap = censusMaxGapSeconds(out.result);
    for (const label of ['client TIME_WAIT', 'client FIN_WAIT2']) {
      const s = states.series.find((x) => x.label === label);
      assert.ok(s?.breaks, `${label} drawn as a census series`);
      assert.ok(s.breaks.every(([a, b]) => b - a > maxGap), `${label}: a break no wider than ${maxGap} s`);
      assert.equal(s.values.filter((v) => v !== null).at(-1), 0, `${label} drained in the chart`);
    }
    const tw = states.series.find((x) => x.label === 'client TIME_WAIT')!;
    assert.ok(tw.values.some((v, i) => (v ?? 0) > 0 && states.x[i]! >= 50), 'TIME_WAIT still drawn after 50 s');
  }
  assert.match(say(myth5, 'time-wait-duration'), /independent of tcp_fin_timeout \(5 s here/);
  // The measured figures, for the scenario headers and docs to quote.
  const life = (out: HarnessOutput, side: 'client', state: string): number | null => {
    const d = decayOf(out.result.series.census.t, out.result.series.census[side][state] ?? []);
    return d === null ? null : Math.round(d.lifetimeMs) / 1000;
  };
  console.log(
    JSON.stringify({
      timeWaitSeconds: life(duration, 'client', 'TIME_WAIT'),
      finTimeout5: { timeWait: life(myth5, 'client', 'TIME_WAIT'), finWait2: life(myth5, 'client', 'FIN_WAIT2') },
      finTimeout60: { timeWait: life(myth60, 'client', 'TIME_WAIT'), finWait2: life(myth60, 'client', 'FIN_WAIT2') },
    }),
  );
});
