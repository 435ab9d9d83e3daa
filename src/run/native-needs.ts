// Which native socket options a scenario needs, checked before anything runs: a scenario that
// needs one the machine lacks fails at once with the option and the reason; the others run.
import type { Scenario } from '../scenario/index.js';
import { requireFeature, SocketFeatureError, type SocketFeatureName } from '../sockets/index.js';
import { engineAvailability } from '../engine/client-engine.js';

export function neededSocketFeatures(s: Scenario): Array<{ feature: SocketFeatureName; why: string }> {
  const needs: Array<{ feature: SocketFeatureName; why: string }> = [];
  if (!s.server.reuseAddr) needs.push({ feature: 'reuseAddrOff', why: 'server.reuseAddr: false' });
  if (s.server.reusePort) needs.push({ feature: 'reusePort', why: 'server.reusePort: true' });
  if (s.protocol === 'tcp') {
    if (s.client.bind || s.client.sourceAddresses.length > 0) needs.push({ feature: 'reuseAddrOff', why: 'client.bind / client.sourceAddresses' });
    if (s.client.bindAddressNoPort || (!s.client.bind && s.client.sourceAddresses.length > 0)) {
      needs.push({ feature: 'bindAddressNoPort', why: s.client.bindAddressNoPort ? 'client.bindAddressNoPort: true' : 'client.sourceAddresses' });
    }
    if (s.close.client === 'linger' || s.close.server === 'linger') needs.push({ feature: 'linger', why: 'close mode "linger"' });
  }
  if (s.client.portRange !== null) needs.push({ feature: 'localPortRange', why: 'client.portRange' });
  return needs;
}

/** Throws SocketFeatureError naming the first missing option and why the scenario needs it. */
export function requireSocketFeatures(s: Scenario): void {
  for (const { feature, why } of neededSocketFeatures(s)) requireFeature(feature, why);
  // Node's `net` (the fallback driver) connects inside libuv before any option can be set, so
  // a per-socket range needs the native engine itself, not just the option.
  const engine = s.client.portRange !== null ? engineAvailability() : { ok: true as const };
  if (!engine.ok) {
    throw new SocketFeatureError('localPortRange', `the native engine cannot run here (${engine.reason}), and Node's net fallback connects before any option can be set`, 'client.portRange');
  }
}
