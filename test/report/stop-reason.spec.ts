// Why the load stopped, in words: the count it stopped at is the count the run made.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stopReason } from '../../src/report/stop-reason.js';
import { makeResult } from './make-result.js';
import type { RunResult } from '../../src/result/model.js';

describe('stopReason', () => {
  it('a count names the connections attempted: the scenario\'s, plus a restart\'s resumed ones, times the client hosts', () => {
    assert.equal(stopReason(makeResult((r) => (r.stoppedBy = 'count'))), 'all 1,000 connections were attempted');
    const restarted = makeResult((r) => {
      r.stoppedBy = 'count';
      r.scenario.server = { ...r.scenario.server, restart: { resume: 200 } } as typeof r.scenario.server;
    });
    assert.equal(stopReason(restarted), 'all 1,200 connections were attempted');
    const lab = makeResult((r) => {
      r.stoppedBy = 'count';
      r.scenario.connections = 1200;
      r.scenario.environment = { ...r.scenario.environment, topology: 'routed', clients: 3 } as typeof r.scenario.environment;
    });
    assert.equal(stopReason(lab), 'all 3,600 connections were attempted (1,200 from each of 3 client hosts)');
  });

  it('a failed run says why it failed; an interrupt says the figures are partial', () => {
    const early = makeResult((r) => ((r.failed = 'server.command "srv" exited during the run (code 1)'), (r.stoppedBy = 'error')));
    assert.equal(stopReason(early), 'the run failed: server.command "srv" exited during the run (code 1)');
    // The load reached its count before the failure (a server that died in the tail): both said,
    // as the result's stoppedBy says (an audit: "stopped because the run failed" beside stoppedBy "count").
    const late = makeResult((r) => ((r.failed = 'server.command "srv" exited during the run (code 0)'), (r.stoppedBy = 'count')));
    assert.equal(stopReason(late), 'all 1,000 connections were attempted, but the run failed: server.command "srv" exited during the run (code 0)');
    const timed = makeResult((r) => ((r.failed = 'every connection failed'), (r.stoppedBy = 'duration')));
    assert.equal(stopReason(timed), 'the 30.0 s duration ran out, but the run failed: every connection failed');
    // Seen after `run client-closes-first --set duration=1ms`: "the 0.00 s duration ran out".
    assert.equal(stopReason(makeResult((r) => ((r.stoppedBy = 'duration'), (r.scenario.duration = 1)))), 'the 1.00 ms duration ran out');
    assert.equal(stopReason(makeResult((r) => ((r.stoppedBy = 'duration'), (r.scenario.duration = 250)))), 'the 250 ms duration ran out');
    assert.match(stopReason(makeResult((r) => (r.stoppedBy = 'interrupted'))), /^it was interrupted \(SIGINT, SIGTERM or SIGHUP\); /);
    // What interrupted it, when the result says (a CI job's timeout sends SIGTERM).
    const by = (cause: RunResult['interruptedBy']): string => stopReason(makeResult((r) => ((r.stoppedBy = 'interrupted'), (r.interrupted = true), (r.interruptedBy = cause))));
    assert.match(by('SIGTERM'), /^it was interrupted \(SIGTERM: a kill, or a CI job's timeout\); the figures cover only the part that ran$/);
    assert.match(by('SIGINT'), /^it was interrupted \(SIGINT: Ctrl-C\)/);
    assert.match(by('parent-exit'), /^it was interrupted \(the twstorm process that started it exited\)/);
  });
});

describe('stopReason on a result file that lacks the count', () => {
  it('words it without a number instead of failing', () => {
    const r = makeResult((x) => {
      x.stoppedBy = 'count';
      (x.scenario as { connections?: number }).connections = undefined;
    });
    assert.equal(stopReason(r), 'all connections were attempted');
  });
});
