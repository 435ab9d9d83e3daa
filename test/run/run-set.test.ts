// A stop (Ctrl-C, SIGTERM, SIGHUP) that came before a run's process was started starts none:
// no namespace, no server, no empty "interrupted" result. An audit: a Ctrl-C landing between two
// variants of close-matrix started the next variant anyway, which wrote a result of zeros, and
// the comparison showed it as one of "the 2 of 4 runs made before the interrupt".
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadRunnableScenario } from '../../src/run/load-scenario.js';
import { expandMatrix } from '../../src/scenario/index.js';
import { chooseIsolation, RunInterrupted, runScenario, type RunControl } from '../../src/run/run-scenario.js';
import { runSet } from '../../src/run/run-set.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-run-set-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What `twstorm run` hands each run: a stop, a second stop, no progress line. */
function control(): { stop: AbortController; control: RunControl } {
  const stop = new AbortController();
  return { stop, control: { stop: stop.signal, force: new AbortController().signal, progress: false } };
}

describe('a stop before a run started', () => {
  it('a stop that came first: runScenario starts no run process and writes nothing', async () => {
    const out = path.join(dir, 'single');
    // `twstorm run` makes --out before the first run (prepareOutDir).
    await mkdir(out);
    const { scenario } = await loadRunnableScenario('client-closes-first', ['connections=10']);
    const { stop, control: ctl } = control();
    stop.abort();
    await assert.rejects(runScenario(scenario, out, chooseIsolation(scenario.environment.isolation), null, {}, ctl), RunInterrupted);
    assert.deepEqual(await readdir(out), [], 'no result, and no reservation left behind');
  });

  it('Ctrl-C as a matrix announces its second variant: the first is kept, the second never runs', async () => {
    const out = path.join(dir, 'matrix');
    await mkdir(out);
    const { file, scenario } = await loadRunnableScenario('close-matrix', ['connections=10', 'tail=100ms']);
    const variants = expandMatrix(scenario, file);
    const { stop, control: ctl } = control();
    const announced: number[] = [];
    const outcomes = await runSet(scenario, variants, out, chooseIsolation(scenario.environment.isolation), {
      control: ctl,
      stopRequested: () => stop.signal.aborted,
      // The moment `twstorm run` prints "run 2/4: …": the signal lands after the check between runs.
      before: (index) => {
        announced.push(index);
        if (index === 1) stop.abort();
      },
    });
    assert.deepEqual(announced, [0, 1]);
    assert.equal(outcomes.length, 1, `runs kept: ${outcomes.map((o) => `${o.result.variant?.label} (${o.result.summary.connections.attempted} attempted)`).join(', ')}`);
    assert.equal(outcomes[0]!.result.summary.connections.completed, 10);
    assert.deepEqual((await readdir(out)).filter((f) => f.endsWith('.json')), [path.basename(outcomes[0]!.resultPath)]);
  });

  it('Ctrl-C before a matrix\'s first result is the interrupt, not a variant that "could not be made" while "the others go on"', async () => {
    // An audit: a double Ctrl-C during nginx-connection-close's first variant printed "run 1/2
    // could not be made, the others go on", then "interrupted before the first run started".
    const out = path.join(dir, 'matrix-first');
    await mkdir(out);
    const { file, scenario } = await loadRunnableScenario('close-matrix', ['connections=10']);
    const { stop, control: ctl } = control();
    const couldNot: string[] = [];
    await assert.rejects(
      runSet(scenario, expandMatrix(scenario, file), out, chooseIsolation(scenario.environment.isolation), {
        control: ctl,
        stopRequested: () => stop.signal.aborted,
        before: () => stop.abort(),
        couldNotRun: (_index, _total, _variant, why) => couldNot.push(why),
      }),
      RunInterrupted,
    );
    assert.deepEqual(couldNot, []);
  });
});
