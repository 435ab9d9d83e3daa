import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addErrors, asLab, finding, makeHttpResult, makeResult } from '../make-result.js';
import type { RunResult } from '../../../src/result/model.js';
import { story } from '../../../src/report/story.js';
import { renderHtmlReport } from '../../../src/report/html/index.js';
import { compileRamp, startsDueBy } from '../../../src/driver/shape/ramp.js';

/** An open loop that ran its duration out: rate 100 → 500/s over 2 s, then 500/s, for 3 s, 1,100 due. */
function openLoop(attempted: number, edit: (r: RunResult) => void = () => undefined): RunResult {
  return makeResult((x) => {
    x.scenario.rate = 100;
    x.scenario.stages = [{ duration: 2000, target: 500 }];
    x.scenario.duration = 3000;
    x.scenario.connections = 100_000;
    x.scenario.maxInFlight = 5;
    x.stoppedBy = 'duration';
    x.summary.connections = { attempted, established: attempted, completed: attempted, failed: 0, ratePerSec: attempted / 3 };
    x.summary.ports.peakInUse = 5;
    edit(x);
  });
}

describe('verdict rule: an open loop behind its schedule (verdict/schedule.ts)', () => {
  it('an open loop that made far fewer starts than its ramp made due says so, and that maxInFlight was full', () => {
    // An audit: this ramp behind maxInFlight 5 and a 100 ms read delay made 150 of 1,100 starts;
    // the summary said "attempted 150 … 48/s" and nothing else.
    const due = Math.ceil(startsDueBy(compileRamp(100, [{ duration: 2000, target: 500 }]), 3000));
    assert.equal(due, 1100);
    const f = finding(openLoop(150), 'schedule')!;
    assert.equal(f.alert, true);
    assert.equal(
      f.text,
      'The open loop fell behind its schedule: 150 of the 1,100 connections its rate and stages made due within the 3.00 s duration were attempted (14%); ' +
        'maxInFlight (5) was full: 5 were open at once, and a start waits for a free place. Late starts count their latency from when they were due; the rest never started.',
    );
    assert.ok(story(openLoop(150)).includes(`CHECK: ${f.text}`), 'the terminal says it in the same words');
    // Not held back by maxInFlight: the driver itself.
    assert.match(finding(openLoop(150, (x) => (x.summary.ports.peakInUse = 3)), 'schedule')!.text, /\(14%\); the driver did not keep up with it\./);
    // A flat rate says "its rate"; the count caps what was due.
    const flat = finding(openLoop(100, (x) => ((x.scenario.stages = []), (x.scenario.connections = 600))), 'schedule')!;
    assert.match(flat.text, /: 100 of the 300 connections its rate made due within/);
    // Failed starts are starts: a range that ran out does not make the loop behind.
    assert.equal(finding(openLoop(1100, (x) => addErrors(x, 'EADDRNOTAVAIL', 'connect', 900)), 'schedule'), undefined);
  });

  it('on schedule, a closed loop, a load stopped by its count or an interrupt: nothing', () => {
    assert.equal(finding(openLoop(1100), 'schedule'), undefined);
    assert.equal(finding(openLoop(1000), 'schedule'), undefined, 'within 10 %');
    assert.equal(finding(openLoop(150, (x) => (x.scenario.rate = null)), 'schedule'), undefined);
    assert.equal(finding(openLoop(150, (x) => (x.stoppedBy = 'count')), 'schedule'), undefined);
    assert.equal(finding(openLoop(150, (x) => ((x.stoppedBy = 'interrupted'), (x.interrupted = true))), 'schedule'), undefined);
    assert.equal(finding(makeResult(), 'schedule'), undefined);
  });

  it('counts requests under http, and every client host of a routed lab', () => {
    const http = makeHttpResult((x) => {
      x.scenario.rate = 1000;
      x.scenario.duration = 2000;
      x.scenario.http.requests = 100_000;
      x.stoppedBy = 'duration';
      x.summary.requests = { total: 500, ok: 500, failed: 0, ratePerSec: 250, perConnection: 1 };
    });
    assert.match(finding(http, 'schedule')!.text, /: 500 of the 2,000 requests its rate made due within the 2\.00 s duration were attempted \(25%\); the driver did not keep up/);
    // Each client host runs the scenario's load of its own (rate and count per host).
    const routed = (x: RunResult): void => {
      asLab(x, 2);
      x.scenario.environment = { ...x.scenario.environment, topology: 'routed', clients: 2 } as RunResult['scenario']['environment'];
    };
    assert.match(finding(openLoop(1100, routed), 'schedule')!.text, /: 1,100 of the 2,200 connections/);
    assert.equal(finding(openLoop(2200, routed), 'schedule'), undefined);
  });

  it('the report\'s latency note calls a ramp a ramp, not a fixed rate, and shows the finding', async () => {
    const note = async (r: RunResult): Promise<string | undefined> => /<p class="note">(Open loop \(.*?\)):/.exec(await renderHtmlReport([r], { generatedAt: new Date(0) }))?.[1];
    assert.equal(await note(openLoop(1100)), 'Open loop (a rate ramping through stages)');
    assert.equal(await note(openLoop(1100, (x) => (x.scenario.stages = []))), 'Open loop (a fixed rate)');
    assert.equal(await note(makeResult()), undefined, 'a closed loop has no schedule to note');
    assert.match(await renderHtmlReport([openLoop(150)], { generatedAt: new Date(0) }), /The open loop fell behind its schedule: 150 of the 1,100 connections/);
  });
});
