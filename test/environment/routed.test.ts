// The routed lab for real: namespaces per host, veth pairs, routes, nftables SNAT, conntrack in
// the router. Each client host's TIME_WAIT is read in that host's own namespace (the run's census
// and ss there agree), the server's in its own, the router's conntrack in the router.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assertConntrackTimeWait, runNodeInNetns } from '../helpers/netns.js';
import { probeNamespace } from '../../src/environment/namespace.js';
import { natRuleset } from '../../src/environment/topology/nat.js';
import { inBenchmarkRange } from '../../src/environment/topology/addresses.js';

const HELPER = fileURLToPath(new URL('./routed-cases.js', import.meta.url));

interface HostOut {
  name: string;
  exit: { code: number; stderr: string };
  summary: {
    connections: { attempted: number; established: number; failed: number };
    errors: Record<string, number>;
    timeWait: { peakClient: number; peakServer: number; end: number };
    kernel: Record<string, number>;
  };
  ssTimeWait: number;
  snmp: string;
}
interface LabOut {
  hosts: HostOut[];
  serverTimeWait: number;
  /** RSTs the server host sent: each may have moved a conntrack entry from TIME_WAIT to CLOSE (assertConntrackTimeWait). */
  serverOutRsts: number;
  serverSynRetrans: number;
  conntrack: { stats: Record<string, number>; states: Record<string, number> };
  /** "<interface> <address>" on every lab link of the router and the hosts (host ones prefixed "<host>:"). */
  addresses: string[];
  pool: number | null;
}

const runLab = (options: object): Promise<LabOut> => runNodeInNetns<LabOut>(HELPER, ['run', JSON.stringify(options)], { timeoutMs: 120_000 });
/** ActiveOpens from the host's own /proc/net/snmp "Tcp:" value line. */
const activeOpens = (snmp: string): number => Number(snmp.trim().split(/\s+/)[5]);

describe('routed lab', () => {
  it('two client hosts: TIME_WAIT per host read in each namespace; server none; router conntrack keeps both', async () => {
    const out = await runLab({ clients: 2, connections: 300 });
    assert.equal(out.hosts.length, 2);
    for (const host of out.hosts) {
      assert.equal(host.exit.code, 0, host.exit.stderr);
      assert.equal(host.summary.connections.established, 300);
      assert.deepEqual(host.summary.errors, {});
      // The run's own census in that client host, ss in that host, that host's counters.
      assert.equal(host.summary.timeWait.peakClient, 300, host.name);
      assert.equal(host.ssTimeWait, 300, host.name);
      assert.equal(activeOpens(host.snmp), 300, host.name);
      assert.equal(host.summary.kernel['TcpActiveOpens'], 300);
    }
    assert.equal(out.serverTimeWait, 0, 'the clients closed first: nothing on the server');
    // Conntrack keeps its own TIME_WAIT entry for every connection that crossed the router.
    assertConntrackTimeWait(out.conntrack.states['TIME_WAIT'] ?? 0, 600, out.serverOutRsts);
  });

  it('IPv6 through the router (2001:2::/48): the same per-host accounting', async () => {
    const out = await runLab({ clients: 1, connections: 200, v6: true });
    const [host] = out.hosts;
    assert.equal(host!.exit.code, 0, host!.exit.stderr);
    assert.equal(host!.summary.timeWait.peakClient, 200);
    assert.equal(host!.ssTimeWait, 200);
    assertConntrackTimeWait(out.conntrack.states['TIME_WAIT'] ?? 0, 200, out.serverOutRsts);
    // No handshake waited for a retry: each side knows its neighbour from the start (an audit:
    // the server host's first SYN-ACK of every opening connection was lost to neighbour discovery).
    assert.equal(host!.summary.kernel['TcpExtTCPSynRetrans'] ?? 0, 0);
    assert.equal(out.serverSynRetrans, 0);
    // Only the lab's ranges on its links: no fe80:: link-local the kernel would add as each end
    // goes up (an audit saw one on every veth end), router and hosts alike.
    assert.equal(out.addresses.length, 4 * 2, out.addresses.join(', '));
    for (const entry of out.addresses) assert.ok(inBenchmarkRange(entry.split(' ').at(-1)!), entry);
  });

  it('SNAT port exhaustion at the pool size: 100 tuples, 160 wanted at once; conntrack counts the drops', async () => {
    const out = await runLab({
      clients: 2,
      connections: 80,
      nat: { addresses: 1, ports: [40000, 40099], randomFully: false },
      // Every connection stays open 3 s, all 80 per host at once: 160 flows for 100 tuples.
      sets: ['connectTimeout=1500ms', 'concurrency=80', 'close.delay=3s'],
    });
    assert.equal(out.pool, 100);
    const established = out.hosts.reduce((n, h) => n + h.summary.connections.established, 0);
    const timedOut = out.hosts.reduce((n, h) => n + (h.summary.errors['ETIMEDOUT'] ?? 0), 0);
    assert.equal(established, 100, 'exactly the pool');
    assert.equal(timedOut, 60, 'the rest: SYNs dropped at the router, the client times out');
    for (const host of out.hosts) {
      // Each client host had ports to spare: the limit is the NAT pool, not the client.
      assert.equal(host.summary.errors['EADDRNOTAVAIL'], undefined);
      assert.equal(host.ssTimeWait, host.summary.connections.established);
    }
    // Every dropped SYN (and its retransmits) is a failed conntrack insert and a drop.
    assert.ok(out.conntrack.stats['insert_failed']! >= 60, `insert_failed ${out.conntrack.stats['insert_failed']}`);
    assert.equal(out.conntrack.stats['drop'], out.conntrack.stats['insert_failed']);
    assertConntrackTimeWait(out.conntrack.states['TIME_WAIT'] ?? 0, 100, out.serverOutRsts);
  });

  it('nft takes the SNAT rule of a pool of addresses with randomFully (nft says fully-random)', () => {
    // An audit: the rule said iptables' "random-fully", which nft refuses ("syntax error, unexpected
    // newline"), so every lab with randomFully: true stopped before its load.
    const probe = probeNamespace();
    assert.ok(probe.ok, probe.reason);
    const [command, ...prefix] = probe.prefix;
    const ruleset = natRuleset({ addresses: 2, ports: [40000, 40099], randomFully: true }, 'server');
    const listed = execFileSync(command!, [...prefix, 'sh', '-c', 'nft -f - && nft list ruleset'], { input: ruleset, encoding: 'utf8' });
    assert.match(listed, /snat to 198\.19\.1\.1-198\.19\.1\.2:40000-40099 fully-random/);
  });

  it('SIGKILL of the process that built the lab leaves no namespace, link, mount or process', async () => {
    const probe = probeNamespace();
    assert.ok(probe.ok, probe.reason);
    const before = { mounts: readFileSync('/proc/mounts', 'utf8'), netns: execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }) };
    const [command, ...prefix] = probe.prefix;
    const child = spawn(command!, [...prefix, process.execPath, HELPER, 'hold', JSON.stringify({ clients: 3 })], { stdio: ['ignore', 'pipe', 'inherit'] });
    const built = await new Promise<{ holders: number[]; router: number }>((resolve, reject) => {
      let text = '';
      child.stdout!.on('data', (d: Buffer) => {
        text += d;
        if (text.includes('\n')) resolve(JSON.parse(text) as { holders: number[]; router: number });
      });
      child.once('exit', (code) => reject(new Error(`the lab builder exited ${code} before building`)));
    });
    assert.equal(built.holders.length, 4, '3 clients + server');
    const nsOf = (pid: number): string => execFileSync('readlink', [`/proc/${pid}/ns/net`], { encoding: 'utf8' }).trim();
    assert.equal(new Set(built.holders.map(nsOf)).size, 4, 'every host has a namespace of its own');
    child.kill('SIGKILL');
    const gone = (pid: number): boolean => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] === 'Z';
      } catch {
        return true;
      }
    };
    const deadline = Date.now() + 10_000;
    while (!built.holders.every(gone)) {
      if (Date.now() > deadline) assert.fail(`holders still alive: ${built.holders.filter((p) => !gone(p)).join(' ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // Other work on this machine may add links or mounts meanwhile: look only for ours.
    assert.doesNotMatch(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }), /\bclient\d+@|\bserver@/);
    const nsMounts = (text: string): string[] => text.split('\n').filter((l) => /nsfs|\/run\/netns/.test(l));
    assert.deepEqual(nsMounts(readFileSync('/proc/mounts', 'utf8')), nsMounts(before.mounts));
    assert.equal(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }), before.netns);
  });
});
