// `twstorm list`: the bundled scenarios, one line each.
import { loadScenarioFile } from '../scenario/index.js';
import { BUNDLED_DIR, bundledScenarioFiles } from '../scenario/bundled.js';

export const listCommand = {
  command: 'list',
  describe: 'List the bundled scenarios, one line each',
  handler: async (): Promise<void> => {
    const scenarios = await Promise.all((await bundledScenarioFiles()).map((f) => loadScenarioFile(f)));
    const width = Math.max(...scenarios.map((s) => s.name.length));
    for (const s of scenarios) {
      const firstSentence = s.description.split(/(?<=\.)\s/)[0] ?? '';
      process.stdout.write(`${s.name.padEnd(width)}  ${firstSentence}\n`);
    }
    process.stdout.write(`\n${scenarios.length} scenarios in ${BUNDLED_DIR}\nRun one with: twstorm run <name>\n`);
  },
};
