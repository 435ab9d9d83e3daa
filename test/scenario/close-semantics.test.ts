// Where TIME_WAIT lands, pinned for every combination the schema allows: first closer × client
// mode × server mode under tcp, client mode × server policy (× a request limit) under http.
// The expected sides are written out, not recomputed: each row is what the measured runs show
// (README "Bundled scenarios", scenarios/README.md, close-matrix), and the last group of tests
// runs two of the combinations for real, each in its own namespace, and asks the kernel (ss).
// Client first (fin/fin, client RST) and server first (fin/fin) are held against real runs in
// test/engine/both-engines.test.ts on both engines, client linger there on the native engine
// (SO_LINGER n needs the native layer), with no run made twice.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSE_MODES, CLOSERS, HTTP_CLIENTS, HTTP_POLICIES, SERVER_CLOSE_MODES, type Scenario } from '../../src/scenario/index.js';
import { parseVariant } from '../../src/scenario/validate.js';
import { landedAsPredicted, timeWaitLanding, type TimeWaitSide } from '../../src/scenario/close-semantics.js';
import { timeWaitSide } from '../../src/result/figures.js';
import { runInNetns } from '../helpers/netns.js';

// parseVariant, as a matrix variant is parsed: some cases give an http scenario tcp-only fields
// (close.*) on purpose, as a matrix over `protocol` does, to show they are ignored there; from a
// file or --set they would be refused.
const scenario = (input: Record<string, unknown>): Scenario => parseVariant({ name: 'close-semantics', ...input }, 'test');

// first closer, client mode, server mode → side. An RST from either side ends both sockets
// without TIME_WAIT (close-matrix: "server first, client rst" leaves 0 on both sides);
// linger (SO_LINGER n > 0) is a graceful close whose FIN still goes out (linger-timeout).
const TCP: Array<[string, string, string, TimeWaitSide]> = [
  ['client', 'fin', 'fin', 'client'],
  ['client', 'fin', 'rst', 'none'],
  ['client', 'fin', 'linger', 'client'],
  ['client', 'rst', 'fin', 'none'],
  ['client', 'rst', 'rst', 'none'],
  ['client', 'rst', 'linger', 'none'],
  ['client', 'linger', 'fin', 'client'],
  ['client', 'linger', 'rst', 'none'],
  ['client', 'linger', 'linger', 'client'],
  ['server', 'fin', 'fin', 'server'],
  ['server', 'fin', 'rst', 'none'],
  ['server', 'fin', 'linger', 'server'],
  ['server', 'rst', 'fin', 'none'],
  ['server', 'rst', 'rst', 'none'],
  ['server', 'rst', 'linger', 'none'],
  ['server', 'linger', 'fin', 'server'],
  ['server', 'linger', 'rst', 'none'],
  ['server', 'linger', 'linger', 'server'],
  ['both', 'fin', 'fin', 'both'],
  ['both', 'fin', 'rst', 'none'],
  ['both', 'fin', 'linger', 'both'],
  ['both', 'rst', 'fin', 'none'],
  ['both', 'rst', 'rst', 'none'],
  ['both', 'rst', 'linger', 'none'],
  ['both', 'linger', 'fin', 'both'],
  ['both', 'linger', 'rst', 'none'],
  ['both', 'linger', 'linger', 'both'],
];

// Server mode "never" (close-wait-leak): the server reads the client's FIN and never closes, so
// nobody reaches TIME_WAIT — CLOSE_WAIT on the server, orphaned FIN_WAIT2 on the client, which
// holds its port for tcp_fin_timeout. Only with the client first (the schema refuses the rest);
// a client RST leaves the server nothing to leak. Measured: test/server/close-wait-leak.test.ts.
const NEVER: Array<[string, string, TimeWaitSide, 'server' | null]> = [
  ['client', 'fin', 'none', 'server'],
  ['client', 'linger', 'none', 'server'],
  ['client', 'rst', 'none', null],
];

// client mode, server policy, maxRequestsPerConnection → side, race. keepalive honours
// Connection: close (RFC 7230 §6.6) while undici closes after such a response too: a race.
const HTTP: Array<[string, string, number, TimeWaitSide, boolean]> = [];
for (const client of HTTP_CLIENTS) {
  for (const policy of HTTP_POLICIES) {
    for (const limit of [0, 10]) {
      const row = ((): [TimeWaitSide, boolean] => {
        if (policy === 'rst') return ['none', false];
        if (policy === 'close-after') return ['server', false];
        // raw, one request per connection (the default): it sends Connection: close, a
        // keep-alive server honours it and the client waits for the server's FIN; a limit of
        // 10 is past that one request, so it changes nothing.
        if (client === 'raw') return [policy === 'keepalive' ? 'server' : 'client', false];
        if (policy === 'keepalive' && (client === 'reset' || client === 'connection-close')) return ['both', true];
        if (policy === 'keepalive' && limit > 0) return ['both', true];
        return ['client', false];
      })();
      HTTP.push([client, policy, limit, ...row]);
    }
  }
}

describe('close semantics: the raw client against the server\'s request limit', () => {
  it('whichever ends the connection first closes first: the server at its limit, else the client after its requests', () => {
    const raw = (http: Record<string, unknown>) => timeWaitLanding(scenario({ protocol: 'http', http: { client: 'raw', ...http } })).side;
    // A review: requestsPerConnection 10 against closeAfter 100 was called the server's, while
    // the raw client closes first after its 10th response.
    assert.equal(raw({ policy: 'close-after', closeAfter: 100, requestsPerConnection: 10 }), 'client');
    assert.equal(raw({ policy: 'close-after', closeAfter: 5, requestsPerConnection: 10 }), 'server');
    assert.equal(raw({ policy: 'close-after', closeAfter: 100, requestsPerConnection: 1 }), 'server');
    assert.equal(raw({ policy: 'keepalive', maxRequestsPerConnection: 4, requestsPerConnection: 10 }), 'server');
    assert.equal(raw({ policy: 'keepalive', maxRequestsPerConnection: 40, requestsPerConnection: 10 }), 'client');
    assert.equal(raw({ policy: 'wait-client', maxRequestsPerConnection: 4, requestsPerConnection: 10 }), 'client');
    assert.equal(raw({ policy: 'wait-client', requestsPerConnection: 1 }), 'client');
  });
});

describe('close semantics: where TIME_WAIT lands', () => {
  it('tcp: the table covers every first closer × client mode × server mode', () => {
    assert.equal(TCP.length, CLOSERS.length * CLOSE_MODES.length * CLOSE_MODES.length);
    for (const [first, client, server, side] of TCP) {
      const landing = timeWaitLanding(scenario({ close: { first, client, server } }));
      assert.equal(landing.side, side, `close ${first}/${client}/${server}`);
      assert.equal(landing.race, false);
      assert.equal(landing.clientHoldsPorts, side === 'client' || side === 'both');
      assert.equal(landing.closeWait, null);
    }
  });

  it('tcp, server "never": CLOSE_WAIT on the server, the client\'s port held by FIN_WAIT2, no TIME_WAIT', () => {
    assert.deepEqual(SERVER_CLOSE_MODES.filter((m) => !(CLOSE_MODES as readonly string[]).includes(m)), ['never']);
    assert.equal(NEVER.length, CLOSE_MODES.length);
    for (const [first, client, side, closeWait] of NEVER) {
      const landing = timeWaitLanding(scenario({ close: { first, client, server: 'never' } }));
      assert.equal(landing.side, side, `close ${first}/${client}/never`);
      assert.equal(landing.race, false);
      assert.equal(landing.closeWait, closeWait, `close ${first}/${client}/never: CLOSE_WAIT`);
      assert.equal(landing.clientHoldsPorts, closeWait !== null, `close ${first}/${client}/never: ports held`);
    }
    for (const first of ['server', 'both']) {
      assert.throws(() => scenario({ close: { first, server: 'never' } }), /close\.server "never" .* needs close\.first: client/);
    }
    assert.throws(() => scenario({ close: { client: 'never' } }), /close\.client/);
  });

  it('http: client mode × server policy × request limit; close.* is ignored', () => {
    assert.equal(HTTP.length, HTTP_CLIENTS.length * HTTP_POLICIES.length * 2);
    // The bundled http scenarios, as documented: client-reset/wait-client → client,
    // connection-close (close-after) → server, keep-alive → client (when the pool closes).
    const spot = new Map(HTTP.map(([c, p, l, side]) => [`${c}/${p}/${l}`, side]));
    assert.equal(spot.get('reset/wait-client/0'), 'client');
    assert.equal(spot.get('keepalive/close-after/0'), 'server');
    assert.equal(spot.get('keepalive/keepalive/0'), 'client');
    for (const [client, policy, limit, side, race] of HTTP) {
      for (const close of [{ first: 'client', client: 'fin' }, { first: 'server', client: 'rst' }]) {
        const landing = timeWaitLanding(scenario({ protocol: 'http', close, http: { client, policy, maxRequestsPerConnection: limit } }));
        assert.equal(landing.side, side, `http ${client}/${policy}/${limit}`);
        assert.equal(landing.race, race, `http ${client}/${policy}/${limit} race`);
      }
    }
  });

  it('a race, or both closing at once, predicts any side but none; otherwise only the side it names', () => {
    const race = timeWaitLanding(scenario({ protocol: 'http', http: { client: 'reset', policy: 'keepalive' } }));
    assert.deepEqual((['client', 'server', 'both', 'none'] as const).map((s) => landedAsPredicted(race, s)), [true, true, true, false]);
    const server = timeWaitLanding(scenario({ close: { first: 'server' } }));
    assert.deepEqual((['client', 'server', 'both', 'none'] as const).map((s) => landedAsPredicted(server, s)), [false, true, false, false]);
    // Both closing at once: the first FIN to arrive picks the side, so one side winning every
    // race is as predicted (an audit: it would have been flagged "not where the policy puts it").
    const both = timeWaitLanding(scenario({ close: { first: 'both' } }));
    assert.deepEqual((['client', 'server', 'both', 'none'] as const).map((s) => landedAsPredicted(both, s)), [true, true, true, false]);
  });
});

describe('close semantics against real runs, each in a fresh namespace', () => {
  const SMALL = ['connections=200', 'concurrency=8', 'tail=300ms', 'census=100ms'];
  const cases: Array<[string, string[]]> = [
    ['server first, the client answers with RST', ['close.first=server', 'close.client=rst']],
    ['client first, the server answers with RST', ['close.first=client', 'close.server=rst']],
  ];
  for (const [label, sets] of cases) {
    it(label, async () => {
      const { result, ss } = await runInNetns('client-closes-first', [...SMALL, ...sets]);
      const predicted = timeWaitLanding(result.scenario);
      const measured = timeWaitSide(result.summary.timeWait);
      assert.equal(measured, predicted.side, `${label}: census ${JSON.stringify(result.summary.timeWait)}`);
      // The kernel's own count agrees on the side.
      assert.equal(ss.client > 0, predicted.side === 'client' || predicted.side === 'both');
      assert.equal(ss.server > 0, predicted.side === 'server' || predicted.side === 'both');
    });
  }
});
