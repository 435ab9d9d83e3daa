// The routed lab's lines in the terminal summary (report/terminal-lab.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderLabLines } from '../../src/report/terminal-lab.js';
import { asLab, makeResult } from './make-result.js';
import type { LabFacts } from '../../src/result/lab.js';
import type { RunResult } from '../../src/result/model.js';

describe('terminal lab lines', () => {
  it("the server host's figure is the kernel's passive opens, not said to be accepted connections", () => {
    // An audit: "81 acc." beside a server that accepted 80: a handshake that completed after its
    // client gave up is a passive open no accept() takes.
    const r = makeResult((x) => asLab(x, 1));
    const lab = (r as RunResult & { lab: LabFacts }).lab;
    lab.hosts[1]!.kernel = { TcpPassiveOpens: 81 };
    const server = renderLabLines(r).find((l) => /^ {14}server /.test(l));
    assert.match(server ?? '', /^ {14}server {7}198\.19\.0\.2 {11}81 passive/);
    assert.ok(!renderLabLines(r).some((l) => l.includes('acc.')));
  });
});
