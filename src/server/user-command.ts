// The user's own server (`server.command`): started inside the run's namespace in place of the
// bundled one, awaited until it listens, its output kept in a file, and stopped at the end.
//
// Nothing may outlive the run, even when the run process is SIGKILLed and cannot clean up:
//   setpriv --pdeathsig KILL   the wrapper dies with the run process (PR_SET_PDEATHSIG, kept
//                              across execve);
//   unshare --pid --fork --kill-child=SIGKILL
//                              a fresh PID namespace whose PID 1 is SIGKILLed when the wrapper
//                              dies; when PID 1 dies the kernel kills every other process in
//                              that namespace (nginx workers, a daemon that double-forked), so no
//                              process can be left behind;
//   /bin/sh                    PID 1 is PID_ONE, a shell that runs the command as its child
//                              (an argv list, or `/bin/sh -c` of a command line).
// The wrapper runs in its own process group (detached), so a Ctrl-C on the terminal does not hit
// the server mid-run: the run decides when it stops (SIGTERM to every process of the command's
// PID namespace, whatever its group or session — the server shuts down gracefully and PID_ONE
// exits with its status — then SIGKILL to the wrapper's group after the grace time, which ends
// the namespace).
import { spawn, type ChildProcess } from 'node:child_process';
import { rm, stat } from 'node:fs/promises';
import { isListening, isLoopback, listenersOn, listenerText, reachableOver, servesHost, wildcardV6Only } from './listeners.js';
import { lastLines } from './log-tail.js';
import { UserServerError } from './process.js';
import { keepServerLog } from './server-log.js';
import { childPidNamespace, groupGone, namespaceGone, processesIn } from './pid-namespace.js';
import { describeCommand } from './command-line.js';
import { serverUserNamespace } from './server-user.js';


export interface UserServerOptions {
  /** A shell command line (run with /bin/sh -c) or an argv list. */
  command: string | readonly string[];
  host: string;
  port: number;
  /** Where the server's stdout and stderr go (a new file), cut to its start and end (capped-log.ts). */
  logPath: string;
  readyTimeoutMs: number;
  stopTimeoutMs: number;
  /**
   * The run's stop request: once aborted, the wait for the port ends (the server is handed back
   * not yet listening), so a Ctrl-C during a slow start-up is not held for readyTimeout.
   */
  signal?: AbortSignal;
  /** Extra environment for the command (TWSTORM_SERVER_DIR etc.). */
  env?: Record<string, string>;
  cwd?: string;
  /** An argv prefix that enters another network namespace (the routed lab's server host). */
  enter?: readonly string[];
  /** Where to look for the listener (/proc/<pid> of a process in the server's namespace). */
  procRoot?: string;
  /**
   * The clients come from other namespaces (the routed lab), over this IP version: a listener
   * they cannot reach (loopback only; IPv4 only in an IPv6 lab) is refused.
   */
  reachedFromOutside?: 4 | 6;
}

export interface UserServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Whether SIGTERM was not enough and the group had to be SIGKILLed. */
  killed: boolean;
  /**
   * Set when SIGTERM went to the wrapper's process group only, not to every process of the
   * command's PID namespace (which the kernel did not name): a process that left the group never had it.
   */
  sigtermGroupOnly?: true;
}

export interface UserServer {
  /** PID of the wrapper; the process group id of everything the command started. */
  readonly pid: number;
  readonly port: number;
  readonly logPath: string;
  /** SIGTERM, then SIGKILL after stopTimeoutMs; resolves when its group and PID namespace are gone. */
  stop(): Promise<UserServerExit>;
  /** Resolves with the reason if the server exits on its own during the run; never after stop(). */
  readonly died: Promise<string>;
  /** Bytes of its output the log left out (capped-log.ts), once stop() has resolved; 0 before. */
  logDroppedBytes(): number;
}

/** How often readiness is looked for. */
const POLL_MS = 25;
/** How long listeners the clients cannot reach may stand alone before the routed lab refuses them. */
const UNREACHABLE_GRACE_MS = 1000;

/**
 * How long stop() waits for the last process of the group to be gone once the wrapper exited.
 * The probe below only asks (signal 0): should the number lead another group by then, the wait
 * is longer, never a kill.
 */
const GROUP_GONE_MS = 5000;

/** A first process that exits 0 while its server should be running most likely forked one off and left. */
const DAEMONIZED = ' (a server that daemonizes must be told to stay in the foreground, e.g. nginx "daemon off;")';

/**
 * PID 1 of the command's PID namespace: a shell that starts the command as its child and waits
 * for it. The kernel delivers a signal to a namespace's init only when init has a handler for it
 * (pid_namespaces(7)), so a command that was PID 1 itself and had no SIGTERM handler (a plain
 * Node or Python server) never saw the stop: every run sat out the whole stopTimeout, then
 * SIGKILLed it. A command line is no exception: its own shell as PID 1 ignored the SIGTERM too,
 * so `exec node server.js` was that unhandled PID 1, and `sleep 3; node server.js` had its sleep
 * killed and then started the server after the stop. As PID 2 the command (or the shell of a
 * command line) gets the stop's SIGTERM as any process does; PID_ONE, to which it means
 * nothing, exits with the command's status (128 + n after signal n) once the command is gone,
 * and its exit ends the namespace and whatever the command left in it.
 *
 * The command runs in the foreground, not with `&`: POSIX has a shell without job control start
 * an asynchronous command with SIGINT and SIGQUIT ignored (XCU 2.11), and an ignored signal stays
 * ignored across execve, so the server and all it started had them ignored (SigIgn
 * 0000000000000006 in /proc/<pid>/status). `set -m` cannot help: dash turns job control off
 * without a terminal, and the run has none. In the foreground the command gets the dispositions
 * PID_ONE had, the defaults (Node resets every signal before exec). `; exit $?` keeps the
 * command from being exec'd in PID_ONE's place as a last command.
 */
// Its own stderr goes to /dev/null and the command's to the log (with its stdout): as init, dash
// reports a job that a signal ended ("Terminated"), which the log then showed as the server's
// last words after twstorm's own stop.
const PID_ONE = ['/bin/sh', '-c', 'exec 2>/dev/null; "$@" 2>&1; exit $?', 'twstorm-server'];

export async function startUserServer(options: UserServerOptions): Promise<UserServer> {
  const what = describeCommand(options.command);
  if (await isListening(options.port, options.procRoot)) {
    throw new UserServerError(
      'EADDRINUSE',
      `server.command: something already listens on port ${options.port} before "${what}" started; stop it or choose another server.port`,
    );
  }
  // A command line's shell is PID 2 and gets the stop's SIGTERM. Its trap runs once the step in
  // the foreground is done (a graceful nginx exits 0 and is recorded so) and exits with its
  // status instead of going on to the next step. A step left in the background (`php-fpm &
  // nginx & wait`) is waited for first: a trapped signal ends the shell's own `wait` at once, and
  // PID_ONE's exit would SIGKILL it mid-shutdown; the last one's status is then the one recorded.
  // A handler, not an ignore: the steps it starts get SIGTERM's default back at exec, as a
  // caught disposition is not inherited.
  const onTerm = `st=$?; [ -z "$!" ] || { wait "$!"; st=$?; }; wait; exit $st`;
  const argv = [...PID_ONE, ...(typeof options.command === 'string' ? ['/bin/sh', '-c', `trap '${onTerm}' TERM; ${options.command}`] : options.command)];
  // The server's user namespace, if it needs one (server-user.ts): it runs as the user who ran
  // twstorm, and gets the capability `unshare --pid` needs.
  const userNamespace = serverUserNamespace();
  const wrapped = ['unshare', ...userNamespace, '--pid', '--fork', '--kill-child=SIGKILL', '--', ...argv];
  // The output comes through pipes into a capped log (capped-log.ts), not straight into the file:
  // the command's stdout and stderr share one (PID_ONE's `2>&1`, so they stay in order), and
  // setpriv/unshare/nsenter's own complaints come on the other. A server whose output outruns
  // this process's reads waits on a full pipe, as it would on a terminal.
  const log = keepServerLog(options.logPath);
  let child: ChildProcess;
  try {
    child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', ...(options.enter ?? []), ...wrapped], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
    });
  } catch (err) {
    log.end();
    throw err;
  }
  log.read([child.stdout!, child.stderr!]);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  let spawnError: NodeJS.ErrnoException | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      resolve();
    });
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    });
  });
  const pid = child.pid;
  let killed = false;
  // Only while the wrapper is unreaped: its PID is then held, and so is the group's ID. Once
  // Node has reaped it (the 'exit' above), the number is free and may already lead an unrelated
  // process group (pid_max is 32768 on many hosts): a late kill(-pid) would hit that group. A
  // SIGKILL is not needed then either: the wrapper's exit took the PID namespace's init with it
  // (--kill-child), and the kernel kills the rest of that namespace itself.
  const signalGroup = (signal: NodeJS.Signals): void => {
    if (pid === undefined || exit !== null || spawnError !== null) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is gone already.
    }
  };
  // SIGTERM to every process of the command's PID namespace (pid-namespace.ts); the group alone
  // when that namespace cannot be told (Linux < 4.12), recorded so the summary does not blame a
  // server that left the group (setsid) for a SIGTERM it may never have had.
  let groupOnly = false;
  let ns: string | null = null;
  const terminate = (): void => {
    if (pid === undefined || exit !== null || spawnError !== null) return;
    ns = childPidNamespace(pid);
    if (ns === null) {
      groupOnly = true;
      signalGroup('SIGTERM');
      return;
    }
    const members = processesIn(ns);
    // None found (a /proc that cannot be read, the namespace's first process not forked yet):
    // the group at least, rather than no SIGTERM and a wait for the whole stopTimeout.
    if (members.length === 0) {
      signalGroup('SIGTERM');
      return;
    }
    for (const member of members) {
      try {
        process.kill(member, 'SIGTERM');
      } catch {
        // ESRCH: gone since the look.
      }
    }
  };
  let stopping = false;
  const stop = async (): Promise<UserServerExit> => {
    stopping = true;
    if (exit === null && spawnError === null) {
      terminate();
      const timer = setTimeout(() => {
        killed = true;
        signalGroup('SIGKILL');
      }, options.stopTimeoutMs);
      await exited;
      clearTimeout(timer);
    }
    // When the wrapper dies, its PID namespace's init is SIGKILLed and the kernel then kills
    // the rest — asynchronously: wait (bounded) until no process of the group is left.
    await groupGone(pid, GROUP_GONE_MS);
    // And its namespace: a process that left the group (setsid) is killed by the kernel with
    // the rest once PID_ONE is gone, asynchronously too.
    if (ns !== null) await namespaceGone(ns, GROUP_GONE_MS);
    // Every writer of the pipes is gone with them: the log's tail can be written.
    await log.closed(GROUP_GONE_MS);
    const e = exit as { code: number | null; signal: NodeJS.Signals | null } | null;
    return { code: e?.code ?? null, signal: e?.signal ?? null, killed, ...(groupOnly ? { sigtermGroupOnly: true as const } : {}) };
  };

  const fail = async (code: string, why: string): Promise<never> => {
    // The server's own last words, read before the stop: a command line's shell then reports
    // the SIGTERM it got from us ("Terminated"), which is not the server's.
    // A command that has exited may have words still in the pipe: read to its end first.
    if (exit !== null || spawnError !== null) await log.closed(GROUP_GONE_MS);
    const tail = await lastLines(options.logPath);
    await stop();
    // unshare's own failure is the run's, not the server's: the command never started.
    const wrapper = /^unshare: (?:unshare failed: )?(.*)$/m.exec(tail ?? '');
    if (wrapper !== null) {
      throw new UserServerError(
        'EPERM',
        `server.command "${what}" could not be started in a PID namespace of its own (unshare: ${wrapper[1]!.trim()}): run as root, or allow unprivileged user namespaces (user.max_user_namespaces > 0)`,
      );
    }
    // A server that printed nothing left an empty log: pointing at it said nothing, and it stayed
    // in --out beside no result (the doctor audit). It goes, and the line says so.
    const empty = !tail && (await stat(options.logPath).then((info) => info.size === 0, () => false));
    if (empty) await rm(options.logPath, { force: true });
    throw new UserServerError(
      code,
      `server.command "${what}" ${why}` + (tail ? `; its last output: ${tail}` : '; it printed nothing') + (empty ? '' : ` (full output: ${options.logPath})`),
    );
  };

  const deadline = Date.now() + options.readyTimeoutMs;
  let unreachableSince: number | null = null;
  const v6onlyFor: { key: string | null; v6only: boolean } = { key: null, v6only: false };
  for (;;) {
    if (spawnError !== null) {
      const err = spawnError as NodeJS.ErrnoException;
      return fail(
        'ENOENT',
        err.code === 'ENOENT'
          ? 'could not start: setpriv/unshare (util-linux) are missing: install util-linux'
          : `could not start: ${err.message}`,
      );
    }
    if (exit !== null) {
      const e = exit as { code: number | null; signal: NodeJS.Signals | null };
      // unshare and sh both exit 127 when the program is not found, 126 when it cannot run.
      const why =
        e.code === 127
          ? 'was not found (exit 127)'
          : e.code === 126
            ? 'could not be executed (exit 126)'
            : `exited (${e.signal ? `signal ${e.signal}` : `code ${e.code}`}) before listening on port ${options.port}${e.code === 0 ? DAEMONIZED : ''}`;
      return fail(e.code === 127 ? 'ENOENT' : 'EXITED', why);
    }
    if (options.signal?.aborted) break;
    const listening = await listenersOn(options.port, options.procRoot);
    if (listening.length > 0) {
      // The routed lab's client hosts reach the server host through its veth: a server that
      // listens on its loopback only is up and unreachable, and every connection would be refused.
      // In one namespace the client connects to server.host: a listener on another address is
      // as unreachable. Judged after a second of it: a server may open its listeners one by one.
      const family = options.reachedFromOutside;
      // Asked once per set of listeners, not every poll: ss is a process.
      const ipv4Clients = family === undefined ? !options.host.includes(':') : family === 4;
      const key = listening.join(',');
      if (ipv4Clients && listening.includes('::') && v6onlyFor.key !== key) {
        v6onlyFor.key = key;
        v6onlyFor.v6only = await wildcardV6Only(options.port, options.procRoot ?? '/proc', options.enter);
      }
      const v6only = ipv4Clients && listening.includes('::') && v6onlyFor.v6only;
      const reachable = family !== undefined ? listening.some((a) => reachableOver(a, family, v6only)) : listening.some((a) => servesHost(a, options.host, v6only));
      if (reachable) break;
      unreachableSince ??= Date.now();
      if (Date.now() - unreachableSince >= UNREACHABLE_GRACE_MS || Date.now() >= deadline) {
        const where = listening.map((a) => listenerText(a, v6only)).join(', ');
        return fail(
          'EADDRNOTAVAIL',
          family !== undefined
            ? `listens on ${where} port ${options.port} only, ${listening.every(isLoopback) ? "the server host's loopback" : v6only ? 'IPv6' : 'IPv4'}, which the client hosts (IPv${family}) cannot reach: make it listen on every address ($TWSTORM_SERVER_HOST, ${options.host})`
            : `listens on ${where} port ${options.port}, not on ${options.host} (server.host), where the client connects: make it listen on ${options.host} ($TWSTORM_SERVER_HOST) or on every address, or set server.host to the address it listens on`,
        );
      }
    } else {
      unreachableSince = null;
    }
    if (Date.now() >= deadline) {
      return fail('ETIMEDOUT', `did not listen on port ${options.port} within ${options.readyTimeoutMs} ms (server.readyTimeout); check server.port against its configuration`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  // A server that exits mid-run would turn the rest of the load into ECONNREFUSED recorded as if
  // measured: the run stops and is marked failed instead (see run/execute.ts).
  const died = exited.then(() =>
    stopping
      ? new Promise<string>(() => undefined)
      : `server.command "${what}" exited during the run (${exit?.signal ? `signal ${exit.signal}` : `code ${exit?.code}`}; its output: ${options.logPath})${exit?.code === 0 ? DAEMONIZED : ''}`,
  );
  return { pid: pid ?? -1, port: options.port, logPath: options.logPath, stop, died, logDroppedBytes: () => log.droppedBytes() };
}

/** What the result records about a user's server. */
