/**
 * Every way a scenario can be wrong surfaces as this one error, so the CLI prints `problems`
 * line by line and a user fixes all of them in one pass instead of one per run.
 */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  readonly problems: string[];

  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.problems = problems;
  }
}
