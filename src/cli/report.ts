// `twstorm report`: render saved results to one self-contained HTML file. Never re-runs.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { renderHtmlReport } from '../report/html/index.js';
import { ResultFileError, readResultDirectory, readResults, refuseDuplicates } from '../result/index.js';
import type { RunResult } from '../result/model.js';
import { EXIT } from './exit-codes.js';
import { continueOnClosedPipe } from './closed-pipe.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { say } from '../util/say.js';
import { cannotWrite, makeParentDirectories, namesDirectory } from '../run/out-dir.js';
import { allInOrder } from '../util/all-in-order.js';

interface ReportArgs {
  /** Never empty: `<results..>` is required (typed optional only to keep yargs' default out of the help). */
  results: string[] | undefined;
  out?: string;
}

/** One input: its name with .html beside it. Several: a comparison file beside the first. */
export function defaultReportPath(inputs: string[]): string {
  const first = inputs[0]!;
  if (inputs.length === 1) return first.replace(/\.json$/i, '') + '.html';
  return path.join(path.dirname(first), `comparison-${inputs.length}-runs.html`);
}

/**
 * Where --out puts the report: the file it names, or, for a directory (an existing one, or a
 * path ending in "/"), the default file name inside it. Missing parent directories are made, as
 * run and merge make theirs: "-o reports/" wrote "reports/.partial" and failed with ENOTDIR.
 */
export async function reportPathFor(out: string | undefined, inputs: string[]): Promise<string> {
  if (out === undefined) return defaultReportPath(inputs);
  const file = (await namesDirectory(out)) ? path.join(out, path.basename(defaultReportPath(inputs))) : out;
  await makeParentDirectories(file);
  return file;
}

/** A result file's runs, or every result file's in a directory (one that holds none is refused). */
async function readInput(input: string): Promise<Array<{ file: string; runs: RunResult[] }>> {
  if (!(await stat(input).then((s) => s.isDirectory(), () => false))) return [{ file: input, runs: await readResults(input) }];
  const files = await readResultDirectory(input);
  if (files.length === 0) throw new ResultFileError(`${input}: holds no result file; pass result JSONs written by "twstorm run", or a directory of them`);
  return files;
}

/** What each string option takes, for the line that says one was given no value (main.ts). */
const VALUE_HINTS: Record<string, string> = { out: 'an HTML file like report.html (or a directory)' };

export const reportCommand = {
  command: 'report <results..>',
  describe: 'Render saved result JSON files as one self-contained HTML report (several = a comparison)',
  valueHints: VALUE_HINTS,
  builder: (y: Argv) =>
    y
      // `<results..>` already makes them required; type and default would only add noise.
      .positional('results', { type: 'string', array: true, default: undefined, describe: 'Result JSON files written by "twstorm run", or directories of them' })
      // -o/--out is where output goes, in every command (run: a directory; here: the file).
      // --output, its old name, is still accepted. A bare -o is refused (requiresArg): it was "",
      // and the write failed as "cannot write : ENOENT".
      .option('out', {
        alias: ['o', 'output'],
        type: 'string',
        requiresArg: true,
        describe: 'HTML file to write, or a directory to write it in (default: beside the first result; <result>.html for one)',
      })
      .example('$0 report reports/<result>.json', 'the HTML beside it')
      .example('$0 report reports/close-matrix-*.json -o matrix.html', '')
      .example('$0 report reports/', 'every result in it, compared'),
  handler: async (argv: ArgumentsCamelCase<ReportArgs>): Promise<void> => {
    // Its output is a file: a pager that closed early silences the path it prints only.
    continueOnClosedPipe();
    let inputs: string[];
    let results;
    try {
      // A directory stands for every result in it, as compare takes one.
      const read = (await allInOrder((argv.results ?? []).map(readInput))).flat();
      refuseDuplicates(read);
      results = read.flatMap((r) => r.runs);
      inputs = read.map((r) => r.file);
    } catch (err) {
      if (!(err instanceof ResultFileError)) throw err;
      say(`${err.message}`);
      process.exitCode = EXIT.USAGE;
      return;
    }
    const html = await renderHtmlReport(results);
    let out = argv.out ?? defaultReportPath(inputs);
    try {
      out = await reportPathFor(argv.out, inputs);
      await writeFileAtomic(out, html);
    } catch (err) {
      say(cannotWrite(out, err, 'choose another place with --out'));
      process.exitCode = EXIT.RUN_FAILED;
      return;
    }
    process.stdout.write(`report: ${out} (${results.length === 1 ? 'one run' : `${results.length} runs compared`}, ${Math.round(html.length / 1024)} KB)\n`);
  },
};
