// Which processes a user's server stop reaches (src/server/pid-namespace.ts), on a /proc made of
// files: the wrapper's new PID namespace and every process in it but its init; nothing when the
// wrapper has not made one yet (the stop would otherwise reach this process's own namespace).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childPidNamespace, processesIn } from '../../src/server/pid-namespace.js';

/** A /proc of `processes`: name → its ns/pid, ns/pid_for_children and NSpid. */
function fakeProc(processes: Record<string, { ns: string; children?: string; nspid?: string }>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'twstorm-fake-proc-'));
  for (const [name, p] of Object.entries(processes)) {
    mkdirSync(path.join(root, name, 'ns'), { recursive: true });
    symlinkSync(p.ns, path.join(root, name, 'ns', 'pid'));
    symlinkSync(p.children ?? p.ns, path.join(root, name, 'ns', 'pid_for_children'));
    writeFileSync(path.join(root, name, 'status'), `Name:\tx\nNSpid:\t${p.nspid ?? name}\nSigIgn:\t0\n`);
  }
  return root;
}

test("the stop reaches every process of the wrapper's PID namespace but its init, whatever their group", () => {
  const proc = fakeProc({
    self: { ns: 'pid:[1]' },
    '10': { ns: 'pid:[1]', children: 'pid:[2]' }, // unshare, after unshare(CLONE_NEWPID)
    '11': { ns: 'pid:[2]', nspid: '11\t1' }, // PID_ONE
    '12': { ns: 'pid:[2]', nspid: '12\t2' }, // the command
    '13': { ns: 'pid:[2]', nspid: '13\t7' }, // a setsid'd daemon
    '20': { ns: 'pid:[1]' }, // anyone else
    '21': { ns: 'pid:[3]', nspid: '21\t2' }, // another server's namespace
  });
  try {
    const ns = childPidNamespace(10, proc);
    assert.equal(ns, 'pid:[2]');
    assert.deepEqual(processesIn(ns!, { proc }).sort(), [12, 13]);
    assert.deepEqual(processesIn(ns!, { proc, init: true }).sort(), [11, 12, 13]);
  } finally {
    rmSync(proc, { recursive: true, force: true });
  }
});

test('no namespace to stop before unshare made one, nor this process\'s own, nor a process gone', () => {
  const proc = fakeProc({
    self: { ns: 'pid:[1]' },
    '10': { ns: 'pid:[1]' }, // still setpriv: its children would be born here
    '30': { ns: 'pid:[4]', children: 'pid:[1]' }, // a child namespace's process whose children land in ours
  });
  try {
    assert.equal(childPidNamespace(10, proc), null);
    assert.equal(childPidNamespace(30, proc), null);
    assert.equal(childPidNamespace(99, proc), null);
  } finally {
    rmSync(proc, { recursive: true, force: true });
  }
});
