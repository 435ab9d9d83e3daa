// A sysctl the kernel refuses (EINVAL) is pointed at the kernel document that holds its values
// (src/environment/sysctl.ts): ip-sysctl.rst has net.ipv4 and net.ipv6 only.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sysctlDocs } from '../../src/environment/sysctl.js';

describe('sysctlDocs (environment/sysctl.ts)', () => {
  it('names the kernel document of each tree a scenario may set', () => {
    assert.equal(sysctlDocs('net.ipv4.tcp_tw_reuse'), 'Documentation/networking/ip-sysctl.rst');
    assert.equal(sysctlDocs('net.ipv6.bindv6only'), 'Documentation/networking/ip-sysctl.rst');
    // somaxconn and conntrack's timeouts are not in ip-sysctl.rst.
    assert.equal(sysctlDocs('net.core.somaxconn'), 'Documentation/admin-guide/sysctl/net.rst');
    assert.equal(sysctlDocs('net.netfilter.nf_conntrack_tcp_timeout_time_wait'), 'Documentation/networking/nf_conntrack-sysctl.rst');
  });
});
