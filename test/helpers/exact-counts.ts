// Tests count TIME_WAIT sockets, and the ports they hold, exactly. On a busy machine the passive
// closer's delayed ACK can leave after its FIN; the active closer's fresh TIME_WAIT answers the
// duplicate with an ACK, the closed peer answers that with an RST, and under the default
// tcp_rfc1337=0 the RST ends the TIME_WAIT (RFC 1337's TIME-WAIT assassination, seen in a
// capture: 991 of 1,000). Its port is free again, so a run that exhausts a range makes one
// connection more than the range holds (291 of 290 ports, 2,001 of 2,000 even ports, seen at
// --test-concurrency=6). So every run a test harness makes sets tcp_rfc1337=1 in its namespace,
// unless the scenario sets it itself (test/run/fault-scenarios.test.ts pins both values).
import type { Scenario } from '../../src/scenario/index.js';

export function countTimeWaitExactly(scenario: Scenario): Scenario {
  scenario.environment.sysctls['net.ipv4.tcp_rfc1337'] ??= '1';
  return scenario;
}
