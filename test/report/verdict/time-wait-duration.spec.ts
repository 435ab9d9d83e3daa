import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { finding, makeResult } from '../make-result.js';
import type { RunResult } from '../../../src/result/model.js';
import { story } from '../../../src/report/story.js';

/** A census that watched `n` TIME_WAIT sockets appear over 1 s and drain after `lifeS`. */
function drained(x: RunResult, n: number, lifeS: number): void {
  const t = [0, 500, 1000, 1500];
  const v = [0, n / 2, n, n];
  for (let s = 5; s < lifeS; s += 5) {
    t.push(s * 1000);
    v.push(n);
  }
  t.push((lifeS + 0.5) * 1000, (lifeS + 1) * 1000, (lifeS + 2) * 1000);
  v.push(n / 2, 0, 0);
  x.series.census = { t, client: { TIME_WAIT: v }, server: {} };
  x.summary.timeWait.end = 0;
  // Every TIME_WAIT the kernel made was alive at once (sockstat tw peaked at TcpExtTW).
  x.summary.kernel['TcpExtTW'] = n;
  x.summary.timeWait.sockstatPeak = n;
}

describe('verdict rule: TIME_WAIT lifetime (verdict/time-wait-duration.ts)', () => {
  it('a run that stopped sampling before TIME_WAIT drained: nothing to measure', () => {
    assert.equal(finding(makeResult(), 'time-wait-duration'), undefined);
  });

  it('drained after 60 s: says so, with the figures, independent of tcp_fin_timeout', () => {
    const r = makeResult((x) => {
      drained(x, 1000, 60);
      x.environment.sysctls['net.ipv4.tcp_fin_timeout'] = '5';
    });
    const f = finding(r, 'time-wait-duration')!;
    assert.match(
      f.text,
      /^TIME_WAIT drained after ~60 s, independent of tcp_fin_timeout \(5 s here: it governs orphaned FIN_WAIT2, not TIME_WAIT\): half of the 1,000 were gone 60\.0 s after half had been made, and the last 60\.0 s after the curve stopped rising/,
    );
    assert.equal(f.alert, false);
    // The terminal's story says it too, in the finding's own words.
    assert.ok(story(r).includes(f.text), story(r).join('\n'));
    assert.match(finding(makeResult((x) => drained(x, 1000, 60)), 'time-wait-duration')!.text, /the fixed TCP_TIMEWAIT_LEN/);
  });

  it('sockets that came and went during a longer load: the fall is the load\'s end, not a lifetime', () => {
    const r = makeResult((x) => {
      drained(x, 1000, 60);
      x.summary.kernel['TcpExtTW'] = 30_000; // 30,000 made, never more than 1,000 alive at once
    });
    assert.equal(finding(r, 'time-wait-duration'), undefined);
  });

  it('drained far sooner than 60 s: flagged as ended early', () => {
    const f = finding(makeResult((x) => drained(x, 1000, 20)), 'time-wait-duration')!;
    assert.match(f.text, /^TIME_WAIT drained after ~20\.0 s, not the 60 s Linux keeps it/);
    assert.equal(f.alert, true);
  });
});
