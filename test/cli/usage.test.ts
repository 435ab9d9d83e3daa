// The rough edges a first user hits: usage errors are one line with a "did you mean" and a
// pointer to --help; help text that does not wrap mid-command; one meaning for -o; a closed pipe
// ends a command quietly; completion; list --json; the progress line only on a terminal.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BIN, killAllStarted, twstorm, type Exit } from '../helpers/cli.js';

after(() => killAllStarted());

/** Exit 2, exactly one line on stderr, nothing on stdout, and the help pointer. */
function usageError(exit: Exit, line: RegExp): void {
  assert.equal(exit.code, 2, exit.stderr);
  assert.equal(exit.stdout, '', 'no help dumped on stdout');
  const lines = exit.stderr.trim().split('\n');
  assert.equal(lines.length, 1, exit.stderr);
  assert.match(lines[0]!, line);
  assert.match(lines[0]!, /\(see "twstorm( \w+)? --help"\)$/);
}

const COMMANDS = ['run', 'list', 'serve', 'compare', 'plan', 'report', 'states', 'doctor'];
/** Every command a user types, each in src/cli/<name>.ts as <name>Command. */
const USER_COMMANDS = [...COMMANDS, 'merge'];

// Each test is its own short-lived process: they run side by side.
describe('usage errors', { concurrency: true }, () => {
  it('merge with one result and compare with an unknown figure are usage errors: one line, with the help pointer', async () => {
    // The helper's leftovers: both said their line without the pointer every usage error has.
    const [merge, metric] = await Promise.all([
      twstorm(['merge', 'one.json', '-o', 'merged.json']).exit,
      twstorm(['compare', 'a.json', 'b.json', '--metric', 'summary.nope']).exit,
    ]);
    usageError(merge, /^twstorm: merge needs at least two results to merge, got 1 \(see "twstorm merge --help"\)$/);
    usageError(metric, /^twstorm: --metric summary\.nope: unknown figure "nope" under summary/);
  });

  it('a mistyped command: one line with "did you mean"', async () => {
    usageError(await twstorm(['runn']).exit, /^twstorm: unknown command "runn"; did you mean run\?/);
  });

  it('an unknown command far from every command: one line and no wild guess', async () => {
    // yargs' own recommendation offered "run" for "xyz"; suggest.ts offers only a likely one.
    usageError(await twstorm(['xyz']).exit, /^twstorm: unknown command "xyz" \(see "twstorm --help"\)$/);
  });

  it('a mistyped option: one line naming the option and the likely one', async () => {
    usageError(await twstorm(['run', 'client-closes-first', '--isolaton', 'netns']).exit, /unknown option: --isolaton \(did you mean --isolation\?\) \(see "twstorm run --help"\)/);
  });

  it('a flag named after a scenario field: the --set to write instead, each option named once', async () => {
    // A newcomer audit: `--connections 10` got "unknown option: --connections" and nothing more,
    // and `--connect-timeout` was named twice (yargs adds connectTimeout).
    const [flag, kebab, other] = await Promise.all([
      twstorm(['run', 'client-closes-first', '--connections', '10']).exit,
      twstorm(['doctor', 'client-closes-first', '--connect-timeout', '5s', '--duration=5s']).exit,
      twstorm(['compare', 'a.json', 'b.json', '--connections', '10']).exit,
    ]);
    usageError(flag, /^twstorm: unknown option: --connections \(a scenario field: write --set connections=10\) \(see "twstorm run --help"\)$/);
    usageError(kebab, /^twstorm: unknown options: --connect-timeout \(a scenario field: write --set connectTimeout=5s\), --duration \(a scenario field: write --set duration=5s\) \(see "twstorm doctor --help"\)$/);
    // compare loads no scenario: no --set to offer.
    usageError(other, /^twstorm: unknown option: --connections \(see "twstorm compare --help"\)$/);
  });

  it('a value outside an option\'s choices, or a word where a number goes: one line, as typed, never NaN', async () => {
    const [isolation, by, noValue, rate, top, repeat, repeatRange] = await Promise.all([
      twstorm(['run', 'x', '--isolation', 'nets']).exit,
      twstorm(['states', '--by', 'foo']).exit,
      twstorm(['states', '--by']).exit,
      twstorm(['plan', '--rate', 'abc']).exit,
      twstorm(['states', '--top=abc']).exit,
      twstorm(['run', 'client-closes-first', '--repeat', 'abc']).exit,
      twstorm(['run', 'client-closes-first', '--repeat', '0']).exit,
    ]);
    usageError(isolation, /^twstorm: --isolation "nets": expected one of auto, netns, host; did you mean netns\? \(see "twstorm run --help"\)$/);
    usageError(by, /^twstorm: --by "foo": expected one of local-port, remote, remote-port, process \(see "twstorm states --help"\)$/);
    usageError(noValue, /^twstorm: --by: expected one of local-port, remote, remote-port, process after it, got none \(see "twstorm states --help"\)$/);
    usageError(rate, /^twstorm: --rate "abc": expected a number \(see "twstorm plan --help"\)$/);
    usageError(top, /^twstorm: --top "abc": expected a number \(see "twstorm states --help"\)$/);
    usageError(repeat, /^twstorm: --repeat "abc": expected a number \(see "twstorm run --help"\)$/);
    // Named as the flag the user typed, not as the --set it becomes.
    usageError(repeatRange, /^twstorm: --repeat 0: expected a whole number from 1 to 100 \(see "twstorm run --help"\)$/);
  });

  it('a switch given a word (--json=maybe) is refused, not read as false; =true and =false still set it', async () => {
    const [maybe, no, yes, off, camel] = await Promise.all([
      twstorm(['list', '--json=maybe']).exit,
      twstorm(['states', '--json=1']).exit,
      twstorm(['list', '--json=true']).exit,
      twstorm(['list', '--json=false']).exit,
      // yargs takes the camel-cased name too: that spelling was read as false and the plan ran.
      twstorm(['plan', '--perSocketRange=yes']).exit,
    ]);
    usageError(maybe, /^twstorm: --json=maybe: --json is a switch; give it alone, or =true \/ =false \(see "twstorm list --help"\)$/);
    usageError(no, /^twstorm: --json=1: --json is a switch/);
    usageError(camel, /^twstorm: --perSocketRange=yes: --perSocketRange is a switch; give it alone, or =true \/ =false \(see "twstorm plan --help"\)$/);
    assert.equal(yes.code, 0, yes.stderr);
    assert.ok(Array.isArray(JSON.parse(yes.stdout)), 'list --json=true prints JSON');
    assert.equal(off.code, 0, off.stderr);
    assert.throws(() => JSON.parse(off.stdout), 'list --json=false prints the table');
  });

  it('every bad choice gets the one "did you mean" (suggest.ts), in one line, also when two options or one given twice have them; a number gets no guess', async () => {
    const [two, twice, number] = await Promise.all([
      twstorm(['serve', '--policy', 'keepalve', '--close-mode', 'rts']).exit,
      twstorm(['states', '--by', 'remot', '--by', 'proces']).exit,
      twstorm(['plan', '--tw-reuse', '3']).exit,
    ]);
    usageError(two, /^twstorm: --policy "keepalve": expected one of keepalive, close-after, wait-client, rst; did you mean keepalive\?; --close-mode "rts": expected one of fin, rst, linger, never; did you mean rst\? \(see "twstorm serve --help"\)$/);
    usageError(twice, /^twstorm: --by "remot": expected one of .*; did you mean remote\?; --by "proces": expected one of .*; did you mean process\? \(see "twstorm states --help"\)$/);
    // 3 is no misspelling of 0.
    usageError(number, /^twstorm: --tw-reuse 3: expected one of 0, 1, 2 \(see "twstorm plan --help"\)$/);
  });

  it('a surplus positional is named as an argument, with what the command takes, not as an option', async () => {
    const [states, compare, both] = await Promise.all([
      twstorm(['states', 'extra']).exit,
      twstorm(['compare', 'a.json', 'b.json', 'c.json']).exit,
      twstorm(['states', 'extra', '--nope']).exit,
    ]);
    usageError(states, /^twstorm: unexpected argument "extra": states takes no arguments, only options \(see "twstorm states --help"\)$/);
    usageError(compare, /^twstorm: unexpected argument "c\.json": compare takes <baseline> <current> \(see/);
    usageError(both, /^twstorm: unknown option: --nope; unexpected argument "extra": states takes no arguments/);
  });

  it('a value that starts with "-" after an option: one line saying to write it with "=", and a signed tolerance is refused as such', async () => {
    const [spaced, joined, watch] = await Promise.all([
      twstorm(['compare', 'a.json', 'b.json', '--tolerance', '-5%']).exit,
      twstorm(['compare', 'a.json', 'b.json', '--tolerance=-5%']).exit,
      twstorm(['states', '--watch', '-5s']).exit,
    ]);
    // An option that requires a value takes "-5%" as that value, typed either way.
    for (const exit of [spaced, joined]) usageError(exit, /^twstorm: --tolerance: expected a percentage like "10%", got "-5%": a tolerance is a size, and a change either way is judged against it/);
    // --watch's value is optional, so yargs reads "-5s" as the short options -5 and -s, and used to call them unknown.
    usageError(watch, /^twstorm: --watch "-5s": a value that starts with "-" reads as options; write --watch=-5s \(see "twstorm states --help"\)$/);
    // Another unknown option is named as such, not blamed on a value that starts with "-".
    usageError(await twstorm(['compare', 'a.json', 'b.json', '--latency-floor', '-1', '--bogus']).exit, /^twstorm: unknown option: --bogus \(see "twstorm compare --help"\)$/);
    // The range --help gives is the one checked.
    usageError(await twstorm(['compare', 'a.json', 'b.json', '--confidence', '2']).exit, /^twstorm: --confidence: expected a level from 0\.5 to 0\.9999, like 0\.99; got 2 \(see "twstorm compare --help"\)$/);
  });

  it('options before the command, and -v: one line saying what was meant', async () => {
    const [before, v] = await Promise.all([twstorm(['--json', 'list']).exit, twstorm(['-v']).exit]);
    usageError(before, /^twstorm: options go after the command: twstorm list --json \(see "twstorm list --help"\)$/);
    usageError(v, /^twstorm: unknown option -v; did you mean --version\? \(see "twstorm --help"\)$/);
  });

  it('states: a mistyped state gets "did you mean"; --count without --watch is refused, not ignored', async () => {
    const [state, count] = await Promise.all([twstorm(['states', '--state', 'TIMEWAIT']).exit, twstorm(['states', '--count', '2']).exit]);
    usageError(state, /^twstorm: --state TIMEWAIT: expected one of ESTABLISHED, .*, CLOSING or all; did you mean TIME_WAIT\? \(see "twstorm states --help"\)$/);
    assert.doesNotMatch(state.stderr, /NEW_SYN_RECV/, 'only the states --help offers');
    usageError(count, /^twstorm: --count 2: counts --watch refreshes; add --watch, or drop --count for one look \(see "twstorm states --help"\)$/);
  });

  it('a mistyped scenario name: exit 2 with "did you mean", for run and doctor alike', async () => {
    const [run, doctor] = await Promise.all([twstorm(['run', 'client-close-first']).exit, twstorm(['doctor', 'client-close-first']).exit]);
    for (const exit of [run, doctor]) {
      assert.equal(exit.code, 2, exit.stderr);
      assert.match(exit.stderr.trim(), /^twstorm: no scenario file or bundled scenario named "client-close-first"; did you mean client-closes-first\?/);
    }
  });

  it('doctor <file> refuses what run refuses: a threshold typo, exit 2 before any check', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-doctor-file-'));
    try {
      const file = path.join(dir, 't.yaml');
      await writeFile(file, 'name: t\nconnections: 10\nthresholds: { summary.timeWait.peek: "< 10" }\n');
      const exit = await twstorm(['doctor', file]).exit;
      assert.equal(exit.code, 2, exit.stderr);
      assert.equal(exit.stdout, '');
      assert.match(exit.stderr.trim(), /^twstorm: .*t\.yaml: thresholds\.summary\.timeWait\.peek: unknown figure "peek" under summary\.timeWait; did you mean peak\?/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("doctor <scenario> takes run's overrides, and judges the scenario run would run with them", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-doctor-set-'));
    try {
      // A target outside loopback (198.18.0.0/15, RFC 2544): doctor said "pass --allow-remote-target"
      // and then refused the flag. Nothing is sent: doctor only checks.
      const file = path.join(dir, 'remote.yaml');
      await writeFile(file, 'name: remote\nconnections: 10\ntarget: "198.18.0.1:80"\nenvironment: { isolation: host }\n');
      const [refused, allowed, badSet, noScenario] = await Promise.all([
        twstorm(['doctor', file, '--json']).exit,
        twstorm(['doctor', file, '--allow-remote-target', '--json']).exit,
        twstorm(['doctor', 'client-closes-first', '--set', 'connections=abc']).exit,
        twstorm(['doctor', '--isolation', 'host']).exit,
      ]);
      const problem = (exit: Exit, line: RegExp): void => {
        assert.equal(exit.code, 2, exit.stderr);
        assert.equal(exit.stderr.trim().split('\n').length, 1, exit.stderr);
        assert.match(exit.stderr, line);
      };
      problem(refused, /remote\.yaml: target: 198\.18\.0\.1 is not a loopback address: .*pass --allow-remote-target \(or set allowRemoteTarget: true\) if this is yours/);
      assert.notEqual(allowed.code, 2, allowed.stderr);
      assert.equal(JSON.parse(allowed.stdout).scenario, 'remote');
      problem(badSet, /^twstorm: --set: connections: expected an integer/);
      usageError(noScenario, /--set, --isolation and --allow-remote-target change one scenario: name it/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('missing arguments name what is needed', async () => {
    const [compare, report, none] = await Promise.all([twstorm(['compare', 'a.json']).exit, twstorm(['report']).exit, twstorm([]).exit]);
    usageError(compare, /compare needs <baseline> <current>; got 1 argument \(see "twstorm compare --help"\)/);
    usageError(report, /report needs <results\.\.>; got 0 arguments/);
    usageError(none, /name a command: run, list, serve/);
  });

  it('states --netns with a namespace that does not exist is a bad argument: exit 2', async () => {
    const exit = await twstorm(['states', '--netns', '999999']).exit;
    assert.equal(exit.code, 2, exit.stderr);
    assert.match(exit.stderr, /--netns 999999: no process 999999/);
  });

  it("a value a command's own checks refuse (--shard, --rate, --netns): one line with the pointer to --help, as yargs' own", async () => {
    // states' two are read by its lean entry (states-entry.ts), which never loads yargs.
    const [shard, rate, netns, netnsEmpty] = await Promise.all([
      twstorm(['run', 'client-closes-first', '--shard', '3/2']).exit,
      twstorm(['plan', '--rate', '-5']).exit,
      twstorm(['states', '--netns', '999999']).exit,
      twstorm(['states', '--netns=']).exit,
    ]);
    usageError(shard, /^twstorm: --shard: expected "i\/N" with 1 ≤ i ≤ N \(shard i of N\), got "3\/2" \(see "twstorm run --help"\)$/);
    usageError(rate, /^twstorm: --rate: expected requests per second ≥ 0, got -5 \(see "twstorm plan --help"\)$/);
    usageError(netns, /^twstorm: --netns 999999: no process 999999 .* \(see "twstorm states --help"\)$/);
    usageError(netnsEmpty, /^twstorm: --netns "": expected a namespace name .* \(see "twstorm states --help"\)$/);
  });

  it('an option given no value is refused with what it takes, never ignored or given the next word', async () => {
    // Each would do something else if the missing value went unnoticed: a scenario named "nosuch"
    // (refused only after the options) keeps that from ever being a run.
    const [set, out, junit, report, merge, netns, top, port] = await Promise.all([
      twstorm(['run', 'nosuch', '--set']).exit,
      twstorm(['run', 'nosuch', '--set', 'connections=10', '--out']).exit,
      twstorm(['compare', 'a.json', 'b.json', '--junit']).exit,
      twstorm(['report', 'a.json', '-o']).exit,
      twstorm(['merge', 'a.json', 'b.json', '-o']).exit,
      twstorm(['states', '--netns']).exit,
      twstorm(['states', '--top']).exit,
      // An unknown option first: were --port's missing value ignored, no server would start.
      twstorm(['serve', '--not-an-option', '--port']).exit,
    ]);
    // Worded as plan's own check words a bare --rate (test/plan/cli.test.ts).
    usageError(set, /^twstorm: --set: expected a field=value like connections=20000 after it, got none \(see "twstorm run --help"\)$/);
    usageError(out, /^twstorm: --out: expected a directory like reports\/ after it, got none \(see "twstorm run --help"\)$/);
    usageError(junit, /^twstorm: --junit: expected a file like compare\.xml after it, got none \(see "twstorm compare --help"\)$/);
    usageError(report, /^twstorm: -o: expected an HTML file like report\.html \(or a directory\) after it, got none \(see "twstorm report --help"\)$/);
    usageError(merge, /^twstorm: -o: expected a file for the merged result like merged\.json \(or a directory\) after it, got none \(see "twstorm merge --help"\)$/);
    usageError(netns, /^twstorm: --netns: expected a namespace name or a PID after it, got none \(see "twstorm states --help"\)$/);
    usageError(top, /^twstorm: --top: expected a number after it, got none \(see "twstorm states --help"\)$/);
    usageError(port, /^twstorm: --port: expected a number after it, got none \(see "twstorm serve --help"\)$/);
  });

  it('--set and --metric take one value each: the positionals after them stay positionals', async () => {
    const [set, metric] = await Promise.all([
      twstorm(['run', '--set', 'connections=200', 'nosuch']).exit,
      twstorm(['compare', '--metric', 'latencyMs.connect', 'nosuch-a.json', 'nosuch-b.json']).exit,
    ]);
    // The scenario and the results were found where they were typed: what is wrong is that they do not exist.
    assert.equal(set.code, 2, set.stderr);
    assert.match(set.stderr, /^twstorm: no scenario file or bundled scenario named "nosuch"/);
    assert.equal(metric.code, 2, metric.stderr);
    assert.match(metric.stderr, /^twstorm: nosuch-a\.json: cannot read it \(ENOENT\)/);
  });

  it('every option that takes a value requires one (yargs requiresArg), --watch alone excepted (its value is optional)', async () => {
    // One process looks at every command's options: a CLI call per option would cost ~0.3 CPU-s each.
    const cli = pathToFileURL(fileURLToPath(new URL('../../src/cli/', import.meta.url))).href;
    const script = `
      import yargs from 'yargs';
      const without = {};
      for (const name of ${JSON.stringify(USER_COMMANDS)}) {
        const command = (await import(${JSON.stringify(cli)} + name + '.js'))[name + 'Command'];
        const positionals = [...command.command.matchAll(/[<[]([\\w-]+)/g)].map((m) => m[1]);
        const o = command.builder(yargs([])).getOptions();
        const aliases = new Set(Object.values(o.alias).flat());
        without[name] = Object.keys(o.key).filter((k) => !o.boolean.includes(k) && !aliases.has(k) && !positionals.includes(k) && !(k in o.narg));
      }
      process.stdout.write(JSON.stringify(without));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: fileURLToPath(new URL('../../../', import.meta.url)) });
    assert.equal(r.status, 0, r.stderr);
    const without = JSON.parse(r.stdout) as Record<string, string[]>;
    assert.deepEqual(Object.keys(without), USER_COMMANDS);
    for (const name of USER_COMMANDS) assert.deepEqual(without[name], name === 'states' ? ['watch'] : [], name);
  });
});

/** Each command's --help, asked once for every check below. */
let helpsAsked: Promise<Exit[]> | null = null;
// Under a German locale: yargs' own words (Options, default, required) stay English like the
// rest of the text (src/cli/main.ts turns yargs' locale detection off).
const GERMAN = { ...process.env, LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8' };
/** The top-level help, then each command's: what the 80-column check and every other one reads. */
const EVERY_HELP = ['', 'merge', ...COMMANDS];
/**
 * Every help at 80 columns under a German locale, asked once: each is a CLI process (~0.4 CPU-s
 * with help's layout), so the width check and the locale check share them.
 */
const helpsAt80 = (): Promise<Exit[]> =>
  (helpsAsked ??= Promise.all(EVERY_HELP.map((command) => twstorm([...(command ? [command] : []), '--help'], { env: { ...GERMAN, COLUMNS: '80' } }).exit)));
const helps = async (): Promise<Exit[]> => (await helpsAt80()).slice(2);
const helpOf = async (command: string): Promise<Exit> => (await helps())[COMMANDS.indexOf(command)]!;

/**
 * The line of a help text that ends in the middle of a command it wrote, or undefined. Cut mid-
 * command: a line with an odd number of quotes or backticks (`"ip netns` / `list"`), a line that
 * ends with `twstorm` or `twstorm <word>` or an option that takes a value (`--set` /
 * `close.first=server`), or a redirection cut from its command (`>>`), when the next line goes on
 * with the same text. `valued` are the options that take a value.
 */
function cutCommand(help: string, valued: Set<string>): string | undefined {
  const lines = help.split('\n');
  for (const [i, line] of lines.entries()) {
    const next = lines[i + 1] ?? '';
    // Goes on: indented deeper than an entry's first line, and not only yargs' [type] tags.
    const goesOn = /^ {3,}\S/.test(next) && !/^\s*\[.*\]$/.test(next);
    const text = line.replace(/\[(string|number|boolean|array|required|choices|default)[^\]]*\]/g, '');
    if ((text.match(/"/g) ?? []).length % 2 === 1 || (text.match(/`/g) ?? []).length % 2 === 1) return `${line}\n${next}`;
    if (!goesOn) continue;
    const last = /(\S+)\s*$/.exec(line)?.[1] ?? '';
    if (/\btwstorm( [\w-]+)?$/.test(line.trimEnd()) || last === '>>' || /^\s*>>/.test(next) || valued.has(last)) return `${line}\n${next}`;
  }
  return undefined;
}

/** The options a help lists that take a value: every one not tagged [boolean]. */
function valuedOptions(help: string): string[] {
  const entries = help.split(/\n(?= {2}(?:-\w, )?--| {6}--)/);
  return entries.filter((e) => /^ {2}(?:-\w, )?--| {6}--/.test(e) && !e.includes('[boolean]')).flatMap((e) => e.split(/ {2,}/)[1]!.match(/--[\w-]+/g) ?? []);
}

describe('help', { concurrency: true }, () => {
  it('no help line ends in the middle of a command it wrote, at 80 columns or 100', async () => {
    const all = EVERY_HELP;
    const at100 = await Promise.all(all.map((command) => twstorm([...(command ? [command] : []), '--help'], { env: { ...process.env, COLUMNS: '100' } }).exit));
    const at80 = await helpsAt80();
    const valued = new Set([...at100, ...at80].flatMap((exit) => valuedOptions(exit.stdout)));
    // The check knows the options that take a value (it would pass, knowing none).
    for (const option of ['--set', '--metric', '--out', '--netns', '--protocol']) assert.ok(valued.has(option), option);
    const problems: string[] = [];
    for (const [width, exits] of [[80, at80], [100, at100]] as const) {
      for (const [i, { code, stdout }] of exits.entries()) {
        assert.equal(code, 0);
        const wide = stdout.split('\n').find((line) => line.length > width);
        if (wide !== undefined) problems.push(`twstorm ${all[i]} --help is wider than ${width}: ${wide}`);
        // An example wrapped by the description beside it leaves a line that is no command.
        const examples = stdout.split('Examples:\n')[1]?.split('\n\n')[0] ?? '';
        const broken = examples.split('\n').find((line) => line.trim() !== '' && !/^ {2}(sudo )?twstorm \S/.test(line));
        if (broken !== undefined) problems.push(`twstorm ${all[i]} --help at ${width} columns wraps an example: ${broken}`);
        const cut = cutCommand(stdout, valued);
        if (cut !== undefined) problems.push(`twstorm ${all[i]} --help at ${width} columns cuts a command:\n${cut}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('examples never wrap mid-command', async () => {
    const all = await helps();
    for (const [i, { code, stdout }] of all.entries()) {
      const command = COMMANDS[i]!;
      assert.equal(code, 0);
      const examples = stdout.split('Examples:\n')[1]?.split('\n\n')[0];
      if (examples === undefined) continue;
      for (const line of examples.split('\n').filter((l) => l.trim() !== '')) {
        // A wrapped example leaves a continuation line that is not a command.
        assert.match(line, /^ {2}(sudo )?twstorm \S/, `${command} --help: ${JSON.stringify(line)}`);
        assert.ok(line.length <= 100, `${command} --help: ${line}`);
      }
    }
  });

  it('every help is in English whatever the locale, never half German', async () => {
    for (const [i, { stdout }] of (await helps()).entries()) {
      assert.match(stdout, /^Options:$/m, COMMANDS[i]);
      assert.doesNotMatch(stdout, /Optionen|Standard:|erforderlich|Beispiele/, COMMANDS[i]);
    }
  });

  it('the exit codes --help lists are README\'s, signals and result files included', async () => {
    const readme = await readFile(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
    const codes = [...readme.matchAll(/^\| (\d+) \| /gm)].map((m) => m[1]!);
    assert.deepEqual(codes, ['0', '1', '2', '3', '4', '130']);
    const top = (await twstorm(['--help']).exit).stdout;
    for (const code of codes) assert.match(top, new RegExp(`^  ${code} +\\S`, 'm'), `exit ${code} in --help`);
    assert.match(top, /SIGHUP/);
    assert.match(top, /result file/);
    assert.match(top, /130 wins over 1, and 1 over 3/);
  });

  it('report and merge --help show no contradictory [required] [default: []], and -o, --out, --output mean one thing in run, report and merge', async () => {
    const merge = (await twstorm(['merge', '--help']).exit).stdout;
    for (const help of [(await helpOf('report')).stdout, merge]) assert.doesNotMatch(help, /\[default: \[\]\]/);
    for (const help of [(await helpOf('report')).stdout, (await helpOf('run')).stdout, merge]) assert.match(help, /^ {2}-o, --out, --output +\S/m);
  });

  it('run takes --output as report and merge do; merge without -o names it and what it is', async () => {
    const [output, outputNoValue, noOut] = await Promise.all([
      twstorm(['run', 'nosuch', '--output', 'somewhere']).exit,
      twstorm(['run', 'nosuch', '--output', '--json']).exit,
      twstorm(['merge', 'a.json', 'b.json']).exit,
    ]);
    // Accepted: what stops the run is the scenario, read after the options.
    assert.equal(output.code, 2, output.stderr);
    assert.match(output.stderr, /^twstorm: no scenario file or bundled scenario named "nosuch"/);
    usageError(outputNoValue, /^twstorm: --output: expected a directory like reports\/ after it, got none/);
    usageError(noOut, /^twstorm: merge needs -o\/--out: a file for the merged result like merged\.json \(or a directory\) \(see "twstorm merge --help"\)$/);
  });

  it('--version prints the package version alone; a command\'s --version says the same', async () => {
    const pkg = JSON.parse(await readFile(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string };
    const [top, run] = await Promise.all([twstorm(['--version']).exit, twstorm(['run', '--version']).exit]);
    assert.deepEqual(top, { code: 0, signal: null, stdout: `${pkg.version}\n`, stderr: '' });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `${pkg.version}\n`);
  });

  it('completion prints a shell completion script; completion --help is its help, and it takes nothing else', async () => {
    const [script, help, bogus] = await Promise.all([twstorm(['completion']).exit, twstorm(['completion', '--help']).exit, twstorm(['completion', '--bogus']).exit]);
    assert.equal(script.code, 0);
    assert.match(script.stdout, /###-begin-twstorm-completions-###/);
    assert.match(script.stdout, /complete .*twstorm/);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^twstorm completion\n\nPrint a shell completion script/);
    assert.doesNotMatch(help.stdout, /###-begin/);
    usageError(bogus, /^twstorm: completion takes no arguments or options: it prints the script \(see "twstorm completion --help"\)$/);
  });

  it("TAB completes run's and doctor's scenario with the bundled names, and a one-letter alias as -o, never --o", async () => {
    const complete = (...words: string[]): Promise<Exit> => twstorm(['--get-yargs-completions', 'twstorm', ...words]).exit;
    const [run, doctor, any, value, dashes, dash, list] = await Promise.all([
      complete('run', 'client-c'),
      complete('doctor', 'port-ex'),
      complete('run', ''),
      complete('run', '--out', 'cl'),
      complete('run', 'client-closes-first', '--'),
      complete('run', 'client-closes-first', '-'),
      twstorm(['list', '--json']).exit,
    ]);
    const offered = (exit: Exit): string[] => {
      assert.equal(exit.code, 0, exit.stderr);
      assert.equal(exit.stderr, '');
      return exit.stdout.split('\n').filter((l) => l !== '');
    };
    assert.deepEqual(offered(run), ['client-closes-first']);
    assert.deepEqual(offered(doctor), ['port-exhaustion']);
    // Every bundled scenario, as list names them, beside the options.
    const names = (JSON.parse(list.stdout) as Array<{ name: string }>).map((s) => s.name);
    assert.deepEqual(offered(any).filter((c) => !c.startsWith('-')), names);
    // An option's value is not the scenario.
    assert.deepEqual(offered(value), []);
    assert.ok(offered(dashes).includes('--out') && offered(dashes).includes('--output'));
    assert.deepEqual(offered(dashes).filter((c) => /^--.$/.test(c)), [], 'no "--o"');
    assert.ok(offered(dash).includes('-o'));
  });

  it('-h is --help at the top, for a command and for the lean states; "help <command>" is that command\'s help', async () => {
    const [top, run, states, helpRun, none] = await Promise.all([
      twstorm(['-h']).exit,
      twstorm(['run', '-h']).exit,
      twstorm(['states', '-h']).exit,
      twstorm(['help', 'run']).exit,
      twstorm([]).exit,
    ]);
    for (const exit of [top, run, states, helpRun]) assert.equal(exit.code, 0, exit.stderr);
    assert.match(top.stdout, /^twstorm <command>\n\nCommands:/);
    assert.match(run.stdout, /^twstorm run <scenario>\n/);
    assert.equal(helpRun.stdout, run.stdout);
    assert.match(states.stdout, /^twstorm states\n/);
    // The list a missing command offers names every command, completion included.
    usageError(none, /^twstorm: name a command: run, list, serve, compare, merge, plan, report, states, doctor, completion \(see "twstorm --help"\)$/);
  });

  it('list --json is the bundled scenarios as JSON, and lays out no text to get there', async () => {
    const counter = pathToFileURL(fileURLToPath(new URL('../helpers/count-segmenters.js', import.meta.url))).href;
    const { code, stdout, stderr } = await twstorm(['list', '--json'], { env: { ...process.env, NODE_OPTIONS: `--import=${counter}` } }).exit;
    assert.equal(code, 0);
    // string-width's start-up cost (scripts/bundle.mjs) is paid only by help text.
    assert.match(stderr, /^Intl\.Segmenter built: 0$/m);
    const list = JSON.parse(stdout) as Array<{ name: string; file: string; description: string }>;
    const names = list.map((s) => s.name);
    assert.ok(names.includes('client-closes-first') && names.includes('close-matrix'), names.join(','));
    assert.ok(list.every((s) => s.file.endsWith('.yaml') && s.description.length > 0));
  });
});

/** `twstorm ARGS | head -N` (`2>&1 | head -N` with `stderrToo`): the exit code and stderr of twstorm itself. */
function closedPipe(args: string[], lines: number, stderrToo = false): Promise<Exit> {
  const child = spawn('bash', ['-c', `"$0" "$@" ${stderrToo ? '2>&1 ' : ''}| head -${lines} >/dev/null; exit "\${PIPESTATUS[0]}"`, process.execPath, BIN, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout: '', stderr })));
}

describe('a closed pipe', () => {
  it('`list | head -1` ends quietly', async () => {
    const { code, stderr } = await closedPipe(['list'], 1);
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|Error/);
  });

  it('`merge … | head -1` and `compare … | head -1` keep their gates: exit 3 and 4, every file written', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-pipe-gate-'));
    try {
      // Two copies of one real run, 0.5 s apart, under a threshold that fails.
      const fixture = JSON.parse(await readFile(fileURLToPath(new URL('../../../test/fixtures/results/client-closes-first.json', import.meta.url)), 'utf8')) as Record<string, unknown> & { startedAt: string; endedAt: string; scenario: { thresholds: Record<string, string> } };
      const copies = [0, 500].map((shift, i) => {
        const copy = structuredClone(fixture);
        copy.startedAt = new Date(Date.parse(fixture.startedAt) + shift).toISOString();
        copy.endedAt = new Date(Date.parse(fixture.endedAt) + shift).toISOString();
        copy.scenario.thresholds = { 'summary.connections.attempted': '< 1' };
        return { file: path.join(dir, `copy-${i}.json`), copy };
      });
      for (const { file, copy } of copies) await writeFile(file, JSON.stringify(copy));
      // -o a directory: the merge is named in it.
      const merged = await closedPipe(['merge', ...copies.map((c) => c.file), '-o', `${dir}/merged/`], 1);
      assert.equal(merged.code, 3, merged.stderr);
      const files = await readdir(path.join(dir, 'merged'));
      assert.deepEqual(files.map((f) => f.replace(/-\d{8}T\d{6}Z/, '')).sort(), ['client-closes-first-merged-2.html', 'client-closes-first-merged-2.json']);
      const base = fileURLToPath(new URL('../../../test/fixtures/compare/baseline', import.meta.url));
      const current = fileURLToPath(new URL('../../../test/fixtures/compare/current', import.meta.url));
      const junit = path.join(dir, 'compare.xml');
      const compared = await closedPipe(['compare', base, current, '--junit', junit], 1);
      assert.equal(compared.code, 4, compared.stderr);
      assert.match(await readFile(junit, 'utf8'), /<testsuites/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('`run … 2>&1 | head -0` still writes its result: the run process goes on past a closed stderr', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'twstorm-pipe-'));
    try {
      const { code } = await closedPipe(['run', 'client-closes-first', '--out', out, '--set', 'connections=200', '--set', 'tail=100ms'], 0, true);
      assert.equal(code, 0);
      assert.deepEqual((await readdir(out)).map((f) => path.extname(f)).sort(), ['.html', '.json']);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('`run … | head -3` ends quietly, and the run still writes its result', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'twstorm-pipe-'));
    try {
      const { code, stderr } = await closedPipe(['run', 'client-closes-first', '--out', out, '--set', 'connections=200', '--set', 'tail=100ms'], 3);
      assert.equal(code, 0, stderr);
      assert.doesNotMatch(stderr, /EPIPE|Error|internal/);
      assert.equal((await readdir(out)).filter((f) => f.endsWith('.json')).length, 1);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('merge output', () => {
  it('says where the merge went once, with how many results it holds', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-merge-once-'));
    try {
      // Two copies of one real run, 0.5 s apart.
      const fixture = JSON.parse(await readFile(fileURLToPath(new URL('../../../test/fixtures/results/client-closes-first.json', import.meta.url)), 'utf8')) as Record<string, unknown> & { startedAt: string; endedAt: string };
      const files = [0, 500].map((shift, i) => {
        const copy = structuredClone(fixture);
        copy.startedAt = new Date(Date.parse(fixture.startedAt) + shift).toISOString();
        copy.endedAt = new Date(Date.parse(fixture.endedAt) + shift).toISOString();
        return { file: path.join(dir, `copy-${i}.json`), copy };
      });
      for (const { file, copy } of files) await writeFile(file, JSON.stringify(copy));
      const out = path.join(dir, 'merged.json');
      const { code, stdout, stderr } = await twstorm(['merge', ...files.map((f) => f.file), '-o', out]).exit;
      assert.equal(code, 0, stderr);
      assert.equal(stdout.split(out).length - 1, 1, stdout);
      assert.match(stdout, /\n\nresult: .*merged\.json \(2 results merged\)\nHTML report: .*merged\.html\n$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('run output', () => {
  /** `script` (util-linux) gives the CLI a pseudo-terminal, as a user at a terminal has. */
  function onTerminal(args: string[]): { code: number | null; output: string } {
    const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, output: r.stdout };
  }

  it('the progress line on a terminal: separators, target, ETA, TIME_WAIT, errors; never with --json or off a terminal', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'twstorm-progress-'));
    try {
      const sets = ['--out', out, '--set', 'connections=2000', '--set', 'rate=1000', '--set', 'tail=100ms'];
      const tty = onTerminal(['run', 'client-closes-first', ...sets]);
      assert.equal(tty.code, 0, tty.output);
      assert.match(tty.output, /\r\x1b\[2K {2}\d+\.\ds\/30s {2}[\d,]+\/2,000 connections {2}ETA \d+s {2}TIME_WAIT [\d,–]+ {2}errors \d+/);
      // Errors count up while the load runs, on the engine threads too (a newcomer audit: they
      // read 0 until the summary said EADDRNOTAVAIL 200): 50 ports for 200 connections, the
      // other 150 fail after connect()'s back-off, seconds of it.
      const starved = onTerminal(['run', 'client-closes-first', '--out', out, '--set', 'connections=200', '--set', 'concurrency=4', '--set', 'tail=0', '--set', 'environment.sysctls.net.ipv4.ip_local_port_range=40000 40049']);
      assert.equal(starved.code, 0, starved.output);
      assert.match(starved.output, /\/200 connections {2}ETA \d+s {2}TIME_WAIT [\d,]+ {2}errors [1-9]/, starved.output);
      const json = onTerminal(['run', 'client-closes-first', '--json', ...sets]);
      assert.equal(json.code, 0);
      const progressLine = /\x1b\[2K {2}\d+\.\ds\/|ETA \d+s/;
      assert.doesNotMatch(json.output, progressLine);
      // With --json stdout is the JSON alone; where the files went is on stderr, for a CI log.
      const jsonPiped = await twstorm(['run', 'client-closes-first', '--json', ...sets]).exit;
      assert.equal(jsonPiped.code, 0, jsonPiped.stderr);
      assert.equal(JSON.parse(jsonPiped.stdout).scenario.name, 'client-closes-first');
      assert.match(jsonPiped.stderr, /^twstorm: result: .*client-closes-first-\d{8}T\d{6}Z\.json; HTML report: .*\.html$/m);
      const piped = await twstorm(['run', 'client-closes-first', ...sets]).exit;
      assert.equal(piped.code, 0);
      assert.doesNotMatch(piped.stderr + piped.stdout, progressLine);
      assert.doesNotMatch(piped.stderr, /\x1b\[2K/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('a matrix prints each variant\'s summary and HTML path as it finishes, then the comparison', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-matrix-'));
    try {
      const file = path.join(dir, 'two.yaml');
      await writeFile(file, 'name: two\nconnections: 100\ntail: 100ms\nenvironment: { isolation: netns }\nmatrix:\n  close.first: [client, server]\n');
      const { code, stdout, stderr } = await twstorm(['run', file, '--out', dir]).exit;
      assert.equal(code, 0, stderr);
      // Each variant's block ends with its own files, before the next variant ran.
      const blocks = stdout.split(/^HTML report: .*\.html$/m);
      assert.match(blocks[0]!, /\n\nresult: .*two-client-.*\.json\n$/);
      assert.equal(blocks.length, 3, stdout);
      assert.match(blocks[0]!, /The client closed first/);
      assert.match(blocks[1]!, /server closed first|on the server/i);
      assert.match(stdout, /^HTML report: .*two-client-\d{8}T\d{6}Z\.html$/m);
      assert.match(blocks[2]!, /^HTML report comparing both runs: .*two-\d{8}T\d{6}Z\.html$/m);
      assert.doesNotMatch(stdout, /\n\n\n/, 'never two blank lines in a row (none before the HTML path)');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
