// The shipped orchestration examples, checked for what can be checked without a cluster or
// GitHub: the Kubernetes manifest is valid YAML with the fields the API server requires (and
// an Indexed Job whose shard count twstorm reads the way it is set), the workflows call the
// installed `twstorm` with options the CLI accepts, and the Dockerfile documents its needs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse } from 'yaml';
import { shardFrom } from '../../src/run/shard.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = `${ROOT}bin/twstorm.js`;
const read = (p: string): Promise<string> => readFile(`${ROOT}${p}`, 'utf8');
type Obj = Record<string, any>;

function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => execFile(process.execPath, [BIN, ...args], (err, _out, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr })));
}

function requirePodSpec(spec: Obj, where: string): void {
  assert.ok(Array.isArray(spec['containers']) && spec['containers'].length > 0, `${where}: containers`);
  for (const c of spec['containers'] as Obj[]) {
    assert.equal(typeof c['name'], 'string', `${where}: container name`);
    assert.match(c['name'], /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `${where}: container name is a DNS label`);
    assert.equal(typeof c['image'], 'string', `${where}: container image`);
  }
  // A Job's pods must not restart in place (the API server rejects Always).
  assert.ok(['Never', 'OnFailure'].includes(spec['restartPolicy']), `${where}: restartPolicy Never or OnFailure`);
}

describe('examples/kubernetes-indexed-job.yaml', () => {
  it('is valid YAML; every object has apiVersion, kind, metadata.name; Jobs have a pod template', async () => {
    const docs = parseAllDocuments(await read('examples/kubernetes-indexed-job.yaml'));
    for (const d of docs) assert.deepEqual(d.errors, []);
    const objects = docs.map((d) => d.toJS() as Obj);
    assert.deepEqual(objects.map((o) => o['kind']), ['PersistentVolumeClaim', 'Job', 'Job']);
    for (const o of objects) {
      assert.equal(typeof o['apiVersion'], 'string');
      assert.match(o['metadata']['name'], /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    const pvc = objects[0]!;
    assert.ok(pvc['spec']['accessModes'].length > 0 && pvc['spec']['resources']['requests']['storage']);
    for (const job of objects.slice(1)) {
      assert.equal(job['apiVersion'], 'batch/v1');
      requirePodSpec(job['spec']['template']['spec'], job['metadata']['name']);
    }
  });

  it('the shards Job is Indexed, and twstorm reads its index and count as Kubernetes sets them', async () => {
    const job = parseAllDocuments(await read('examples/kubernetes-indexed-job.yaml')).map((d) => d.toJS() as Obj)[1]!;
    const spec = job['spec'];
    assert.equal(spec['completionMode'], 'Indexed');
    assert.ok(Number.isInteger(spec['completions']) && spec['completions'] > 1, 'Indexed Jobs need completions');
    const container = spec['template']['spec']['containers'][0] as Obj;
    const shards = (container['env'] as Obj[]).find((e) => e['name'] === 'TWSTORM_SHARDS')!['value'];
    assert.equal(Number(shards), spec['completions'], 'TWSTORM_SHARDS must equal completions');
    const last = String(spec['completions'] - 1);
    assert.deepEqual(shardFrom(undefined, { JOB_COMPLETION_INDEX: last, TWSTORM_SHARDS: shards }), { index: spec['completions'] - 1, count: spec['completions'] });
    assert.deepEqual(container['securityContext']['capabilities']['add'].sort(), ['NET_ADMIN', 'SYS_ADMIN']);
    const merge = parseAllDocuments(await read('examples/kubernetes-indexed-job.yaml')).map((d) => d.toJS() as Obj)[2]!;
    assert.match(merge['spec']['template']['spec']['containers'][0]['args'][0], new RegExp(`twstorm merge .*-shard\\*of${spec['completions']}-\\*\\.json`));
    // The run arguments are ones the installed CLI accepts (checked by its own parser).
    const check = await cli([...(container['args'] as string[]), '--help']);
    assert.equal(check.code, 0, check.stderr);
  });
});

describe('examples/github-actions*.yml', () => {
  it('use the installed package (no checkout build) and the gate defaults, with repeats', async () => {
    const gate = parse(await read('examples/github-actions.yml')) as Obj;
    const steps = gate['jobs']['storm']['steps'] as Obj[];
    const runs = steps.map((s) => String(s['run'] ?? '')).join('\n');
    assert.match(runs, /npm install --global twstorm/);
    assert.doesNotMatch(runs, /node bin\/twstorm\.js|npm run build/);
    assert.match(runs, /twstorm run "\$scenario" --repeat 5/);
    const compare = runs.split('\n').find((l) => l.includes('twstorm compare'))!;
    assert.doesNotMatch(compare, /--tolerance|--confidence/, 'the example uses the measured defaults');
  });

  it('the shard matrix runs every shard once and merges them', async () => {
    const wf = parse(await read('examples/github-actions-shards.yml')) as Obj;
    const matrix = wf['jobs']['shard']['strategy']['matrix']['shard'] as number[];
    assert.deepEqual(matrix, Array.from({ length: Number(wf['env']['SHARDS']) }, (_, i) => i + 1));
    assert.deepEqual(wf['jobs']['merge']['needs'], 'shard');
    const mergeRun = (wf['jobs']['merge']['steps'] as Obj[]).map((s) => String(s['run'] ?? '')).join('\n');
    assert.match(mergeRun, /twstorm merge shards\/\*\.json -o merged\/merged\.json/);
  });
});

describe('Dockerfile', () => {
  it('documents the capabilities namespaces need and installs the package, not the checkout', async () => {
    const text = await read('Dockerfile');
    assert.match(text, /--cap-add NET_ADMIN --cap-add SYS_ADMIN/);
    assert.match(text, /--privileged/);
    assert.match(text, /^FROM node:20/m);
    assert.match(text, /npm install --global/);
    assert.match(text, /ENTRYPOINT \["twstorm"\]/);
  });
});
