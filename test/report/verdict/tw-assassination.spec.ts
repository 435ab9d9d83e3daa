import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { finding, makeResult } from '../make-result.js';
import { story } from '../../../src/report/story.js';

const resets = [{ rule: 'reset final-ack to-server (first 200)', packets: 'final-ack' as const, direction: 'to-server' as const, action: 'reset' as const, matched: 200 }];

describe('verdict rule: TIME-WAIT assassination (verdict/tw-assassination.ts)', () => {
  it('every TIME_WAIT the kernel made is still there: nothing to say', () => {
    assert.equal(finding(makeResult((x) => (x.summary.kernel['TcpExtTW'] = 1000)), 'assassination'), undefined);
  });

  it('fewer TIME_WAIT at the end than the kernel made, in a run shorter than 60 s: killed by RST', () => {
    const r = makeResult((x) => {
      x.summary.kernel['TcpExtTW'] = 1000;
      x.summary.timeWait.end = 800;
      x.environment.sysctls['net.ipv4.tcp_rfc1337'] = '0';
    });
    const f = finding(r, 'assassination')!;
    assert.match(f.text, /^200 of 1,000 TIME_WAIT sockets were gone before their 60 s: an RST killed them \(TIME-WAIT assassination, RFC 1337; tcp_rfc1337=0\)/);
    assert.equal(f.alert, true);
    // The terminal says it too, marked as the report marks it.
    assert.ok(story(r).includes(`CHECK: ${f.text}`), 'the terminal summary says it too');
  });

  it('server-side TIME_WAIT whose reopens were not counted (too many server ports): no kill claimed', () => {
    const serverSide = (reopened: number | undefined) =>
      makeResult((x) => {
        x.scenario.close = { ...x.scenario.close, first: 'server' };
        x.summary.kernel['TcpExtTW'] = 1000;
        x.summary.timeWait = { ...x.summary.timeWait, peakClient: 0, peakServer: 800, peak: 800, end: 800 };
        if (reopened === undefined) delete x.summary.timeWait.reopened;
        else x.summary.timeWait.reopened = reopened;
      });
    assert.equal(finding(serverSide(undefined), 'assassination'), undefined);
    assert.equal(finding(serverSide(200), 'assassination'), undefined, '200 reopened: all accounted for');
    assert.match(finding(serverSide(50), 'assassination')!.text, /^150 of 1,000 TIME_WAIT sockets were gone/);
  });

  it('routed lab: the kernel counters are the client hosts\', so are the TIME_WAITs they are balanced against', () => {
    // 1,000 made by the client hosts, 800 left there; the server host's 500 are its own kernel's.
    const r = makeResult((x) => {
      x.summary.kernel['TcpExtTW'] = 1000;
      x.summary.timeWait.end = 800 + 500;
      (x as typeof x & { lab: unknown }).lab = {
        topology: 'routed',
        hosts: [
          { name: 'client1', role: 'client', address: '198.18.0.2', summary: { ...x.summary, timeWait: { ...x.summary.timeWait, end: 800 } } },
          { name: 'server', role: 'server', address: '198.19.0.2', timeWaitPeak: 500, timeWaitEnd: 500 },
        ],
        router: { nat: null, conntrack: { samples: [], peakEntries: 0, peakTimeWait: 0, counters: {} } },
        serverCensus: [],
      };
    });
    assert.match(finding(r, 'assassination')!.text, /^200 of 1,000 TIME_WAIT sockets were gone/);
  });

  it('ports taken over (TWRecycled) and TIME_WAITs reopened by a SYN are not kills', () => {
    const r = makeResult((x) => {
      x.summary.kernel['TcpExtTW'] = 1000;
      x.summary.kernel['TcpExtTWRecycled'] = 150;
      x.summary.timeWait.reopened = 50;
      x.summary.timeWait.end = 800;
    });
    assert.equal(finding(r, 'assassination'), undefined);
  });

  it('past 60 s TIME_WAIT ends on its own: the balance says nothing', () => {
    const r = makeResult((x) => {
      x.summary.kernel['TcpExtTW'] = 1000;
      x.summary.timeWait.end = 0;
      x.series.census.t = [0, 30_000, 61_000];
    });
    assert.equal(finding(r, 'assassination'), undefined);
  });

  it('orphaned FIN_WAIT2 sockets that lived out a short tcp_fin_timeout are not kills', () => {
    // fin-timeout-myth at tcp_fin_timeout 5 with a 10 s tail: TcpExtTW counted 200 TIME_WAIT and
    // 200 orphaned FIN_WAIT2, the orphans expired at 5 s, and the balance read them as killed.
    const run = (finTimeout: string) =>
      makeResult((x) => {
        x.summary.kernel['TcpExtTW'] = 400;
        x.summary.timeWait.end = 200;
        x.environment.sysctls['net.ipv4.tcp_fin_timeout'] = finTimeout;
        x.series.census.t = [0, 1_000, 6_000, 12_000];
        x.series.census.client['FIN_WAIT2'] = [0, 200, 0, 0];
      });
    assert.equal(finding(run('5'), 'assassination'), undefined);
    // Had they not expired yet (tcp_fin_timeout 60), 200 would be gone before their time.
    assert.match(finding(run('60'), 'assassination')!.text, /^200 of 400 TIME_WAIT sockets were gone/);
    // One brief FIN_WAIT2 of an ordinary close beside 200 real kills takes one off, not all (a
    // review: the first version said nothing at all whenever the census had seen a FIN_WAIT2).
    const kills = makeResult((x) => {
      x.summary.kernel['TcpExtTW'] = 1000;
      x.summary.timeWait.end = 800;
      x.environment.sysctls['net.ipv4.tcp_fin_timeout'] = '5';
      x.series.census.t = [0, 1_000, 6_000, 12_000];
      x.series.census.client['FIN_WAIT2'] = [0, 1, 0, 0];
    });
    assert.match(finding(kills, 'assassination')!.text, /^199 of 1,000 TIME_WAIT sockets were gone/);
  });

  it('tcp_rfc1337=1: RSTs reached TIME_WAIT and none was killed', () => {
    const r = makeResult((x) => {
      x.faults = resets;
      x.summary.kernel['TcpExtTW'] = 1000;
      x.environment.sysctls['net.ipv4.tcp_rfc1337'] = '1';
    });
    const f = finding(r, 'assassination')!;
    assert.match(f.text, /^200 RSTs reached new TIME_WAIT sockets and none was killed: tcp_rfc1337=1/);
    assert.equal(f.alert, false);
  });
});
