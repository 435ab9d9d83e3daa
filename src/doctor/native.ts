// Can this machine give twstorm the socket options Node does not expose? The socket layer
// answers that itself (it loads koffi and verifies every constant and struct layout by
// read-back, src/sockets/selfcheck.ts); the doctor only restates its answer per option.
import { socketFeatures, SOCKET_FEATURE_NAMES, type SocketFeatureName } from '../sockets/index.js';
import { neededSocketFeatures } from '../run/native-needs.js';
import { chooseIo, type IoChoice } from '../engine/io-choice.js';
import type { Scenario } from '../scenario/index.js';
import { check, type Check } from './check.js';

export interface NativeProbe {
  loaded: boolean;
  /** The backend when loaded, e.g. "koffi 3.3.4 → libc.so.6". */
  version: string | null;
  /** Option name → true when available, or the reason it is not. */
  options: Record<string, true | string>;
  /** Why nothing could be probed (when !loaded). */
  reason: string | null;
  /** How the engine's threads would do their I/O here (a FIN close), when loaded. */
  engineIo?: IoChoice;
}

/** The names users meet in man pages and scenario docs. */
const OPTION_LABELS: Record<SocketFeatureName, string> = {
  reuseAddrOff: 'SO_REUSEADDR',
  reusePort: 'SO_REUSEPORT',
  bindAddressNoPort: 'IP_BIND_ADDRESS_NO_PORT',
  linger: 'SO_LINGER',
  tcpInfo: 'TCP_INFO',
  localPortRange: 'IP_LOCAL_PORT_RANGE',
};

export function probeNativeSockets(): NativeProbe {
  const features = socketFeatures();
  if (!features.available) {
    return { loaded: false, version: null, options: {}, reason: features.reason ?? 'unknown reason' };
  }
  const options: Record<string, true | string> = {};
  for (const name of SOCKET_FEATURE_NAMES) {
    options[OPTION_LABELS[name]] = features.options[name] ? true : (features.reasons[name] ?? 'not available');
  }
  return { loaded: true, version: features.backend ?? null, options, reason: null, engineIo: chooseIo('fin') };
}

/**
 * A scenario that needs a native option this machine lacks (a kernel before 6.3 for
 * client.portRange, no koffi at all…): the run would be refused, so doctor says so per
 * scenario, naming the setting and the reason. Null when nothing is missing or not probed.
 */
export function nativeNeedsCheck(scenario: Scenario, probe: NativeProbe | null): Check | null {
  if (probe === null) return null;
  const missing = neededSocketFeatures(scenario).filter((n) => !probe.loaded || probe.options[OPTION_LABELS[n.feature]] !== true);
  if (missing.length === 0) return null;
  const why = (feature: SocketFeatureName): string => (probe.loaded ? String(probe.options[OPTION_LABELS[feature]] ?? 'not available') : (probe.reason ?? 'unknown reason'));
  return check(
    'native-options',
    'native socket options',
    'fail',
    missing.map((n) => `${n.why} needs ${OPTION_LABELS[n.feature]}, not available: ${why(n.feature)}`).join('; '),
    'run it on a machine that has them (twstorm doctor lists what this one has), or leave those settings out',
  );
}
