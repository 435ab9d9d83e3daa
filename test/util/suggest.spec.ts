// "Did you mean": close typos get a suggestion, unrelated words none — one rule for commands,
// options, scenario names, scenario fields and sysctls.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closest, didYouMean, editDistance } from '../../src/util/suggest.js';

describe('suggest', () => {
  it('edit distance: insert, delete, substitute, and a swap of neighbours count 1 each', () => {
    assert.equal(editDistance('isolaton', 'isolation'), 1);
    assert.equal(editDistance('runn', 'run'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('tpc', 'tcp'), 1);
  });

  it('suggests the nearest plausible candidate only', () => {
    assert.equal(closest('isolaton', ['out', 'set', 'isolation', 'json']), 'isolation');
    assert.equal(closest('client-close-first', ['client-closes-first', 'server-closes-first']), 'client-closes-first');
    assert.equal(closest('tcp_fin_timout', ['tcp_fin_timeout', 'tcp_timestamps']), 'tcp_fin_timeout');
    assert.equal(closest('tpc_tw_reuse', ['tcp_tw_reuse']), 'tcp_tw_reuse');
    assert.equal(closest('conections', ['connections', 'concurrency']), 'connections');
    assert.equal(closest('explode', ['run', 'list', 'serve', 'report']), undefined);
    assert.equal(closest('xyz', ['run', 'list', 'serve']), undefined);
    assert.equal(closest('nope', ['top', 'json', 'netns']), undefined, 'two edits of four letters is a guess');
    assert.equal(closest('frist', ['first', 'client']), 'first');
    assert.equal(closest('RUN', ['run', 'list']), 'run', 'case is ignored');
    assert.equal(closest('completely_else', ['tcp_tw_reuse']), undefined);
  });

  it('didYouMean is the one phrase every message appends, or nothing', () => {
    assert.equal(didYouMean('peek', ['peak', 'peakClient']), '; did you mean peak?');
    assert.equal(didYouMean('explode', ['run', 'list']), '');
    // A whole part of some candidates, too far from each (a newcomer audit: `states --by port`).
    assert.equal(didYouMean('port', ['state', 'local-port', 'remote-port', 'process']), '; did you mean local-port or remote-port?');
    assert.equal(didYouMean('ip', ['local-ip', 'remote-ip']), '', 'two letters are no word to go by');
  });
});
