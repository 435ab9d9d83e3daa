// `twstorm list`: the bundled scenarios, one line each.
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { loadScenarioFile } from '../scenario/index.js';
import { BUNDLED_DIR, bundledScenarioFiles } from '../scenario/bundled.js';
import { jsonText } from '../util/json-text.js';

export const listCommand = {
  command: 'list',
  describe: 'List the bundled scenarios, one line each',
  builder: (y: Argv) =>
    y.option('json', { type: 'boolean', default: false, describe: 'Print them as JSON: [{ name, description, file, protocol, matrix }]' }),
  handler: async (argv: ArgumentsCamelCase<{ json: boolean }>): Promise<void> => {
    const files = await bundledScenarioFiles();
    const scenarios = await Promise.all(files.map((f) => loadScenarioFile(f)));
    if (argv.json) {
      const list = scenarios.map((s, i) => ({
        name: s.name,
        description: s.description,
        file: files[i]!,
        protocol: s.protocol,
        matrix: Object.keys(s.matrix ?? {}),
      }));
      process.stdout.write(jsonText(list));
      return;
    }
    const width = Math.max(...scenarios.map((s) => s.name.length));
    for (const s of scenarios) {
      const firstSentence = s.description.split(/(?<=\.)\s/)[0] ?? '';
      process.stdout.write(`${s.name.padEnd(width)}  ${firstSentence}\n`);
    }
    process.stdout.write(`\n${scenarios.length} scenarios in ${BUNDLED_DIR}\nRun one with: twstorm run <name>\n`);
  },
};
