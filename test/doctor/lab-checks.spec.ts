// Refusing a routed lab the machine cannot build, before anything starts, with what is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labCheck, labScenarioChecks, probeLabAbility } from '../../src/doctor/lab-checks.js';
import { parseScenario } from '../../src/scenario/index.js';

const routed = parseScenario({ name: 'r', environment: { topology: 'routed', clients: 2 } }, 'r.yaml');

test('this machine (as .ci/run sets it up) can build the lab; nf_conntrack_max is not per namespace', async () => {
  const ability = await probeLabAbility();
  assert.deepEqual(ability.missing, []);
  assert.equal(ability.conntrackMaxPerNamespace, false);
  assert.equal(labCheck(ability).status, 'ok');
  // doctor <routed scenario> lists the lab's check when it holds too (an audit: only the namespace
  // and open-file lines, as if the lab were not checked).
  assert.deepEqual(labScenarioChecks(routed, ability).map((c) => [c.id, c.status]), [['routed-lab', 'ok']]);
});

test('missing tools: the routed scenario fails its pre-flight naming them; loopback scenarios are not concerned', () => {
  const ability = { missing: ['nft (nftables)', 'conntrack (conntrack)'], conntrackMaxPerNamespace: false };
  const [fail] = labScenarioChecks(routed, ability);
  assert.equal(fail?.status, 'fail');
  assert.match(fail!.detail, /missing nft \(nftables\), conntrack \(conntrack\)/);
  assert.equal(labCheck(ability).status, 'warn');
  assert.deepEqual(labScenarioChecks(parseScenario({ name: 'l' }, 'l.yaml'), ability), []);
});

test('no namespace for the lab: the fix is the namespace\'s, not a package list', () => {
  // An audit: root refused unshare -n (no CAP_SYS_ADMIN) was told to apt-get install util-linux.
  const fix = 'give twstorm CAP_SYS_ADMIN, which unshare -n needs';
  const only = { missing: ['a network namespace (unshare -n failed: Operation not permitted)'], conntrackMaxPerNamespace: false, namespaceFix: fix };
  assert.equal(labScenarioChecks(routed, only)[0]?.fix, fix);
  assert.equal(labCheck(only).fix, `${fix}; scenarios with topology: routed are refused until then`);
  const both = { ...only, missing: ['nft (nftables)', ...only.missing] };
  assert.match(labScenarioChecks(routed, both)[0]?.fix ?? '', /^apt-get install .*; give twstorm CAP_SYS_ADMIN/);
});

test('lab tools installed off $PATH: the fix adds their directory to PATH', () => {
  const off = { missing: ['nft (nftables; in /usr/sbin, not on $PATH)', 'conntrack (conntrack; in /usr/sbin, not on $PATH)'], conntrackMaxPerNamespace: false, offPath: { dirs: ['/usr/sbin'], tools: 2 } };
  assert.equal(labScenarioChecks(routed, off)[0]?.fix, 'add /usr/sbin to PATH (export PATH="$PATH:/usr/sbin")');
  const mixed = { ...off, missing: ['ip (iproute2)', ...off.missing] };
  assert.match(labScenarioChecks(routed, mixed)[0]?.fix ?? '', /^apt-get install .*; add \/usr\/sbin to PATH/);
});

test('a matrix with a routed variant is checked as one: its first variants are not, and it fails before they run', () => {
  // tw-reuse-modes' fourth variant is a routed lab: doctor said ok without nft, and the run
  // stopped at that variant after three had run.
  const ability = { missing: ['nft (nftables)'], conntrackMaxPerNamespace: false };
  const mixed = parseScenario({ name: 'm', matrix: { 'environment.topology': ['loopback', 'routed'] } }, 'm.yaml');
  assert.equal(mixed.environment.topology, 'loopback');
  const checks = labScenarioChecks(mixed, ability);
  assert.deepEqual(checks.map((c) => [c.id, c.status]), [['routed-lab', 'fail']]);
  const loopbackOnly = parseScenario({ name: 'l', matrix: { 'close.first': ['client', 'server'] } }, 'l.yaml');
  assert.deepEqual(labScenarioChecks(loopbackOnly, ability), []);
});

test('router.conntrack.max is refused where the kernel keeps it for the host namespace', () => {
  const s = parseScenario({ name: 'c', environment: { topology: 'routed', router: { conntrack: { max: 100 } } } }, 'c.yaml');
  const checks = labScenarioChecks(s, { missing: [], conntrackMaxPerNamespace: false });
  assert.deepEqual(checks.map((c) => [c.id, c.status]), [['routed-lab', 'ok'], ['conntrack-max', 'fail']]);
});

test('the schema: lab fields only with topology routed; routed needs a namespace', () => {
  assert.throws(() => parseScenario({ name: 'x', environment: { clients: 3 } }, 'x.yaml'), /environment\.clients: only with environment\.topology: routed/);
  assert.throws(() => parseScenario({ name: 'x', environment: { topology: 'routed', isolation: 'host' } }, 'x.yaml'), /environment\.isolation: a routed lab \(environment\.topology: routed\) is built inside the run's own namespace: expected netns or auto, got "host"/);
  assert.throws(() => parseScenario({ name: 'x', environment: { topology: 'routed', router: { nat: { ports: '5-1' } } } }, 'x.yaml'), /environment\.router\.nat\.ports: expected low-high/);
  assert.throws(() => parseScenario({ name: 'x', environment: { topology: 'routed', clients: 65 } }, 'x.yaml'), /environment\.clients: expected an integer from 1 to 64/);
});
