import assert from 'node:assert/strict';
import { ScenarioError } from '../../src/scenario/index.js';

/** The problem lines of the ScenarioError `fn` throws; fails the test if it returns instead. */
export function problemsOf(fn: () => unknown): string[] {
  let returned: unknown;
  try {
    returned = fn();
  } catch (err) {
    assert.ok(err instanceof ScenarioError, `expected a ScenarioError, got ${String(err)}`);
    assert.equal(err.message, err.problems.join('\n'));
    return err.problems;
  }
  assert.fail(`expected a ScenarioError, but got a value: ${JSON.stringify(returned)}`);
}

export async function problemsOfAsync(fn: () => Promise<unknown>): Promise<string[]> {
  let returned: unknown;
  try {
    returned = await fn();
  } catch (err) {
    assert.ok(err instanceof ScenarioError, `expected a ScenarioError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail(`expected a ScenarioError, but got a value: ${JSON.stringify(returned)}`);
}
