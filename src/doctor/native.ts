// Can this machine give twstorm the socket options Node does not expose? The socket layer
// answers that itself (it loads koffi and verifies every constant and struct layout by
// read-back, src/sockets/selfcheck.ts); the doctor only restates its answer per option.
import { socketFeatures, SOCKET_FEATURE_NAMES, type SocketFeatureName } from '../sockets/index.js';

export interface NativeProbe {
  loaded: boolean;
  /** The backend when loaded, e.g. "koffi 3.3.4 → libc.so.6". */
  version: string | null;
  /** Option name → true when available, or the reason it is not. */
  options: Record<string, true | string>;
  /** Why nothing could be probed (when !loaded). */
  reason: string | null;
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
  return { loaded: true, version: features.backend ?? null, options, reason: null };
}
