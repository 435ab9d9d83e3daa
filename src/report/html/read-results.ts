// Loading saved result files for `twstorm report`: each must be a twstorm result of the schema
// this version renders. A result written by `run --json` for a matrix is an array; accept both.
import { readFile } from 'node:fs/promises';
import { RESULT_SCHEMA, type RunResult } from '../../metrics/result.js';

export class ResultFileError extends Error {}

export async function readResultFile(file: string): Promise<RunResult[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ResultFileError(`${file}: cannot read it (${code ?? String(err)}); pass the path of a result JSON written by "twstorm run"`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ResultFileError(`${file}: not JSON (${err instanceof Error ? err.message : String(err)}); is it a twstorm result file?`);
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  if (items.length === 0) throw new ResultFileError(`${file}: an empty array holds no result to render`);
  return items.map((item, i) => {
    const schema = (item as { schema?: unknown } | null)?.schema;
    const where = Array.isArray(parsed) ? `${file}[${i}]` : file;
    if (schema !== RESULT_SCHEMA) {
      throw new ResultFileError(
        `${where}: schema is ${JSON.stringify(schema ?? null)}, expected "${RESULT_SCHEMA}"; ` +
          'only twstorm result files can be rendered (a newer schema needs a newer twstorm)',
      );
    }
    return item as RunResult;
  });
}
