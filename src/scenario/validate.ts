import { ScenarioError } from './errors.js';
import { describeIssue, expectedMessage, formatPath } from './issues.js';
import { scenarioSchema, type Scenario } from './schema.js';
import type { PathSegment } from './schema-walk.js';

/** A field set from the command line, so its problems name the `--set` rather than the file. */
export interface Attribution {
  path: readonly PathSegment[];
  source: string;
}

/** Validates an already-parsed object; `source` names it in problem lines (usually the file path). */
export function parseScenario(raw: unknown, source: string): Scenario {
  return validateScenario(raw, source, []);
}

export function validateScenario(raw: unknown, source: string, attributions: readonly Attribution[]): Scenario {
  const result = scenarioSchema.safeParse(raw, { error: expectedMessage, reportInput: true });
  if (result.success) return result.data;

  const problems = result.error.issues.flatMap((issue) =>
    describeIssue(scenarioSchema, issue).map(({ path, text }) => {
      const origin = [...attributions].reverse().find((a) => isPrefix(a.path, path))?.source ?? source;
      return `${origin}: ${formatPath(scenarioSchema, path)}: ${text}`;
    }),
  );
  throw new ScenarioError(problems);
}

function isPrefix(prefix: readonly PathSegment[], path: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => segment === path[i]);
}
