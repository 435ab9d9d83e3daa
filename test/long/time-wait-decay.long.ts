// How long TIME_WAIT and orphaned FIN_WAIT2 really last, measured over a minute (issue 12):
// time-wait-duration and both fin-timeout-myth variants, each in a fresh namespace, run side by
// side (mostly idle: a second of load, then 65 s of watching), about 75 s in all. Not part of
// `npm test`; `.ci/run` runs it after the unit suite (build first:
// `npm run build && node --test dist/test/long/time-wait-decay.long.js`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInNetns, type HarnessOutput } from '../helpers/netns.js';
import { verdict } from '../../src/report/verdict.js';
import { bothSides, decayOf, type Decay } from '../../src/report/verdict/decay.js';
import { timelineCharts } from '../../src/report/html/timeline.js';

const LIMIT_MS = 150_000;

const say = (out: HarnessOutput, rule: string): string => verdict(out.result).findings.find((f) => f.rule === rule)?.text ?? '';

/** Lifetime within the census resolution (plus the timer's own ~1 s slack) of what Linux promises. */
function assertLasted(d: Decay | null, seconds: number, what: string): void {
  assert.ok(d !== null, `${what}: no decay in the census`);
  const slack = d.resolutionMs + 1000;
  assert.ok(Math.abs(d.lifetimeMs - seconds * 1000) <= slack, `${what}: lived ${d.lifetimeMs} ms, expected ${seconds * 1000} ± ${slack}`);
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
    // The chart draws both decays over the whole minute as lines (a 1 s census on a 70 s axis):
    // the only stretches left undrawn are census gaps while the load ran, before each curve's top.
    const states = timelineCharts([out.result]).find((c) => c.id === 'states')!;
    for (const [label, state] of [['client TIME_WAIT', 'TIME_WAIT'], ['client FIN_WAIT2', 'FIN_WAIT2']] as const) {
      const s = states.series.find((x) => x.label === label);
      assert.ok(s?.breaks, `${label} drawn as a census series`);
      const fullAt = decayOf(series.census.t, series.census.client[state] ?? [])!.fullAtMs / 1000;
      assert.ok(s.breaks.every(([, to]) => to <= fullAt), `${label}: undrawn ${JSON.stringify(s.breaks)} after its top at ${fullAt} s`);
    }
    assert.ok(states.x.at(-1)! >= 65, `the chart spans ${states.x.at(-1)} s`);
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
