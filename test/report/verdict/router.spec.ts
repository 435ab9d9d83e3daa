import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { oneChange } from '../../../src/report/verdict.js';
import { addErrors, asLab, finding, makeResult } from '../make-result.js';
import { labOf } from '../../../src/result/lab.js';
import { story } from '../../../src/report/story.js';
import type { RunResult } from '../../../src/result/model.js';

/** A 1-client-host lab; `edit` sets what its router did. */
const lab = (edit: (x: RunResult) => void) =>
  makeResult((x) => {
    asLab(x, 1);
    edit(x);
  });

describe('verdict rule: the router refused flows (verdict/router.ts)', () => {
  it('an SNAT pool that ran out: conntrack insert_failed and drop, the clients timed out', () => {
    // An audit: snat-port-exhaustion read "Nothing needs changing … no error and no kernel drop was measured".
    const r = lab((x) => {
      labOf(x)!.router.nat = { addresses: 1, ports: [40000, 40099], randomFully: false, pool: ['198.18.255.1'], tuples: 100 } as never;
      labOf(x)!.router.conntrack.counters = { insert: 0, insert_failed: 120, drop: 120 };
      addErrors(x, 'ETIMEDOUT', 'connect', 60);
    });
    const c = oneChange(r);
    assert.equal(c.rule, 'router-nat');
    // One client host uses one pool address: a second address would stay idle.
    assert.equal(c.change, "Widen the router's SNAT pool (more ports in router.nat: each client host uses one pool address)");
    assert.match(c.why, /^The router's SNAT pool \(100 tuples per destination\) ran out: conntrack insert_failed 120, drop 120\. 60 connects timed out \(ETIMEDOUT\)\./);
    // Open flows run a pool out: NAT took over tuples in conntrack's TIME_WAIT (docs/lab.md, 6.18).
    assert.match(c.why, /A tuple stays taken while its flow is open, so open flows are what run the pool out: short of tuples, NAT takes over one whose conntrack entry is in TIME_WAIT \(measured on Linux 6\.18\); a kernel that keeps them for that TIME_WAIT \(nf_conntrack_tcp_timeout_time_wait, \d+ s in this run\) runs out sooner\.$/);
    assert.doesNotMatch(c.why, /here took over/, 'the run never showed a takeover');
    assert.doesNotMatch(c.why, /TIME_WAIT included/);
    assert.equal(finding(r, 'router')?.text, 'The router refused new flows: conntrack insert_failed 120, drop 120 (SNAT found no free tuple).');
    assert.equal(finding(r, 'router')?.alert, true);
  });

  it('an SNAT pool of several addresses: each client host uses one, so more addresses help only hosts without one', () => {
    // An audit, measured on 6.18: one host behind 4 x 100 held 100 flows (find_best_ips_proto picks
    // one pool address per source), and the advice was "more addresses".
    const four = lab((x) => {
      labOf(x)!.router.nat = { addresses: 4, ports: [40000, 40099], randomFully: false, pool: ['198.19.1.1', '198.19.1.2', '198.19.1.3', '198.19.1.4'], tuples: 400 } as never;
      labOf(x)!.router.conntrack.counters = { insert_failed: 100, drop: 100 };
    });
    const c = oneChange(four);
    assert.equal(c.change, "Widen the router's SNAT pool (more ports in router.nat: each client host uses one pool address)");
    assert.match(c.why, /^The router's SNAT pool \(400 tuples per destination\) ran out: conntrack insert_failed 100, drop 100\. Each client host uses one pool address \(the kernel picks it by a hash of the source and destination addresses\), so it has 100 ports of them/);
    // More client hosts than addresses: another address gives some of them one.
    const two = makeResult((x) => {
      asLab(x, 2);
      labOf(x)!.router.nat = { addresses: 1, ports: [40000, 40099], randomFully: false, pool: ['198.19.1.1'], tuples: 100 } as never;
      labOf(x)!.router.conntrack.counters = { insert_failed: 120, drop: 120 };
    });
    assert.equal(oneChange(two).change, "Widen the router's SNAT pool (more addresses or ports in router.nat)");
    assert.doesNotMatch(oneChange(two).why, /Each client host uses one pool address/);
  });

  it('a full conntrack table (conntrack.limit): its dropped SYNs, and the table to raise', () => {
    const r = lab((x) => (labOf(x)!.router.conntrack.limit = { max: 50, droppedSyns: 90 }));
    const c = oneChange(r);
    assert.equal(c.rule, 'router-conntrack');
    assert.match(c.why, /^The router's conntrack table was full at 50 entries and it dropped 90 SYNs of new flows\. The clients waited for their SYN retries\./);
    assert.match(c.why, /Each open flow holds an entry \(the emulated limit counts open flows; a real nf_conntrack_max also counts the entries in conntrack's TIME_WAIT, /);
    assert.equal(finding(r, 'router')?.text, 'The router refused new flows: its conntrack table was full (50 entries) and it dropped 90 SYNs.');
    // The terminal says it too (an audit: its only word was "Other client errors").
    assert.ok(story(r).includes('CHECK: The router refused new flows: its conntrack table was full (50 entries) and it dropped 90 SYNs.'), story(r).join('\n'));
  });

  it('a router that refused nothing says nothing; a loopback run has no router', () => {
    const quiet = lab((x) => (labOf(x)!.router.conntrack.counters = { insert: 0, insert_failed: 0, drop: 0 }));
    assert.equal(finding(quiet, 'router'), undefined);
    assert.equal(oneChange(quiet).rule, 'none');
    assert.equal(finding(makeResult(), 'router'), undefined);
  });
});
