// Doctor's judging on made-up facts: each kind of machine gets the verdict and fix it should.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseVariant } from '../../src/scenario/validate.js';
import { formatChecks, runDoctor, worstStatus, type Check, type Facts } from '../../src/doctor/index.js';
import { fdNeed, scenarioChecks, FD_HEADROOM } from '../../src/doctor/scenario-checks.js';
import { httpConnections, timeWaitLoad } from '../../src/doctor/port-demand.js';
import { portProbeCheck, portRangeCheck, suggestedLimit, timeWaitNowCheck } from '../../src/doctor/machine-checks.js';
import { unusedPort } from '../../src/doctor/port-probe.js';
import type { DestinationUsage } from '../../src/states/index.js';
import { parseOpenFileLimit } from '../../src/environment/limits.js';
import { commandProgram, programFound, programOffPath } from '../../src/server/command-line.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function facts(over: Partial<Facts> = {}): Facts {
  return {
    node: { version: '20.20.2', required: '>=20.18' },
    platform: 'linux',
    kernel: '6.18.0',
    timerHz: 250,
    root: true,
    namespace: { ok: true, prefix: ['unshare', '-n', '--'], how: 'unshare -n (root)', reason: '' },
    native: { loaded: true, version: '3.3.4', options: { SO_REUSEPORT: true }, reason: null },
    nft: { version: 'nftables v1.0.9', worksInNamespace: true, reason: null },
    sysctls: {
      'net.ipv4.ip_local_port_range': '32768 60999',
      'net.ipv4.ip_local_reserved_ports': '',
      'net.ipv4.tcp_tw_reuse': '2',
      'net.ipv4.tcp_timestamps': '1',
      'net.ipv4.tcp_max_tw_buckets': '262144',
    },
    fdLimit: { soft: 1024, hard: 4096 },
    timeWait: { count: 0, busiest: null },
    ...over,
  };
}

// parseVariant, as a matrix variant is parsed: some cases give an http scenario `connections` on
// purpose (as a matrix over `protocol` does) to show the checks size it by its requests instead.
const scenario = (fields: Record<string, unknown>) => parseVariant({ name: 't', ...fields }, 'test');
const byId = (checks: Check[], id: string): Check | undefined => checks.find((c) => c.id === id);
const NO_NS = { ok: false, prefix: [], how: 'unshare -rn', reason: 'unprivileged user namespaces are disabled' };

test('/proc/self/limits parsing and suggested limits', () => {
  const text = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            256                  4096                 files\n';
  assert.deepEqual(parseOpenFileLimit(text), { soft: 256, hard: 4096 });
  assert.deepEqual(parseOpenFileLimit('Max open files unlimited unlimited files'), { soft: Infinity, hard: Infinity });
  assert.equal(parseOpenFileLimit('nothing'), null);
  assert.equal(suggestedLimit(200), 1024);
  assert.equal(suggestedLimit(2100), 4096);
});

test('open files: concurrency and maxInFlight (bounded by connections, over matrix variants) against the limit', () => {
  assert.equal(fdNeed(scenario({ concurrency: 64 })).need, 64 + FD_HEADROOM);
  assert.equal(fdNeed(scenario({ rate: 100, maxInFlight: 10000, connections: 3000 })).inFlight, 3000);
  // The words add up to the figure: the cap by connections is named, not the 10,000 it replaced.
  assert.equal(fdNeed(scenario({ rate: 100, maxInFlight: 10000, connections: 3000 })).because, '3,000 connections in flight at most (maxInFlight 10,000 (open loop))');
  assert.equal(fdNeed(scenario({ concurrency: 8, matrix: { concurrency: [8, 3000] } })).inFlight, 3000);

  const ok = scenarioChecks(scenario({ concurrency: 500 }), facts());
  assert.equal(byId(ok, 'open-files')?.status, 'ok');
  const tight = scenarioChecks(scenario({ concurrency: 2000 }), facts());
  const c = byId(tight, 'open-files');
  assert.equal(c?.status, 'fail');
  assert.match(c?.detail ?? '', /1,024 \(hard 4,096\), but t needs 2,100 per process \(concurrency 2,000/);
  assert.equal(c?.fix, 'raise ulimit -n to at least 4096 (ulimit -n 4096 in the shell that runs twstorm)');
  const hardCapped = byId(scenarioChecks(scenario({ concurrency: 5000 }), facts()), 'open-files');
  assert.match(hardCapped?.fix ?? '', /at least 8192: the hard limit is 4,096, so as root/);
});

test('namespace: netns refuses, auto warns that it falls back to the host, host does not ask', () => {
  const f = facts({ namespace: NO_NS, root: false });
  assert.equal(byId(scenarioChecks(scenario({ environment: { isolation: 'netns' } }), f), 'namespace')?.status, 'fail');
  const auto = scenarioChecks(scenario({ environment: { isolation: 'auto' } }), f);
  assert.equal(byId(auto, 'namespace')?.status, 'warn');
  // On the host the run's sysctls (tcp_tw_reuse=0 at least) are not applied: said so.
  assert.match(byId(auto, 'host-sysctls')?.detail ?? '', /net\.ipv4\.tcp_tw_reuse=0 \(twstorm's default; host has 2\)/);
  assert.equal(byId(scenarioChecks(scenario({ environment: { isolation: 'host' } }), facts()), 'namespace'), undefined);
  // The fix follows the reason (an audit: root without unshare was told "run as root").
  const fixFor = (namespace: Facts['namespace'], root: boolean, isolation: string) => byId(scenarioChecks(scenario({ environment: { isolation } }), facts({ namespace, root })), 'namespace')?.fix ?? '';
  const noUnshare = { ok: false, prefix: [], how: 'unshare -n (root)', reason: 'the unshare command is missing (Debian package util-linux)' };
  assert.equal(fixFor(noUnshare, true, 'netns'), 'install util-linux (it provides unshare), or set environment.isolation: auto (host fallback)');
  assert.equal(fixFor(noUnshare, true, 'auto'), 'to isolate it, install util-linux (it provides unshare)');
  const refused = { ok: false, prefix: [], how: 'unshare -n (root)', reason: 'unshare -n failed: unshare: unshare failed: Operation not permitted' };
  assert.match(fixFor(refused, true, 'netns'), /^give twstorm CAP_SYS_ADMIN/);
  assert.match(fixFor(NO_NS, false, 'netns'), /^run as root, or enable unprivileged user namespaces/);
  assert.equal(byId(scenarioChecks(scenario({}), facts()), 'host-sysctls'), undefined, 'in a namespace sysctls apply');
  // isolation host by choice on a machine that makes namespaces (an audit: the fix said "give
  // twstorm CAP_SYS_ADMIN" to root, and "run doctor to see why none can be made" in run's preflight).
  for (const namespace of [facts().namespace, null]) {
    const chosen = byId(scenarioChecks(scenario({ environment: { isolation: 'host' } }), facts({ namespace })), 'host-sysctls');
    assert.equal(chosen?.fix, 'run it in a namespace so its settings apply: set environment.isolation: auto, or run with --isolation netns');
  }
  assert.match(byId(auto, 'host-sysctls')?.fix ?? '', /^run it in a namespace so its settings apply: run as root, or enable unprivileged user namespaces/);
  // A target: run must stay on the host to reach the target: "run it in a namespace" would be no fix.
  const target = byId(scenarioChecks(scenario({ target: '127.0.0.1:8080', environment: { isolation: 'host' } }), facts()), 'host-sysctls');
  assert.equal(target?.status, 'warn');
  assert.doesNotMatch(target?.fix ?? '', /namespace/);
  // tcp_tw_reuse=0 is twstorm's default, not the scenario's: the fix says how to accept the
  // host's value (an audit: "drop these sysctls from the scenario" named none it had).
  assert.equal(
    target?.fix,
    "a target: run stays on the host network to reach the target, so write the host's value of twstorm's default into environment.sysctls (net.ipv4.tcp_tw_reuse: 2) to accept it; or set them on the host yourself",
  );
  const accepted = scenarioChecks(scenario({ target: '127.0.0.1:8080', environment: { isolation: 'host', sysctls: { 'net.ipv4.tcp_tw_reuse': 2 } } }), facts());
  assert.equal(byId(accepted, 'host-sysctls'), undefined, 'the host value written: nothing differs');
  const own = byId(scenarioChecks(scenario({ target: '127.0.0.1:8080', environment: { isolation: 'host', sysctls: { 'net.ipv4.tcp_timestamps': 0 } } }), facts()), 'host-sysctls');
  assert.match(own?.detail ?? '', /net\.ipv4\.tcp_timestamps=0 \(host has 1\)/);
  assert.match(own?.fix ?? '', /so drop the scenario's own settings above, and write the host's value of twstorm's default/);
});

test('host runs: port range and tcp_max_tw_buckets against the connections', () => {
  // tcp_tw_reuse=0 on this host: every TIME_WAIT holds its port for 60 s.
  const f = facts({ sysctls: { ...facts().sysctls, 'net.ipv4.ip_local_port_range': '40000 40999', 'net.ipv4.tcp_max_tw_buckets': '500', 'net.ipv4.tcp_tw_reuse': '0' } });
  const checks = scenarioChecks(scenario({ connections: 2000, environment: { isolation: 'host' } }), f);
  assert.match(byId(checks, 'host-ports')?.detail ?? '', /need 2,000 ports to 127\.0\.0\.1:7000, but the host has 1,000/);
  assert.equal(byId(checks, 'host-tw-buckets')?.status, 'warn');
  // The server closing first leaves the client's ports free at once.
  const serverFirst = scenarioChecks(scenario({ connections: 2000, close: { first: 'server' }, environment: { isolation: 'host' } }), f);
  assert.equal(byId(serverFirst, 'host-ports'), undefined);
  assert.equal(worstStatus(checks), 'warn');
  // Two server ports are two destinations, each with its own 1,000 ports: 2,000 fit.
  assert.equal(byId(scenarioChecks(scenario({ connections: 2000, server: { ports: 2 }, environment: { isolation: 'host' } }), f), 'host-ports'), undefined);
  assert.match(
    byId(scenarioChecks(scenario({ connections: 3000, server: { ports: 2 }, environment: { isolation: 'host' } }), f), 'host-ports')?.detail ?? '',
    /need 1,500 ports to each of the 2 server ports from 127\.0\.0\.1:7000, but the host has 1,000 \(the host's tcp_tw_reuse=0 does not reuse TIME_WAIT towards it\)/,
  );
});

test('host runs under the host\'s tcp_tw_reuse: a TIME_WAIT older than the delay is taken over, so the run is judged by its rate', () => {
  // An audit: 40,000 connections to 127.0.0.1 on a host with tcp_tw_reuse=2 were called "will exhaust them",
  // though a namespace with tcp_tw_reuse=2 made all 40,000 at 12.5k/s (TWRecycled 25,855).
  const host = (over: Record<string, string | null> = {}) =>
    facts({ sysctls: { ...facts().sysctls, 'net.ipv4.tcp_tw_reuse': '2', 'net.ipv4.tcp_tw_reuse_delay': '1000', ...over } });
  const onHost = (fields: Record<string, unknown>) => scenario({ connections: 40_000, environment: { isolation: 'host' }, ...fields });
  const closed = byId(scenarioChecks(onHost({}), host()), 'host-ports');
  assert.equal(closed?.status, 'ok');
  assert.match(
    closed?.detail ?? '',
    /need 40,000 ports to 127\.0\.0\.1:7000, more than the host's 28,232, but the host has tcp_tw_reuse=2, so connect\(\) takes over a TIME_WAIT to a loopback destination once it is older than 1,000 ms \(net\.ipv4\.tcp_tw_reuse_delay\): ports run out only if more than 28,232 connections open within that delay \(a closed loop/,
  );
  assert.match(byId(scenarioChecks(onHost({ server: { host: '::1' } }), host()), 'host-ports')?.detail ?? '', /to \[::1\]:7000, .*tcp_tw_reuse=2/);
  // An open loop faster than the range per delay: reuse cannot keep up.
  const fast = byId(scenarioChecks(onHost({ rate: 40_000 }), host()), 'host-ports');
  assert.equal(fast?.status, 'warn');
  assert.match(fast?.detail ?? '', /but at up to 40,000\/s more than 28,232 are opened within that delay: connect\(\) gets EADDRNOTAVAIL while it lasts$/);
  assert.equal(fast?.fix, 'lower rate (and stages) below 28,232/s, or run it in a namespace');
  assert.equal(byId(scenarioChecks(onHost({ rate: 20_000 }), host()), 'host-ports')?.status, 'ok');
  assert.equal(byId(scenarioChecks(onHost({ rate: 1000, stages: [{ duration: '1s', target: 40_000 }] }), host()), 'host-ports')?.status, 'warn', 'the ramp\'s peak counts');
  // Before Linux 6.13 there is no tcp_tw_reuse_delay: up to 2 s after the last timestamp.
  assert.match(byId(scenarioChecks(onHost({ rate: 20_000 }), host({ 'net.ipv4.tcp_tw_reuse_delay': null })), 'host-ports')?.detail ?? '', /but at up to 20,000\/s more than 28,232 are opened within that delay/);
  // Reuse needs timestamps; tcp_tw_reuse=0 reuses nothing.
  assert.match(byId(scenarioChecks(onHost({}), host({ 'net.ipv4.tcp_timestamps': '0' })), 'host-ports')?.detail ?? '', /but the host has 28,232 \(the host's tcp_tw_reuse=2 with tcp_timestamps=0 does not reuse TIME_WAIT towards it\): this run will exhaust them/);
  assert.equal(byId(scenarioChecks(onHost({}), host({ 'net.ipv4.tcp_tw_reuse': '0' })), 'host-ports')?.status, 'warn');
  // tcp_tw_reuse=2 covers loopback only: a target elsewhere keeps its ports 60 s.
  const remote = scenario({ connections: 40_000, target: '198.18.1.3:80', allowRemoteTarget: true, environment: { isolation: 'host' } });
  assert.match(byId(scenarioChecks(remote, host()), 'host-ports')?.detail ?? '', /need 40,000 ports to 198\.18\.1\.3:80, but the host has 28,232/);
  assert.equal(byId(scenarioChecks(remote, host({ 'net.ipv4.tcp_tw_reuse': '1' })), 'host-ports')?.status, 'ok');
  // A client that binds first holds each port for every destination, and bind() gets no reuse.
  const bound = byId(scenarioChecks(onHost({ client: { bind: true }, server: { ports: 2 } }), host()), 'host-ports');
  assert.equal(bound?.status, 'warn');
  assert.match(bound?.detail ?? '', /need 40,000 ports to 127\.0\.0\.1:7000, but the host has 28,232 \(it binds before connect\(\): each port is held for every destination, and tcp_tw_reuse does not help bind\(\)\): .*every bind\(0\) on this host gets EADDRINUSE and every unbound connect\(\), to any destination, EADDRNOTAVAIL$/);
  assert.match(bound?.fix ?? '', /set client\.bindAddressNoPort: true/);
  assert.equal(byId(scenarioChecks(onHost({ client: { bind: true, bindAddressNoPort: true } }), host()), 'host-ports')?.status, 'ok');
});

test('host runs: the connections in flight at once need a port each, whatever tcp_tw_reuse and whoever closes first', () => {
  // An audit: 64 in flight over the host's 11 ports under tcp_tw_reuse=1 were "ok", and the run
  // got EADDRNOTAVAIL on 213 of its 300 connects (reuse takes over TIME_WAIT, never an open one).
  const tiny = (over: Record<string, string> = {}) =>
    facts({ sysctls: { ...facts().sysctls, 'net.ipv4.ip_local_port_range': '40000 40010', 'net.ipv4.tcp_tw_reuse': '1', 'net.ipv4.tcp_tw_reuse_delay': '1000', ...over } });
  const onHost = (fields: Record<string, unknown>) => scenario({ connections: 300, environment: { isolation: 'host' }, ...fields });
  const crowded = byId(scenarioChecks(onHost({ concurrency: 64 }), tiny()), 'host-ports');
  assert.equal(crowded?.status, 'warn');
  assert.match(crowded?.detail ?? '', /^64 connections in flight at once \(concurrency 64\) need a port each to 127\.0\.0\.1:7000, but the host has 11: connect\(\) gets EADDRNOTAVAIL/);
  assert.match(crowded?.fix ?? '', /^keep at most 11 connections in flight \(concurrency and stages, or http\.connections\), or run it in a namespace$/);
  // The server closing first frees each client port at once, but not while it is open.
  assert.equal(byId(scenarioChecks(onHost({ concurrency: 64, close: { first: 'server' } }), tiny()), 'host-ports')?.status, 'warn');
  assert.equal(byId(scenarioChecks(onHost({ concurrency: 64, close: { first: 'server' } }), facts()), 'host-ports'), undefined, '28,232 ports hold 64');
  // An open loop's maxInFlight only caps what its rate keeps open: judged by the rate, as before.
  assert.match(byId(scenarioChecks(onHost({ rate: 5, maxInFlight: 30 }), tiny()), 'host-ports')?.detail ?? '', /^300 connections, .*ports run out only if more than 11 connections open within that delay \(at up to 5\/s, 5 do\)$/);
  // A ramp's peak is the closed loop's in-flight count; two server ports are two destinations of 11 ports each.
  assert.match(byId(scenarioChecks(onHost({ concurrency: 4, stages: [{ duration: '1s', target: 30 }] }), tiny()), 'host-ports')?.detail ?? '', /^30 connections in flight at once \(a stage target of 30 in flight \(from concurrency 4\)\)/);
  assert.equal(byId(scenarioChecks(onHost({ concurrency: 20, server: { ports: 2 } }), tiny()), 'host-ports')?.status, 'ok', 'under reuse, 10 a destination fit');
  // Fewer in flight than ports: judged as before, by the reuse delay.
  assert.equal(byId(scenarioChecks(onHost({ concurrency: 8 }), tiny()), 'host-ports')?.status, 'ok');
  // Every port reserved: none to be had, and the fix names the reservation.
  const none = byId(scenarioChecks(onHost({ concurrency: 1 }), tiny({ 'net.ipv4.ip_local_reserved_ports': '40000-40010' })), 'host-ports');
  assert.match(none?.detail ?? '', /but the host has no usable port \(11 of its range reserved\)/);
  assert.match(none?.fix ?? '', /^take ports out of net\.ipv4\.ip_local_reserved_ports/);
});

/** A destination as the census reports it. */
const destination = (over: Partial<DestinationUsage>): DestinationUsage => ({
  destination: '127.0.0.1:7000', address: '127.0.0.1', port: 7000, inUse: 499, inRange: 499, timeWait: 499, sourceAddresses: 1,
  usable: 500, share: 0.998, twReuse: false, reusable: 0, held: 499, heldShare: 0.998, ...over,
});
const TW_REUSE_1 = { mode: 1 as const, timestamps: true, delayMs: 1000, delayFrom: 'sysctl' as const };

test('TIME_WAIT now: judged by the ports connect() cannot use, and by the range as a whole', () => {
  const line = (timeWait: Facts['timeWait']) => timeWaitNowCheck(facts({ timeWait }));
  const range = { held: 499, listeners: 0, usable: 500, share: 0.998 };
  // The audit's moment during run tw-reuse: 499 of 500 ports in TIME_WAIT, all of them reusable.
  const reusable = line({ count: 499, busiest: destination({ twReuse: true, reusable: 499, held: 0, heldShare: 0 }), rangeUse: range, twReuse: TW_REUSE_1 });
  assert.equal(reusable.status, 'warn', 'the range is full of sockets: bind(0) gets EADDRINUSE');
  assert.doesNotMatch(reusable.detail, /EADDRNOTAVAIL for it/);
  assert.match(reusable.detail, /busiest destination 127\.0\.0\.1:7000 holds 0 of 500 ports \(0\.0%\), besides 499 TIME_WAIT it may reuse \(tcp_tw_reuse=1\)/);
  const fewSockets = line({ count: 499, busiest: destination({ twReuse: true, reusable: 499, held: 0, heldShare: 0 }), rangeUse: { ...range, held: 100, share: 0.2 }, twReuse: TW_REUSE_1 });
  assert.equal(fewSockets.status, 'ok');
  // Without reuse the same destination is close to EADDRNOTAVAIL.
  const held = line({ count: 499, busiest: destination({}), rangeUse: range });
  assert.equal(held.status, 'warn');
  assert.match(held.detail, /holds 499 of 500 ports \(99\.8%\); ports of the range held by any socket: 499 of 500: close to EADDRNOTAVAIL for it$/);
  assert.match(line({ count: 500, busiest: destination({ held: 500, heldShare: 1 }) }).detail, /out of ports for it, connect\(\) gets EADDRNOTAVAIL$/);
  // bind-before-connect: each destination half full, the range full: the range line warns.
  const bound = line({ count: 500, busiest: destination({ inRange: 263, held: 263, heldShare: 0.526 }), rangeUse: { held: 500, listeners: 2, usable: 500, share: 1 } });
  assert.equal(bound.status, 'warn');
  assert.match(bound.detail, /ports of the range held by any socket: 500 of 500 \(2 listening\): no port of the range is free of sockets, so bind\(0\) gets EADDRINUSE, and so does connect\(\) to every destination \(EADDRNOTAVAIL\) if those sockets called bind\(\) first: the "free port now" line probes it$/);
});

test('free port now: what the connect() and bind(0) probes found, in words', () => {
  type Outcome = { tried: boolean; port: number | null; error: string | null };
  const probe = (connect: Outcome, bind: Outcome = { tried: true, port: 40123, error: null }) =>
    portProbeCheck(facts({ portProbe: { destination: '127.0.0.1:1', connect, bind } }))!;
  assert.equal(portProbeCheck(facts()), null, 'not probed: no line');
  const fine = probe({ tried: true, port: null, error: null });
  assert.equal(fine.status, 'ok');
  assert.equal(fine.detail, "connect() to 127.0.0.1:1, where nothing listens, got a local port (the probe's SYN met an RST on loopback); bind(0.0.0.0:0) got port 40123: a port can be had now");
  const none = probe({ tried: true, port: null, error: 'EADDRNOTAVAIL' }, { tried: true, port: null, error: 'EADDRINUSE' });
  assert.equal(none.status, 'warn');
  assert.match(none.detail, /got EADDRNOTAVAIL: no port of the range is left for ANY destination: each is reserved, or held by a listener or by a socket that called bind\(\)/);
  assert.match(none.fix ?? '', /IP_BIND_ADDRESS_NO_PORT/);
  const bindOnly = probe({ tried: true, port: 40001, error: null }, { tried: true, port: null, error: 'EADDRINUSE' });
  assert.equal(bindOnly.status, 'warn');
  assert.match(bindOnly.detail, /got a local port \(40001\).*but bind\(0\.0\.0\.0:0\) got EADDRINUSE: every port of the range holds a socket/);
  assert.match(probe({ tried: true, port: null, error: 'ENETUNREACH' }).detail, /^could not probe: .* failed with ENETUNREACH \(is lo up\?\)$/);
  assert.match(probe({ tried: true, port: null, error: null }, { tried: false, port: null, error: 'needs the native socket layer (off)' }).detail, /; bind\(0\) not probed: needs the native socket layer \(off\): a port can be had now$/);
  // The connect() goes where nothing listens.
  assert.equal(unusedPort([22, 7000]), 1);
  assert.equal(unusedPort([1, 2, 4]), 3);
});

const http = (fields: Record<string, unknown>, more: Record<string, unknown> = {}) =>
  scenario({ protocol: 'http', ...more, http: fields });

test('http open files: the undici pool limit, not the unused connections field', () => {
  // connections (default 5,000) is not used under http; the pool of `concurrency` is the cap.
  assert.equal(fdNeed(http({ requests: 20_000 }, { concurrency: 64 })).inFlight, 64);
  const pool = fdNeed(http({ requests: 20_000, connections: 8 }, { concurrency: 64 }));
  assert.equal(pool.inFlight, 8);
  assert.match(pool.because, /undici pool of http\.connections 8/);
  // Open loop: up to maxInFlight requests wait, but the pool still holds only its limit…
  assert.equal(fdNeed(http({ requests: 20_000 }, { rate: 1000, maxInFlight: 5000, concurrency: 64 })).inFlight, 64);
  // …unless every request has its own client, and so its own connection.
  const perRequest = fdNeed(http({ requests: 20_000, client: 'agent-per-request' }, { rate: 1000, maxInFlight: 5000, concurrency: 64 }));
  assert.equal(perRequest.inFlight, 5000);
  assert.match(perRequest.because, /maxInFlight 5,000 \(open loop\), a connection per request in flight/);
  // Bounded by the requests themselves, as connections bound a tcp run.
  assert.equal(fdNeed(http({ requests: 10, client: 'agent-per-request' }, { concurrency: 64 })).inFlight, 10);

  const c = byId(scenarioChecks(http({ requests: 100_000, client: 'agent-per-request' }, { concurrency: 2000 }), facts()), 'open-files');
  assert.equal(c?.status, 'fail');
  assert.match(c?.detail ?? '', /needs 2,100 per process \(concurrency 2,000, a connection per request in flight \(agent-per-request\)/);
  assert.equal(byId(scenarioChecks(http({ requests: 100_000, connections: 100 }, { concurrency: 2000 }), facts()), 'open-files')?.status, 'ok');
});

test('http connections and TIME_WAIT side come from the client mode and server policy', () => {
  assert.deepEqual(httpConnections(http({ requests: 1000, client: 'reset', policy: 'wait-client' })), { connections: 1000, why: 'one per request (client reset)' });
  assert.equal(httpConnections(http({ requests: 1000, policy: 'close-after', closeAfter: 4 })).connections, 250);
  assert.equal(httpConnections(http({ requests: 1000, policy: 'rst' })).connections, 1000);
  assert.equal(httpConnections(http({ requests: 1000, maxRequestsPerConnection: 10 }, { concurrency: 16 })).connections, 100);
  assert.equal(httpConnections(http({ requests: 20_000 }, { concurrency: 64 })).connections, 64);
  // raw: requestsPerConnection each, unless the server ends a connection sooner.
  assert.deepEqual(httpConnections(http({ requests: 1000, client: 'raw', requestsPerConnection: 10 })), { connections: 100, why: 'one per 10 requests (client raw)' });
  assert.equal(httpConnections(http({ requests: 1000, client: 'raw', requestsPerConnection: 10, maxRequestsPerConnection: 4 })).connections, 250);
  assert.equal(httpConnections(http({ requests: 1000, client: 'raw', requestsPerConnection: 10, policy: 'rst' })).connections, 1000);
  // maxRequestsPerConnection is Node's maxRequestsPerSocket, set under policy keepalive only.
  assert.deepEqual(httpConnections(http({ requests: 1000, client: 'raw', requestsPerConnection: 10, policy: 'wait-client', maxRequestsPerConnection: 4 })), { connections: 100, why: 'one per 10 requests (client raw)' });
  assert.deepEqual(httpConnections(http({ requests: 1000, client: 'raw', requestsPerConnection: 10, maxRequestsPerConnection: 4 })), { connections: 250, why: 'one per 4 requests (maxRequestsPerConnection 4)' });
  // undici opens its whole pool whatever the server's limit: 64 connections, not 10.
  assert.deepEqual(httpConnections(http({ requests: 1000, policy: 'close-after', closeAfter: 100 }, { concurrency: 64 })), { connections: 64, why: 'the keep-alive pool (each serves fewer than closeAfter 100)' });
  // Your own server's limit is its own: the bundled server's policy says nothing about it.
  assert.deepEqual(httpConnections(http({ requests: 1000, policy: 'rst' }, { concurrency: 16, server: { command: ['true'] } })), { connections: 16, why: 'the keep-alive pool' });

  const reset = timeWaitLoad(http({ requests: 1000, client: 'reset', policy: 'wait-client' }, { close: { first: 'server' } }));
  assert.deepEqual([reset.connections, reset.clientKeepsPorts, reset.timeWait], [1000, true, true]);
  const serverCloses = timeWaitLoad(http({ requests: 1000, policy: 'close-after' }));
  assert.deepEqual([serverCloses.clientKeepsPorts, serverCloses.timeWait], [false, true]);
  // close.client = fin is what tcp would read; http's policy rst means no TIME_WAIT anywhere.
  const rst = timeWaitLoad(http({ requests: 1000, policy: 'rst' }, { close: { client: 'fin' } }));
  assert.deepEqual([rst.clientKeepsPorts, rst.timeWait], [false, false]);
});

test('http host runs: ports and tcp_max_tw_buckets sized by the requests, not connections', () => {
  const f = facts({ sysctls: { ...facts().sysctls, 'net.ipv4.ip_local_port_range': '40000 40999', 'net.ipv4.tcp_max_tw_buckets': '500', 'net.ipv4.tcp_tw_reuse': '0' } });
  const onHost = { environment: { isolation: 'host' } };
  // 2,000 requests, each on its own connection that the client closes: 2,000 client ports.
  const reset = scenarioChecks(http({ requests: 2000, client: 'reset', policy: 'wait-client' }, { ...onHost, connections: 10 }), f);
  const ports = byId(reset, 'host-ports');
  assert.match(ports?.detail ?? '', /^2,000 HTTP requests on about 2,000 connections, one per request \(client reset\), with TIME_WAIT on the client, need 2,000 ports to 127\.0\.0\.1:7000, but the host has 1,000 \(the host's tcp_tw_reuse=0 does not reuse TIME_WAIT towards it\)/);
  assert.match(ports?.fix ?? '', /^lower http\.requests to at most 1,000 \(--set http\.requests=…\), reuse connections \(http\.client: keepalive\) or run it in a namespace$/);
  assert.equal(byId(reset, 'host-tw-buckets')?.status, 'warn');
  assert.match(byId(reset, 'host-tw-buckets')?.fix ?? '', /lower http\.requests$/);

  // Keep-alive: 20,000 requests over 64 connections fit, whatever `connections` says.
  const keepalive = scenarioChecks(http({ requests: 20_000 }, { ...onHost, concurrency: 64, connections: 100_000 }), f);
  assert.equal(byId(keepalive, 'host-ports'), undefined);
  assert.equal(byId(keepalive, 'host-tw-buckets'), undefined);

  // The server closes first: its TIME_WAIT counts against the buckets, the client's ports are free.
  const serverFirst = scenarioChecks(http({ requests: 2000, policy: 'close-after' }, onHost), f);
  assert.equal(byId(serverFirst, 'host-ports'), undefined);
  assert.equal(byId(serverFirst, 'host-tw-buckets')?.status, 'warn');

  // RST after every response: no TIME_WAIT at all, though tcp's close.client says fin.
  const rst = scenarioChecks(http({ requests: 2000, policy: 'rst' }, onHost), f);
  assert.equal(byId(rst, 'host-ports'), undefined);
  assert.equal(byId(rst, 'host-tw-buckets'), undefined);
});

test('doctor: the biggest TIME_WAIT pile of an http scenario is the connections its requests need', async () => {
  const f = facts({ sysctls: { ...facts().sysctls, 'net.ipv4.tcp_max_tw_buckets': '3000' } });
  const run = async (s: ReturnType<typeof scenario>) => byId((await runDoctor({ facts: f, scenarios: [s] })).machine, 'tw-buckets')!;
  // connections: 100 would fit; 5,000 requests one connection each do not.
  const churn = await run(http({ requests: 5000, client: 'agent-per-request' }, { connections: 100 }));
  assert.equal(churn.status, 'warn');
  assert.match(churn.detail, /makes up to 5,000 TIME_WAIT/);
  // The same requests over a keep-alive pool: 64 connections, far below.
  assert.equal((await run(http({ requests: 5000 }, { concurrency: 64, connections: 100_000 }))).status, 'ok');
  assert.equal((await run(http({ requests: 5000, policy: 'rst' }, { connections: 100 }))).status, 'ok');
});

test('tw_reuse without timestamps in the scenario is flagged', () => {
  const checks = scenarioChecks(
    scenario({ environment: { sysctls: { 'net.ipv4.tcp_tw_reuse': 1, 'net.ipv4.tcp_timestamps': 0 } } }),
    facts(),
  );
  assert.equal(byId(checks, 'timestamps')?.status, 'warn');
});

test('machine lines: nft, native layer, node, timestamps, port range; scenario lines', async () => {
  const f = facts({
    node: { version: '18.19.0', required: '>=20.18' },
    nft: { version: null, worksInNamespace: null, reason: 'nft is not installed' },
    native: { loaded: false, version: null, options: {}, reason: 'koffi did not load (Cannot find module)' },
    sysctls: { ...facts().sysctls, 'net.ipv4.tcp_timestamps': '0', 'net.ipv4.ip_local_port_range': '60000 60999' },
    fdLimit: { soft: 256, hard: 256 },
  });
  const report = await runDoctor({
    facts: f,
    scenarios: [scenario({ name: 'small', concurrency: 16 }), scenario({ name: 'big', concurrency: 1000 })],
  });
  const status = Object.fromEntries(report.machine.map((c) => [c.id, c.status]));
  assert.deepEqual(status, {
    node: 'fail',
    kernel: 'ok',
    namespace: 'ok',
    'native-sockets': 'warn',
    nft: 'warn',
    'port-range': 'warn',
    'tw-reuse': 'ok',
    timestamps: 'warn',
    'tw-buckets': 'ok',
    'open-files': 'fail',
    'routed-lab': 'ok',
    'time-wait-now': 'ok',
  });
  assert.equal(byId(report.machine, 'nft')?.fix, 'install nftables for the fault scenarios (Debian/Ubuntu: apt install nftables)');
  assert.match(byId(report.machine, 'port-range')?.detail ?? '', /^60000–60999: 1,000 usable ports, so at most ~16 new connections\/s/);
  // Fewer than 60 ports: a fraction of a connection a second, not "~0".
  const tiny = await runDoctor({ facts: facts({ sysctls: { ...facts().sysctls, 'net.ipv4.ip_local_port_range': '40000 40009' } }), scenarios: [] });
  assert.match(byId(tiny.machine, 'port-range')?.detail ?? '', /^40000–40009: 10 usable ports, so at most ~0\.16 new connections\/s/);
  assert.match(portRangeCheck(facts({ sysctls: { ...facts().sysctls, 'net.ipv4.ip_local_port_range': '60000 60999' } })).fix ?? '', /^widen it/);
  // A wide range that reservations empty: widening is no fix (an audit: 27,233 of 28,232 reserved).
  const reserved = portRangeCheck(facts({ sysctls: { ...facts().sysctls, 'net.ipv4.ip_local_reserved_ports': '32768-60000' } }));
  assert.match(reserved.detail, /^32768–60999: 999 usable ports \(27,233 reserved\)/);
  assert.match(reserved.fix ?? '', /^take ports out of net\.ipv4\.ip_local_reserved_ports for real traffic: it holds 27,233 of the range's 28,232/);
  assert.deepEqual(report.scenarios.map((c) => [c.id, c.status]), [['scenario:small', 'ok'], ['scenario:big', 'fail']]);
  assert.match(report.scenarios[1]?.fix ?? '', /raise ulimit -n to at least 2048/);
  assert.equal(report.status, 'fail');
});

test('rendering: symbol and word on every line, colour only when asked', () => {
  const checks: Check[] = [
    { id: 'a', title: 'alpha', status: 'ok', detail: 'fine' },
    { id: 'b', title: 'beta', status: 'warn', detail: 'hmm', fix: 'do this' },
    { id: 'c', title: 'gamma', status: 'fail', detail: 'broken', fix: 'do that' },
  ];
  const plain = formatChecks(checks);
  assert.doesNotMatch(plain, /\x1b\[/);
  assert.deepEqual(plain.split('\n'), [
    '✓ ok    alpha  fine',
    '! warn  beta   hmm',
    '               → fix: do this',
    '✗ FAIL  gamma  broken',
    '               → fix: do that',
  ]);
  const coloured = formatChecks(checks, { color: true });
  assert.match(coloured, /\x1b\[33m! warn\x1b\[0m  beta/);
  assert.match(coloured, /\x1b\[31m✗ FAIL\x1b\[0m  gamma/);
  assert.equal(coloured.replace(/\x1b\[\d+m/g, ''), plain);
  // The longest bundled names keep one column: every detail starts where the others do.
  const long = formatChecks([
    { id: 'r', title: 'routed lab (topology: routed)', status: 'ok', detail: 'fine' },
    { id: 's', title: 'routed-client-closes-first-ipv6', status: 'ok', detail: 'fine' },
    { id: 'n', title: 'Node.js', status: 'ok', detail: 'fine' },
  ]);
  assert.deepEqual(new Set(long.split('\n').map((l) => l.indexOf('fine'))).size, 1, long);
});

test('nft is checked for a scenario with faults only, and its absence fails that scenario', () => {
  const faults = [{ packets: 'final-ack', direction: 'to-server', action: 'drop', count: 10, percent: 100 }];
  const missing = facts({ nft: { version: null, worksInNamespace: null, reason: 'nft is not installed' } });
  assert.equal(byId(scenarioChecks(scenario({}), missing), 'nft'), undefined, 'no faults: nft is not this scenario\'s business');
  const c = byId(scenarioChecks(scenario({ faults }), missing), 'nft')!;
  assert.equal(c.status, 'fail');
  assert.match(c.detail, /^the scenario's faults need nftables: nft is not installed/);
  assert.equal(byId(scenarioChecks(scenario({ faults }), facts()), 'nft')?.status, 'ok');
  // isolation auto without a namespace runs on the host, where no fault rule is loaded: refused
  // before the run, with the namespace's fix (an audit: "runs, with the caveats above", then the
  // run stopped at its faults once its server had started).
  const noUnshare = { ok: false, prefix: [], how: 'unshare -n (root)', reason: 'the unshare command is missing (Debian package util-linux)' };
  const fallback = byId(scenarioChecks(scenario({ faults, environment: { isolation: 'auto' } }), facts({ namespace: noUnshare })), 'faults');
  assert.equal(fallback?.status, 'fail');
  assert.equal(fallback?.fix, 'install util-linux (it provides unshare), or remove faults:');
  assert.equal(byId(scenarioChecks(scenario({ faults, environment: { isolation: 'auto' } }), facts()), 'faults'), undefined, 'in a namespace they go in');
  assert.equal(byId(scenarioChecks(scenario({ environment: { isolation: 'auto' } }), facts({ namespace: noUnshare })), 'faults'), undefined, 'no faults, no claim');
});

test('native options a scenario needs: a kernel without IP_LOCAL_PORT_RANGE fails that scenario, naming the setting', () => {
  const lacking = facts({
    native: { loaded: true, version: '3.3.4', options: { SO_REUSEPORT: true, IP_LOCAL_PORT_RANGE: 'this kernel (Linux 6.1.0) has no IP_LOCAL_PORT_RANGE (setsockopt: ENOPROTOOPT); it came in Linux 6.3' }, reason: null },
  });
  const c = byId(scenarioChecks(scenario({ client: { portRange: '40000-40999' } }), lacking), 'native-options');
  assert.equal(c?.status, 'fail');
  assert.equal(c?.detail, 'client.portRange needs IP_LOCAL_PORT_RANGE, not available: this kernel (Linux 6.1.0) has no IP_LOCAL_PORT_RANGE (setsockopt: ENOPROTOOPT); it came in Linux 6.3');
  assert.equal(byId(scenarioChecks(scenario({}), lacking), 'native-options'), undefined, 'a scenario without it is not held back');
  const withIt = facts({ native: { loaded: true, version: '3.3.4', options: { IP_LOCAL_PORT_RANGE: true }, reason: null } });
  assert.equal(byId(scenarioChecks(scenario({ client: { portRange: '40000-40999' } }), withIt), 'native-options'), undefined);
  assert.equal(byId(scenarioChecks(scenario({ client: { portRange: '40000-40999' } }), facts({ native: null })), 'native-options'), undefined, 'pre-flight leaves it to the socket layer');
});

test('server.maxOpenFiles above the hard open-file limit fails before the run, naming both', () => {
  const leak = (n: number) => scenario({ close: { first: 'client', server: 'never' }, server: { maxOpenFiles: n } });
  const f = facts({ fdLimit: { soft: 1024, hard: 4096 } });
  const over = scenarioChecks(leak(10_000), f).find((c) => c.id === 'server-open-files');
  assert.equal(over?.status, 'fail');
  assert.match(over?.detail ?? '', /server\.maxOpenFiles 10,000 is above twstorm's hard open-file limit 4,096/);
  assert.match(over?.fix ?? '', /at most 4,096.*ulimit -Hn 10000/);
  assert.equal(scenarioChecks(leak(4096), f).find((c) => c.id === 'server-open-files'), undefined);
  // prlimit sets it: without it the server exits 127 before it answers (an audit: "everything can run").
  const noPrlimit = scenarioChecks(leak(256), facts({ programs: { prlimit: false } })).find((c) => c.id === 'server-open-files');
  assert.equal(noPrlimit?.status, 'fail');
  assert.match(noPrlimit?.detail ?? '', /^server\.maxOpenFiles 256 is set on the server by util-linux's prlimit, which is not on \$PATH/);
  assert.equal(scenarioChecks(leak(256), facts({ programs: { prlimit: true } })).find((c) => c.id === 'server-open-files'), undefined);
  assert.equal(scenarioChecks(scenario({}), facts({ programs: { prlimit: false } })).find((c) => c.id === 'server-open-files'), undefined, 'no limit asked, no prlimit needed');
});

test('server.command: a program that is not there fails the scenario, with how to get it', () => {
  const nginx = scenario({ server: { command: 'nginx -p "$TWSTORM_SERVER_DIR" -c conf -e stderr' } });
  const missing = byId(scenarioChecks(nginx, facts({ programs: { nginx: false } })), 'server-command');
  assert.equal(missing?.status, 'fail');
  assert.equal(missing?.detail, 'the scenario\'s server starts "nginx", which is not on $PATH');
  assert.match(missing?.fix ?? '', /apt-get install nginx-light/);
  assert.equal(byId(scenarioChecks(nginx, facts({ programs: { nginx: true } })), 'server-command'), undefined);
  // Not looked up (facts without programs), or a command line only the shell can read: no claim.
  assert.equal(byId(scenarioChecks(nginx, facts()), 'server-command'), undefined);
  const shell = scenario({ server: { command: 'PORT=1 ./my-server' } });
  assert.equal(byId(scenarioChecks(shell, facts({ programs: {} })), 'server-command'), undefined);
  // A matrix variant's server counts too: it would stop the matrix when its turn came.
  const matrix = scenario({ matrix: { 'server.command': [null, 'nginx -p "$TWSTORM_SERVER_DIR" -c conf -e stderr'] } });
  assert.equal(byId(scenarioChecks(matrix, facts({ programs: { nginx: false } })), 'server-command')?.status, 'fail');
});

test('server.command: the util-linux it is started under, and a user\'s host run without user namespaces, fail before the run', () => {
  // An audit: without setpriv on PATH doctor said "everything can run" and the run stopped with
  // "setpriv/unshare (util-linux) are missing"; as a user without user namespaces, with
  // "could not be started in a PID namespace of its own".
  const own = (isolation = 'auto') => scenario({ server: { command: ['./my-server'] }, environment: { isolation } });
  const found = { './my-server': true, setpriv: true, unshare: true };
  assert.equal(byId(scenarioChecks(own(), facts({ programs: found })), 'server-command'), undefined);
  const noSetpriv = byId(scenarioChecks(own(), facts({ programs: { ...found, setpriv: false } })), 'server-command');
  assert.equal(noSetpriv?.status, 'fail');
  assert.match(noSetpriv?.detail ?? '', /started under setpriv --pdeathsig and unshare --pid .*, and setpriv is not on \$PATH$/);
  assert.equal(noSetpriv?.fix, 'install util-linux (it provides setpriv and unshare)');
  assert.match(byId(scenarioChecks(own(), facts({ programs: { ...found, setpriv: false, unshare: false } })), 'server-command')?.detail ?? '', /setpriv and unshare are not on \$PATH$/);
  assert.equal(byId(scenarioChecks(scenario({}), facts({ programs: { setpriv: false } })), 'server-command'), undefined, 'the bundled server needs neither');
  // A user whose namespace probe was refused: the run falls back to the host, where the server's
  // PID namespace needs a user namespace too.
  const user = facts({ root: false, namespace: NO_NS, programs: found });
  const refused = byId(scenarioChecks(own(), user), 'server-command');
  assert.equal(refused?.status, 'fail');
  assert.match(refused?.detail ?? '', /needs a user namespace of its own .*: unprivileged user namespaces are disabled$/);
  assert.match(refused?.fix ?? '', /^run as root, or enable unprivileged user namespaces/);
  assert.equal(byId(scenarioChecks(own('host'), user), 'server-command')?.status, 'fail');
  assert.equal(byId(scenarioChecks(own(), facts({ root: true, namespace: NO_NS, programs: found })), 'server-command'), undefined, 'root needs no user namespace');
  assert.equal(byId(scenarioChecks(own('host'), facts({ root: false, programs: found })), 'server-command'), undefined, 'user namespaces work');
});

test('a program installed in an sbin directory $PATH leaves out: the fix is the PATH, not an install', () => {
  // An audit: as a user with Debian's PATH (no /usr/sbin), doctor said to apt-get install nginx,
  // nftables and conntrack, all installed in /usr/sbin.
  const root = mkdtempSync(path.join(os.tmpdir(), 'twstorm-offpath-'));
  try {
    const sbin = path.join(root, 'sbin');
    mkdirSync(sbin);
    writeFileSync(path.join(sbin, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    const empty = path.join(root, 'bin');
    mkdirSync(empty);
    assert.equal(programOffPath('tool', empty, [sbin]), sbin);
    assert.equal(programOffPath('tool', sbin, [sbin]), null, 'on PATH: nothing to say');
    assert.equal(programOffPath('other', empty, [sbin]), null, 'nowhere: install it');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const nginx = scenario({ server: { command: 'nginx -p "$TWSTORM_SERVER_DIR" -c conf -e stderr' } });
  const c = byId(scenarioChecks(nginx, facts({ programs: { nginx: false }, offPath: { nginx: '/usr/sbin' } })), 'server-command');
  assert.equal(c?.status, 'fail');
  assert.equal(c?.detail, 'the scenario\'s server starts "nginx", which is not on $PATH (it is in /usr/sbin)');
  assert.match(c?.fix ?? '', /^add \/usr\/sbin to PATH \(export PATH="\$PATH:\/usr\/sbin"\)/);
});

test('close.first: server against your own server is a warning before the run: it may never close', () => {
  const own = scenario({ close: { first: 'server' }, server: { command: ['./my-server'] }, client: { idleTimeout: '3s' } });
  const warned = byId(scenarioChecks(own, facts({ programs: {} })), 'server-closes-first');
  assert.equal(warned?.status, 'warn');
  assert.match(warned?.detail ?? '', /each ends at client\.idleTimeout \(3(\.0+)? ?s\) with ETIMEDOUT/);
  // The bundled server closes as close.server says: nothing to warn about.
  assert.equal(byId(scenarioChecks(scenario({ close: { first: 'server' } }), facts()), 'server-closes-first'), undefined);
});

test('doctor\'s overview: an example whose server program is missing is a caveat, not a failed machine', async () => {
  const nginx = scenario({ name: 'nginx-example', server: { command: 'nginx -p "$TWSTORM_SERVER_DIR" -c conf -e stderr' } });
  const report = await runDoctor({ facts: facts({ programs: { nginx: false } }), scenarios: [scenario({ name: 'plain' }), nginx] });
  const line = byId(report.scenarios, 'scenario:nginx-example')!;
  assert.equal(line.status, 'warn');
  assert.match(line.detail, /server\.command: the scenario's server starts "nginx", which is not on \$PATH/);
  assert.match(line.fix ?? '', /apt-get install nginx-light/);
  assert.notEqual(report.status, 'fail', 'exit 0: twstorm and the other scenarios run');
});

test('commandProgram and programFound read a server.command as the shell would start it', () => {
  assert.equal(commandProgram('nginx -p "$DIR" -e stderr'), 'nginx');
  assert.equal(commandProgram(['/usr/bin/node', 'server.js']), '/usr/bin/node');
  assert.equal(commandProgram('PORT=1 ./server'), null);
  assert.equal(commandProgram('"quoted prog" x'), null);
  // A shell builtin or keyword is no program on $PATH: the line is the shell's to judge.
  assert.equal(commandProgram('cd srv && ./server'), null);
  assert.equal(commandProgram('ulimit -n 65536 && nginx'), null);
  // Builtins that are no file on $PATH either: refused as "not on $PATH, install it" before.
  for (const line of ['read -r PORT < port.txt; ./server --port "$PORT"', 'type nginx >/dev/null && nginx', 'hash node && node srv.js', 'exit 3']) {
    assert.equal(commandProgram(line), null, line);
  }
  assert.equal(commandProgram(['cd']), 'cd');
  assert.equal(programFound('sh'), true);
  assert.equal(programFound(process.execPath), true);
  assert.equal(programFound('twstorm-no-such-program'), false);
  assert.equal(programFound('sh', '/nonexistent-dir'), false);
  // A directory is not a program.
  assert.equal(programFound('/tmp'), false);
});

test('engine I/O: io_uring is ok; epoll is a warning that names why and how to allow io_uring', async () => {
  const on = await runDoctor({ facts: facts({ native: { ...facts().native!, engineIo: { io: 'io_uring' } } }), scenarios: [] });
  assert.equal(byId(on.machine, 'engine-io')?.status, 'ok');
  assert.match(byId(on.machine, 'engine-io')?.detail ?? '', /^io_uring/);
  const reason = 'io_uring is not usable here: io_uring_setup failed: EPERM';
  const off = await runDoctor({ facts: facts({ native: { ...facts().native!, engineIo: { io: 'epoll', reason } } }), scenarios: [] });
  const c = byId(off.machine, 'engine-io');
  assert.equal(c?.status, 'warn');
  assert.ok(c?.detail.includes(reason), c?.detail);
  assert.match(c?.fix ?? '', /kernel\.io_uring_disabled=0.*seccomp/);
  // Switched off on purpose: the fix is to switch it back on, not to reconfigure the kernel.
  const asked = await runDoctor({ facts: facts({ native: { ...facts().native!, engineIo: { io: 'epoll', reason: 'TWSTORM_IO_URING=off' } } }), scenarios: [] });
  assert.equal(byId(asked.machine, 'engine-io')?.fix, 'unset TWSTORM_IO_URING to let runs use io_uring');
  // Not probed (an FFI without the layer loaded): no line at all.
  assert.equal(byId((await runDoctor({ facts: facts(), scenarios: [] })).machine, 'engine-io'), undefined);
});

test('result size: a load that would run its whole duration past ~1,000,000 samples a series is warned of, with the sample that fits', () => {
  // The default 100 ms sample and 1 s census fit a day-long soak (864,000 samples).
  assert.equal(byId(scenarioChecks(scenario({ duration: '24h' }), facts()), 'series-length'), undefined);
  const fine = byId(scenarioChecks(scenario({ duration: '24h', sample: '10ms' }), facts()), 'series-length');
  assert.equal(fine?.status, 'warn');
  assert.equal(
    fine?.detail,
    'if the load runs its whole duration (24h, then a tail of 2s), sample 10ms records 8,640,200 samples per series: past 1,000,000 the result outgrows what twstorm reads back (256 MB), and past about twice that it cannot be written at all',
  );
  assert.equal(fine?.fix, 'raise sample to at least 87ms, or shorten duration (a run that ends on its count sooner is fine)');
  assert.match(byId(scenarioChecks(scenario({ duration: '24h', census: '50ms' }), facts()), 'series-length')?.detail ?? '', /^if the load runs its whole duration \(24h, then a tail of 2s\), census 50ms records 1,728,040 samples/);
  // A matrix runs its variants: a base value every variant replaces is not judged.
  assert.equal(byId(scenarioChecks(scenario({ duration: '24h', sample: '10ms', matrix: { sample: ['100ms', '200ms'] } }), facts()), 'series-length'), undefined);
  assert.match(byId(scenarioChecks(scenario({ duration: '24h', matrix: { sample: ['100ms', '20ms'] } }), facts()), 'series-length')?.detail ?? '', /sample 20ms records 4,320,100/);
});

test('a matrix variant run would refuse is refused as the file is loaded, before any check (a review: "everything can run" of tcp_tw_reuse=5)', () => {
  assert.throws(() => scenario({ matrix: { 'environment.sysctls.net.ipv4.tcp_tw_reuse': [0, 5] } }), {
    message: 'test: matrix.environment.sysctls.net.ipv4.tcp_tw_reuse: expected an integer from 0 to 2, got 5',
  });
  assert.equal(byId(scenarioChecks(scenario({ matrix: { 'close.first': ['client', 'server'] } }), facts()), 'matrix'), undefined);
});

test('a scenario whose reserved ports take its whole range is warned of: every unbound connect() fails', () => {
  // An audit: doctor said ok, and the run's every connect() got EADDRNOTAVAIL.
  const sysctls = (reserved: string) => ({ 'net.ipv4.ip_local_port_range': '40000 40009', 'net.ipv4.ip_local_reserved_ports': reserved });
  const all = byId(scenarioChecks(scenario({ environment: { isolation: 'netns', sysctls: sysctls('40000-40009') } }), facts()), 'port-range');
  assert.equal(all?.status, 'warn');
  assert.equal(all?.detail, 'the scenario reserves all 10 ports of its range 40000–40009 (net.ipv4.ip_local_reserved_ports "40000-40009"): every connect() without a port of its own fails with EADDRNOTAVAIL');
  assert.match(all?.fix ?? '', /^take ports out of net\.ipv4\.ip_local_reserved_ports in the scenario/);
  // One port left: the ports run out as any small range does, no special word.
  assert.equal(byId(scenarioChecks(scenario({ environment: { isolation: 'netns', sysctls: sysctls('40000-40008') } }), facts()), 'port-range'), undefined);
});
