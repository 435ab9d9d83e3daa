/**
 * `twstorm doctor` and the pre-flight of `twstorm run`: what this machine can do, judged
 * machine-wide and per scenario. Gathering (facts.ts) is separate from judging
 * (machine-checks.ts, scenario-checks.ts, and port-demand.ts for what a run asks of the port range).
 */
import { loadScenarioFile, type Scenario } from '../scenario/index.js';
import { bundledScenarioFiles } from '../scenario/bundled.js';
import { worstStatus, type Check } from './check.js';
import {
  kernelCheck,
  namespaceCheck,
  nativeCheck,
  engineIoCheck,
  nftCheck,
  nodeCheck,
  openFilesCheck,
  portProbeCheck,
  portRangeCheck,
  timestampsCheck,
  timeWaitNowCheck,
  twBucketsCheck,
  twReuseCheck,
} from './machine-checks.js';
import { fdNeed, scenarioChecks, scenarioVerdict, runVariants } from './scenario-checks.js';
import { timeWaitLoad } from './port-demand.js';
import { gatherFacts, type Facts, type GatherOptions } from './facts.js';
import { labCheck, labScenarioChecks, probeLabAbility } from './lab-checks.js';
import { COMMAND_WRAPPERS, commandProgram } from '../server/command-line.js';

export { formatChecks, wantsColor } from './render.js';
export { worstStatus, type Check, type CheckStatus } from './check.js';
export { gatherFacts, type Facts } from './facts.js';
export { scenarioChecks } from './scenario-checks.js';

/**
 * The checks `scenario` needs before it starts, and only those: a namespace when its
 * isolation is netns/auto, the open-file limit against its peak in flight (concurrency, or a
 * closed ramp's highest target; maxInFlight in an open loop; over every matrix variant; under
 * http the undici pool limit caps it), and, when it
 * would run on the host, the host's port range, tcp_max_tw_buckets and the sysctls that will
 * not be applied (under http sized by the connections its requests need and where its client
 * mode and server policy put TIME_WAIT).
 * Refuse to run when any check has status 'fail'; print the 'warn' ones.
 * Costs one `unshare` probe (~10 ms) unless isolation is host.
 */
export function preflight(scenario: Scenario): Promise<Check[]> {
  const runs = runVariants(scenario);
  return checksFor(scenario, {
    // On the host a user's server.command needs a user namespace of its own (user-command.ts):
    // the namespace probe answers whether this machine gives a user one.
    namespace: scenario.environment.isolation !== 'host' || (process.getuid?.() !== 0 && runs.some((v) => v.server.command !== null)),
    native: false,
    // nft is probed only for a scenario with `faults:` (in any variant); no other run needs it.
    nft: runs.some((v) => v.faults.length > 0),
    timeWait: false,
  });
}

/** `twstorm doctor <scenario>`: what its run checks, on every fact doctor gathers. */
export function doctorScenario(scenario: Scenario): Promise<Check[]> {
  return checksFor(scenario, {});
}

async function checksFor(scenario: Scenario, gather: GatherOptions): Promise<Check[]> {
  const runs = runVariants(scenario);
  const facts = await gatherFacts({ ...gather, programs: serverPrograms(runs) });
  const lab = runs.some((v) => v.environment.topology === 'routed') ? labScenarioChecks(scenario, await probeLabAbility()) : [];
  return [...scenarioChecks(scenario, facts), ...lab];
}

export interface DoctorReport {
  schema: 'twstorm/doctor@1';
  status: Check['status'];
  machine: Check[];
  scenarios: Check[];
  /** Scenario files that could not be loaded, with why. */
  unreadable: string[];
}

/**
 * The programs the scenarios' server.command start (the ones a plain word names), the ones they
 * are started under, and prlimit, which sets a bundled server's server.maxOpenFiles (server/process.ts).
 */
function serverPrograms(scenarios: readonly Scenario[]): string[] {
  const programs = scenarios.map((s) => (s.server.command === null ? null : commandProgram(s.server.command)));
  const wrappers = scenarios.some((s) => s.server.command !== null) ? COMMAND_WRAPPERS : [];
  const limit = scenarios.some((s) => s.server.maxOpenFiles !== null) ? ['prlimit'] : [];
  return [...new Set([...programs.filter((p): p is string => p !== null), ...wrappers, ...limit])];
}

export async function runDoctor(options: { facts?: Facts; scenarios?: Scenario[] } = {}): Promise<DoctorReport> {
  const unreadable: string[] = [];
  let scenarios = options.scenarios;
  if (scenarios === undefined) {
    scenarios = [];
    for (const file of await bundledScenarioFiles()) {
      try {
        scenarios.push(await loadScenarioFile(file));
      } catch (err) {
        unreadable.push(`${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  const facts = options.facts ?? (await gatherFacts({ portProbe: true, programs: serverPrograms(scenarios.flatMap(runVariants)) }));
  const needs = scenarios.map((s) => ({ name: s.name, need: fdNeed(s) }));
  // The biggest TIME_WAIT pile a bundled scenario makes: one per connection, on whichever side
  // closes first (under http, the connections its requests need, where its mode puts TIME_WAIT).
  const biggestStorm = Math.max(
    0,
    ...scenarios
      .filter((s) => timeWaitLoad(s).timeWait)
      .map((s) => timeWaitLoad(s).connections),
  );
  const machine = [
    nodeCheck(facts),
    kernelCheck(facts),
    namespaceCheck(facts),
    nativeCheck(facts),
    ...[engineIoCheck(facts)].filter((c): c is Check => c !== null),
    nftCheck(facts),
    portRangeCheck(facts),
    twReuseCheck(facts),
    timestampsCheck(facts),
    twBucketsCheck(facts, biggestStorm),
    openFilesCheck(facts, needs),
    timeWaitNowCheck(facts),
    ...[portProbeCheck(facts)].filter((c): c is Check => c !== null),
  ];
  const labAbility = await probeLabAbility();
  machine.push(labCheck(labAbility));
  // In this overview a scenario that only lacks the program its server.command starts (the nginx
  // example without nginx) is a caveat of the machine, not a failure of it: twstorm and every
  // other scenario run. `doctor <scenario>`, like its run, still fails it.
  const optional = (c: Check): Check => (c.id === 'server-command' && c.status === 'fail' ? { ...c, status: 'warn' } : c);
  const perScenario = scenarios.map((s) => scenarioVerdict(s, [...scenarioChecks(s, facts), ...labScenarioChecks(s, labAbility)].map(optional), facts));
  return {
    schema: 'twstorm/doctor@1',
    status: worstStatus([...machine, ...perScenario]),
    machine,
    scenarios: perScenario,
    unreadable,
  };
}
