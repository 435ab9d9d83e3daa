// The hidden half of `run`: executed by the outer process inside the fresh namespace.
import { readFile } from 'node:fs/promises';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { executeRun, writeResult } from '../run/execute.js';
import type { RunJob } from '../run/job.js';

export const insideCommand = {
  command: '__inside <job>',
  describe: false as const,
  builder: (y: Argv) => y.positional('job', { type: 'string', demandOption: true }),
  handler: async (argv: ArgumentsCamelCase<{ job: string }>): Promise<void> => {
    const job = JSON.parse(await readFile(argv.job, 'utf8')) as RunJob;
    const abort = new AbortController();
    // The first Ctrl-C stops the load and lets the run write its partial result; a terminal
    // delivers it to the outer process too, which forwards it, so repeats are expected.
    const stop = (): void => abort.abort();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const result = await executeRun(job, abort.signal);
    await writeResult(result, job.resultPath);
    // The result is written: nothing left (a connection timer, a linger worker) may keep
    // this process, and with it the namespace and the user's terminal, waiting.
    process.exit(0);
  },
};
