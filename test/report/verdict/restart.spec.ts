import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { oneChange } from '../../../src/report/verdict.js';
import { finding, makeResult } from '../make-result.js';

describe('verdict rule: server restart and SO_REUSEADDR (verdict/restart.ts)', () => {
  it('reuseaddr-listener: the server could not bind over TIME_WAIT', () => {
    const c = oneChange(makeResult((x) => (x.summary.serverErrors = { EADDRINUSE: 1 })));
    assert.equal(c.rule, 'reuseaddr-listener');
    assert.match(c.change, /SO_REUSEADDR on the listener/);
  });

  it('restart: a failed restart is an alert naming EADDRINUSE and TIME_WAIT; SO_REUSEADDR is the one change', () => {
    const failed = makeResult((r) => {
      r.scenario.close.first = 'server';
      r.summary.timeWait = { ...r.summary.timeWait, peak: 900, peakServer: 900, peakClient: 0 };
      r.summary.restart = { ok: false, unavailableMs: 3000, attempts: 30, failures: { EADDRINUSE: 30 } };
      r.summary.serverErrors = { EADDRINUSE: 30 };
    });
    const f = finding(failed, 'restart')!;
    assert.equal(f.alert, true);
    assert.match(f.text, /could not listen for the whole 3\.00 s: 30 binds failed \(EADDRINUSE 30\), because TIME_WAIT sockets hold its port/);
    assert.equal(oneChange(failed).rule, 'reuseaddr-listener');
    const ok = makeResult((r) => {
      r.summary.restart = { ok: true, unavailableMs: 2, attempts: 1, failures: {} };
      r.scenario.server.reuseAddr = true;
      r.summary.timeWait = { ...r.summary.timeWait, peak: 900, peakServer: 900, peakClient: 0 };
    });
    assert.equal(finding(ok, 'restart')!.alert, false);
    assert.equal(finding(ok, 'restart')!.text, 'The restarted server listened again at once (2 ms): SO_REUSEADDR let it bind over the 900 TIME_WAIT sockets on its port.');
    // No TIME_WAIT on the server's port (the client closed first): SO_REUSEADDR did nothing.
    const none = makeResult((r) => {
      r.summary.restart = { ok: true, unavailableMs: 2, attempts: 1, failures: {} };
      r.scenario.server.reuseAddr = true;
      r.summary.timeWait = { ...r.summary.timeWait, peak: 900, peakServer: 0, peakClient: 900 };
    });
    assert.equal(finding(none, 'restart')!.text, 'The restarted server listened again at once (2 ms): no TIME_WAIT held its port (the server closed no connection first).');
    assert.equal(finding(makeResult(), 'restart'), undefined, 'no restart phase, no finding');
  });
});
