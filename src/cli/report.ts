// `twstorm report`: render saved results to one self-contained HTML file. Never re-runs.
import path from 'node:path';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { renderHtmlReport } from '../report/html/index.js';
import { ResultFileError, readResultFile } from '../report/html/read-results.js';
import { EXIT } from './exit-codes.js';
import { writeFileAtomic } from '../util/atomic-write.js';

interface ReportArgs {
  results: string[];
  output?: string;
}

/** One input: its name with .html beside it. Several: a comparison file beside the first. */
export function defaultReportPath(inputs: string[]): string {
  const first = inputs[0]!;
  if (inputs.length === 1) return first.replace(/\.json$/i, '') + '.html';
  return path.join(path.dirname(first), `comparison-${inputs.length}-runs.html`);
}

export const reportCommand = {
  command: 'report <results..>',
  describe: 'Render saved result JSON files as one self-contained HTML report (several = a comparison)',
  builder: (y: Argv) =>
    y
      .positional('results', { type: 'string', array: true, demandOption: true, describe: 'Result JSON files written by "twstorm run"' })
      .option('output', {
        alias: 'o',
        type: 'string',
        describe: 'HTML file to write (default: beside the first result; <result>.html for one)',
      })
      .example('$0 report reports/port-exhaustion-20250101T120000Z.json', 'writes …Z.html beside it')
      .example('$0 report reports/close-matrix-*.json -o matrix.html', 'one comparison report'),
  handler: async (argv: ArgumentsCamelCase<ReportArgs>): Promise<void> => {
    const inputs = argv.results;
    let results;
    try {
      results = (await Promise.all(inputs.map(readResultFile))).flat();
    } catch (err) {
      if (!(err instanceof ResultFileError)) throw err;
      process.stderr.write(`twstorm: ${err.message}\n`);
      process.exitCode = EXIT.USAGE;
      return;
    }
    const out = argv.output ?? defaultReportPath(inputs);
    const html = await renderHtmlReport(results);
    try {
      await writeFileAtomic(out, html);
    } catch (err) {
      process.stderr.write(
        `twstorm: cannot write ${out} (${(err as NodeJS.ErrnoException).code ?? String(err)}); choose another place with -o\n`,
      );
      process.exitCode = EXIT.RUN_FAILED;
      return;
    }
    process.stdout.write(`report: ${out} (${results.length === 1 ? 'one run' : `${results.length} runs compared`}, ${Math.round(html.length / 1024)} KB)\n`);
  },
};
