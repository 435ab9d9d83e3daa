// Helper run inside a fresh network namespace by user-command.test.ts:
//   unshare -n node user-command-cases.js <case>
// (not named *.test.* so `node --test` does not run it on the host). Each case starts a real
// command through startUserServer, prints one JSON line and exits.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startUserServer, type UserServerOptions } from '../../src/server/user-command.js';
import { UserServerError } from '../../src/server/process.js';
import { asServerProcess } from '../../src/server/own-server.js';
import { isListening } from '../../src/server/listeners.js';
import { childPidNamespace, processesIn } from '../../src/server/pid-namespace.js';
import { SCENARIOS } from '../helpers/netns.js';
import { requireFreshNamespace } from '../helpers/fresh-namespace.js';

requireFreshNamespace('user-command-cases.js');

setTimeout(() => {
  process.stderr.write('user-command case timed out\n');
  process.exit(3);
}, 50_000).unref();

const [name = ''] = process.argv.slice(2);
execFileSync('ip', ['link', 'set', 'lo', 'up']);
const dir = mkdtempSync(path.join(os.tmpdir(), 'twstorm-usercmd-'));
// A log of its own for each start: a server log is created, never appended to (two runs'
// servers once shared one), so a second start on one path is refused.
const logs = { count: 0 };
const base = {
  host: '127.0.0.1',
  port: 7100,
  get logPath(): string {
    logs.count += 1;
    return path.join(dir, `server-${logs.count}.log`);
  },
  readyTimeoutMs: 5000,
  stopTimeoutMs: 2000,
};

/** A Node listener as the user's server; on SIGTERM it says so and exits 0. */
const NODE_SERVER = `
const s = require('net').createServer((c) => c.end()).listen(7100, '127.0.0.1', () => console.log('listening 7100 pid ' + process.pid));
process.on('SIGTERM', () => { console.log('got SIGTERM'); s.close(); process.exit(0); });`;

/** A Node listener with no SIGTERM handler: the signal's default action ends it. */
const PLAIN_SERVER = `require('net').createServer((c) => c.end()).listen(7100, '127.0.0.1');`;

/** A listener whose shutdown takes a second after SIGTERM, then says it is done and exits 0. */
const GRACEFUL = `
const s = require('net').createServer((c) => c.end()).listen(7100, '127.0.0.1');
process.on('SIGTERM', () => { s.close(); setTimeout(() => { console.log('graceful-done'); process.exit(0); }, 1000); });`;

/** A listener that ignores SIGTERM, with a child of its own (the sleep) beside it. */
const STUBBORN = `
require('net').createServer((c) => c.end()).listen(7100, '127.0.0.1');
process.on('SIGTERM', () => console.log('ignoring SIGTERM'));`;

/** server.command started as a run starts it; prints where its TWSTORM_SERVER_DIR is, and whether it exists. */
async function serverWithScratch(): Promise<void> {
  const { loadScenarioFile } = await import('../../src/scenario/index.js');
  const { startOwnServer } = await import('../../src/server/own-server.js');
  const scenario = await loadScenarioFile(`${SCENARIOS}client-closes-first.yaml`, ['server.port=7100', `server.command=${JSON.stringify([process.execPath, '-e', NODE_SERVER])}`]);
  const server = (await startOwnServer(scenario, ''))!;
  const facts = server.facts();
  const scratch = 'logPath' in facts ? path.dirname(facts.logPath) : '';
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({ scratch, existed: existsSync(scratch) })}\n`);
}

/** Every process whose process group is `pgid` (the wrapper's group). */
function groupMembers(pgid: number): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,pgid='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter(([, g]) => g === pgid)
    .map(([p]) => p!);
}

async function failure(options: Partial<UserServerOptions> & Pick<UserServerOptions, 'command'>): Promise<unknown> {
  try {
    const server = await startUserServer({ ...base, ...options });
    await server.stop();
    return { started: true };
  } catch (err) {
    if (!(err instanceof UserServerError)) throw err;
    return { code: err.code, message: err.message, leftListening: await isListening(7100) };
  }
}

let out: unknown;
switch (name) {
  case 'ok': {
    const server = await startUserServer({ ...base, command: [process.execPath, '-e', NODE_SERVER] });
    const listening = await isListening(7100);
    const members = groupMembers(server.pid);
    const exit = await server.stop();
    out = { listening, members: members.length, exit, goneAfter: groupMembers(server.pid).length, log: readFileSync(server.logPath, 'utf8') };
    break;
  }
  case 'not-found':
    out = await failure({ command: 'no-such-server-command --port 7100' });
    break;
  case 'not-found-argv':
    out = await failure({ command: ['no-such-server-binary', '--port', '7100'] });
    break;
  case 'exits':
    out = {
      three: await failure({ command: 'echo "config error: line 3"; echo "giving up"; exit 3' }),
      // A first process that leaves with 0 before listening: what a daemonizing server does.
      zero: await failure({ command: 'echo "forked into the background"; exit 0' }),
      // Lines of 3,000 characters: each is quoted cut, and only whole lines from the log's last 8 KiB.
      long: await failure({ command: `for i in 1 2 3 4 5 6 7 8; do printf "line$i %03000d\\n" 0; done; exit 1` }),
    };
    {
      // One that prints nothing: its empty log is not left behind, nor pointed at.
      const logPath = path.join(dir, 'silent.server.log');
      out = { ...(out as object), silent: { ...((await failure({ command: 'exit 4', logPath })) as object), logLeft: existsSync(logPath) } };
    }
    break;
  case 'never-listens': {
    // A shell that prints, then waits forever; with the wrong port configured it never listens.
    // 2 s: a busy machine can take longer than 300 ms to start the shell that prints "waiting".
    // No `exec`: the command line's shell, which waits on the sleep, prints "Terminated" to the
    // log when the stop's SIGTERM ends that sleep, and that is not the server's last output.
    const before = Date.now();
    out = { ...(await failure({ command: 'echo waiting; sleep 600', readyTimeoutMs: 2000 }) as object), tookMs: Date.now() - before };
    break;
  }
  case 'v6only': {
    // [::] with IPV6_V6ONLY (nginx's `listen [::]:port` default) takes no IPv4: server.host 127.0.0.1 never reaches it.
    const listen = (ipv6Only: boolean) => `require('net').createServer((c) => c.end()).listen({ port: 7100, host: '::', ipv6Only: ${ipv6Only} });`;
    out = {
      only: await failure({ command: [process.execPath, '-e', listen(true)] }),
      dual: await failure({ command: [process.execPath, '-e', listen(false)] }),
    };
    break;
  }
  case 'wrong-address':
    // Listening on the declared port, but on an address the client (server.host 127.0.0.1) does not connect to.
    out = await failure({ command: [process.execPath, '-e', NODE_SERVER.replace("'127.0.0.1'", "'127.0.0.2'")] });
    break;
  case 'plain-sigterm': {
    // No handler of its own: as PID 1 of its namespace the kernel would drop the SIGTERM.
    const server = await startUserServer({ ...base, stopTimeoutMs: 5000, command: [process.execPath, '-e', PLAIN_SERVER] });
    const exit = await server.stop();
    out = { exit, goneAfter: groupMembers(server.pid).length, listeningAfter: await isListening(7100) };
    break;
  }
  case 'command-line-sigterm': {
    // Command lines whose own shell used to be PID 1: `exec` made the server that unhandled
    // init; a sequence had its running step killed and went on to the next after the stop.
    const stopOf = async (command: string, wait: () => Promise<void>) => {
      const server = await startUserServer({ ...base, stopTimeoutMs: 5000, command, env: { NODE: process.execPath, PLAIN_SERVER, GRACEFUL } });
      await wait();
      const exit = await server.stop();
      return { exit, goneAfter: groupMembers(server.pid).length, listeningAfter: await isListening(7100), log: readFileSync(server.logPath, 'utf8') };
    };
    const exec = await stopOf('exec "$NODE" -e "$PLAIN_SERVER"', async () => undefined);
    // Listening at once (readiness), then a step that outlives the stop unless the stop ends the whole line.
    const sequence = await stopOf('"$NODE" -e "$PLAIN_SERVER" & sleep 2; echo after-the-stop', async () => undefined);
    // Servers in the background and a `wait`: each gets the SIGTERM and finishes its shutdown
    // (here: a second of it), which the shell waits for before it exits.
    const background = await stopOf(
      '"$NODE" -e "$GRACEFUL" & wait',
      async () => undefined,
    );
    const log = [exec, sequence, background].map((x) => x.log).join('');
    out = { exec: { ...exec, log: undefined }, sequence: { ...sequence, log: undefined }, background: { ...background, log: undefined }, log };
    break;
  }
  case 'own-session': {
    // A server in a session of its own (`setsid`) has left the wrapper's process group: a stop
    // sent to the group missed it, it sat out stopTimeout and was SIGKILLed. Started with `&`
    // by a shell without job control, the command also had SIGINT and SIGQUIT ignored (POSIX),
    // as had all it started: what grep, a step before the server, reads in /proc/self/status.
    // (Node resets every disposition at start-up, so the server's own SigIgn cannot show it.)
    const server = await startUserServer({
      ...base,
      stopTimeoutMs: 5000,
      command: 'grep SigIgn /proc/self/status; exec setsid "$NODE" -e "$NODE_SERVER"',
      env: { NODE: process.execPath, NODE_SERVER },
    });
    const ns = childPidNamespace(server.pid);
    const members = ns === null ? [] : processesIn(ns);
    const sessions = members.map((p) => Number(readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[3]));
    const exit = await server.stop();
    const log = readFileSync(server.logPath, 'utf8');
    out = { ns, sigIgn: /^SigIgn:\s*(\w+)$/m.exec(log)?.[1] ?? null, ownSession: sessions.some((sid) => sid !== server.pid), exit, log, listeningAfter: await isListening(7100) };
    break;
  }
  case 'noisy': {
    // 25 MB of output (252,525 lines of 99 x's) before it listens, then its usual lines: the log keeps the start and the
    // end, and says between them how much it left out.
    const command = `head -c 24999975 /dev/zero | tr '\\0' x | fold -w 99; echo; exec "$NODE" -e "$NODE_SERVER"`;
    const server = await startUserServer({ ...base, command, env: { NODE: process.execPath, NODE_SERVER } });
    // Stopped as a run stops it: through the handle whose facts the result records.
    const handle = asServerProcess(server, command);
    await handle.stop();
    const { exit, logDropped } = handle.facts();
    const log = readFileSync(server.logPath);
    const text = log.toString('latin1');
    out = { exit, size: log.length, dropped: server.logDroppedBytes(), logDropped, start: text.slice(0, 100), cut: /^\[twstorm: .*\]$/m.exec(text)?.[0] ?? null, end: text.slice(-60) };
    break;
  }
  case 'ignores-sigterm': {
    // A server that ignores SIGTERM is SIGKILLed after stopTimeout, children and all.
    const server = await startUserServer({
      ...base,
      stopTimeoutMs: 300,
      command: ['sh', '-c', 'trap "" TERM; sleep 600 & exec "$NODE" -e "$STUBBORN"'],
      env: { NODE: process.execPath, STUBBORN },
    });
    const exit = await server.stop();
    out = { exit, goneAfter: groupMembers(server.pid).length, listeningAfter: await isListening(7100) };
    break;
  }
  case 'scratch-at-exit': {
    // The run process's way out when a stop overruns its deadline: process.exit() with the
    // server still up. TWSTORM_SERVER_DIR must not outlive the process.
    await serverWithScratch();
    process.exit(0);
  }
  case 'scratch-sigkill': {
    // The run process SIGKILLed with the server up: no 'exit' listener runs. It prints where
    // TWSTORM_SERVER_DIR is and waits for the test to kill it.
    await serverWithScratch();
    setInterval(() => undefined, 1000);
    await new Promise(() => undefined);
    break;
  }
  case 'stop-after-death': {
    // The server dies on its own mid-run; the run then stops it. Node reaped the wrapper when it
    // died, so its PID (the group's ID) is free: stop() must send that number nothing — with
    // pid_max at 32768 it may lead another program's group by then (a suite's SIGKILL of one
    // test's CLI by another's late group kill was seen so). Signals are recorded, not sent.
    const server = await startUserServer({ ...base, command: [process.execPath, '-e', `${NODE_SERVER}; setTimeout(() => process.exit(0), 200);`] });
    const died = await server.died;
    const sent: Array<[number, string | number | undefined]> = [];
    const kill = process.kill;
    process.kill = ((pid: number, signal?: string | number) => {
      // Signal 0 only asks whether the group is there (the wait for it to be gone).
      if (signal === 0) return kill.call(process, pid, 0);
      sent.push([pid, signal]);
      return true;
    }) as typeof process.kill;
    const exit = await server.stop();
    process.kill = kill;
    out = { died, exit, sent };
    break;
  }
  case 'log-exists': {
    // Another run's log under this name: refused, not appended to, and nothing started.
    const taken = path.join(dir, 'taken.server.log');
    writeFileSync(taken, 'the other run\'s server\n');
    out = { ...((await failure({ command: [process.execPath, '-e', NODE_SERVER], logPath: taken })) as object), log: readFileSync(taken, 'utf8') };
    break;
  }
  case 'port-taken': {
    const first = await startUserServer({ ...base, command: [process.execPath, '-e', NODE_SERVER] });
    out = await failure({ command: [process.execPath, '-e', NODE_SERVER] });
    await first.stop();
    break;
  }
  case 'as-user': {
    // A user's run with isolation host: the run process is no root in its user namespace, so
    // unshare --pid alone fails with EPERM. The server's own user namespace gives it one. The
    // case gives up root here (this process, in its fresh network namespace), with a log
    // directory of the user's own.
    rmSync(dir, { recursive: true, force: true });
    process.setgid!(65534);
    process.setuid!(65534);
    const own = mkdtempSync(path.join(os.tmpdir(), 'twstorm-usercmd-user-'));
    try {
      // It says which uid it runs as: the user's own, not a root the namespace made up.
      const server = await startUserServer({ ...base, logPath: path.join(own, 'server.log'), command: [process.execPath, '-e', `${NODE_SERVER}\nconsole.log('uid ' + process.getuid());`] });
      const listening = await isListening(7100);
      const exit = await server.stop();
      out = { uid: process.getuid!(), listening, exit, log: readFileSync(server.logPath, 'utf8') };
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
    break;
  }
  case 'no-pid-namespace': {
    // Where no PID namespace can be made (no root, unprivileged user namespaces off), unshare
    // itself fails: an unshare on PATH that says what util-linux's says, and exits 1.
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'unshare'), '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n', { mode: 0o755 });
    out = await failure({ command: [process.execPath, '-e', NODE_SERVER], env: { PATH: `${bin}:${process.env['PATH'] ?? ''}` } });
    break;
  }
  default:
    throw new Error(`unknown case ${name}`);
}
if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(out)}\n`);
