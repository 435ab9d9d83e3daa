// plan --from reads the client's port pools from the scenario that ran (issue 12 item 5):
// source addresses, destinations, bind-before-connect and IP_BIND_ADDRESS_NO_PORT. Each case is
// a real run in a fresh namespace into exhaustion; the model's "connections established before
// exhaustion" is held against what the kernel let through. The bind-before-connect cases read
// the runs test/run/socket-scenarios.test.ts makes (plan --from: pools … there).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runInNetns } from '../helpers/netns.js';
import { planFromResult } from '../../src/plan/index.js';

const SMALL = ['tail=300ms', 'census=200ms'];

function establishedRow(result: Parameters<typeof planFromResult>[0]): { predicted: number | null; measured: number | null } {
  const row = planFromResult(result).rows.find((r) => r.label === 'connections established before exhaustion')!;
  return { predicted: row.predicted, measured: row.measured };
}

describe('plan --from: pools from the scenario, against real runs', () => {
  it('two loopback source addresses: each brings its own range, so 2 × 500 ports', async () => {
    const { result } = await runInNetns('port-exhaustion', ['connections=1040', 'client.sourceAddresses=["127.0.0.1","127.0.0.2"]', ...SMALL]);
    const cmp = planFromResult(result);
    assert.equal(cmp.inputs.sources, 2);
    assert.equal(cmp.inputs.destinations, 1);
    assert.deepEqual(establishedRow(result), { predicted: 1000, measured: 1000 });
  });
});
