// A scenario as `twstorm run` takes it, for `run` and `doctor <scenario>` alike, so the doctor
// judges exactly what a run would run: the file found from a bundled name or a path (a
// mistyped name gets a "did you mean"), the --set overrides applied, and every problem of the
// file at once, including the threshold figure paths (otherwise found only after the whole run)
// and sysctls this kernel lacks.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadScenarioFile, ScenarioError, type Scenario } from '../scenario/index.js';
import { bundledScenarioFiles, resolveScenarioPath } from '../scenario/bundled.js';
import { missingSysctlProblems } from '../environment/sysctl.js';
import { validateThresholds } from '../thresholds/index.js';
import { didYouMean } from '../util/suggest.js';

/** The file a scenario argument names; a ScenarioError (exit 2) when there is none. */
export async function findScenarioFile(arg: string): Promise<string> {
  const file = resolveScenarioPath(arg);
  if (existsSync(file)) return file;
  const names = (await bundledScenarioFiles()).map((f) => path.basename(f).replace(/\.(ya?ml|json)$/, ''));
  throw new ScenarioError([
    `no scenario file or bundled scenario named "${arg}"${didYouMean(arg, names)} ("twstorm list" shows the bundled ones)`,
  ]);
}

/** The scenario and the file it came from (matrix problems name it). */
export async function loadRunnableScenario(arg: string, overrides: string[] = [], sources?: ReadonlyMap<string, string>): Promise<{ file: string; scenario: Scenario }> {
  const file = await findScenarioFile(arg);
  const scenario = await loadScenarioFile(file, overrides, {
    checks: [(raw, source) => validateThresholds(raw['thresholds'], source, raw), missingSysctlProblems],
    ...(sources ? { sources } : {}),
  });
  return { file, scenario };
}
