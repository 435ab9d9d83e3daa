// A stop ends the engine promptly and leaves no descriptor behind; running out of descriptors
// is counted, not a crash.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { probeNamespace } from '../../src/environment/namespace.js';
import { runNodeInNetns, SCENARIOS, type HarnessOutput } from '../helpers/netns.js';

const STOP_RUN = fileURLToPath(new URL('./stop-run.js', import.meta.url));
const HARNESS = fileURLToPath(new URL('../helpers/netns-run.js', import.meta.url));

describe('engine stop and limits', () => {
  it('an interrupt ends every thread within seconds of the grace and closes every descriptor', async () => {
    const r = await runNodeInNetns<{ stopMs: number; before: number; openDuring: number; after: number; stoppedBy: string; engine: string; established: number; completed: number; failed: number; attempted: number }>(STOP_RUN);
    assert.equal(r.engine, 'native');
    assert.equal(r.stoppedBy, 'interrupted');
    assert.ok(r.openDuring >= r.before + 40, `only ${r.openDuring - r.before} engine sockets were open`);
    assert.equal(r.after, r.before, 'sockets left open after the stop');
    // Typically well under a second; the bound leaves room for a busy machine, not for a hang.
    assert.ok(r.stopMs < 3000, `the engine took ${r.stopMs} ms to stop`);
    // The exchanges were done (the server holds the close): cut connections are completed ones.
    assert.equal(r.completed, r.attempted);
    assert.equal(r.failed, 0);
  });

  it('EMFILE under a low ulimit -n is counted in the socket phase, and the run still completes', async () => {
    const probe = probeNamespace();
    assert.ok(probe.ok, probe.ok ? '' : probe.reason);
    // Raise nothing: only lower the soft limit of this one process tree.
    const [command, ...prefix] = probe.prefix;
    const script = `ulimit -n 150 && exec "${process.execPath}" "${HARNESS}" "${SCENARIOS}client-closes-first.yaml" '["connections=600","concurrency=300","threads=1","tail=100ms","census=200ms"]'`;
    const child = spawn(command!, [...prefix, 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.equal(code, 0, stderr);
    const { result } = JSON.parse(stdout.trim().split('\n').at(-1)!) as HarnessOutput;
    const emfile = result.errors['EMFILE'];
    assert.ok(emfile && emfile.total > 0, `no EMFILE: ${JSON.stringify(result.errors)}`);
    assert.deepEqual(Object.keys(emfile.byPhase), ['socket']);
    assert.equal(result.summary.connections.attempted, 600);
    // The bundled server shares the limit: at its own EMFILE it accepts and resets what it cannot
    // hold (as libuv does), so each of those is one ECONNRESET at the client — at connect when the
    // RST beats the handshake's completion to the client, at the request's write when it does not.
    const serverEmfile = result.server.stats.errors['EMFILE'] ?? 0;
    const reset = result.errors['ECONNRESET'];
    assert.equal(reset?.total ?? 0, serverEmfile);
    for (const phase of Object.keys(reset?.byPhase ?? {})) assert.ok(['connect', 'write', 'read'].includes(phase), phase);
    assert.deepEqual(Object.keys(result.errors).sort(), serverEmfile > 0 ? ['ECONNRESET', 'EMFILE'] : ['EMFILE']);
    const resetAtConnect = reset?.byPhase.connect ?? 0;
    assert.equal(result.summary.connections.established + emfile.total + resetAtConnect, 600);
    // A socket() that failed never sent a SYN; every other attempt did.
    assert.equal(result.summary.kernel['TcpActiveOpens'], result.summary.connections.established + resetAtConnect);
  });
});
