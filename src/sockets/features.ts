// Which native socket options work here, decided once per process: the FFI must load and the
// self-check must pass. A scenario asks with requireFeature() before it runs, so a missing
// option fails the run up front with the option's name and the reason, and a scenario that
// needs none of them never loads the FFI at all.
import { FEATURE_LABELS, SocketFeatureError, type SocketFeatureName } from './errors.js';
import { tryLoadNative, type NativeSockets } from './native.js';
import { runSelfCheck, type SelfCheckReport } from './selfcheck.js';

export type { SocketFeatureName } from './errors.js';

export interface SocketFeatures {
  /** The native layer loaded and its constants and layouts passed the self-check. */
  available: boolean;
  /** Why not, when !available. */
  reason?: string;
  /** "koffi 3.3.4 → libc.so.6" when loaded. */
  backend?: string;
  options: Record<SocketFeatureName, boolean>;
  /** Why each unavailable option is unavailable. */
  reasons: Partial<Record<SocketFeatureName, string>>;
  /** IPv6 sockets can be made (IPv4 is enough for every option). */
  ipv6: boolean;
  /** What the self-check verified (empty when the layer did not load). */
  checks: string[];
  selfCheckMs?: number;
}

export const SOCKET_FEATURE_NAMES: readonly SocketFeatureName[] = ['reuseAddrOff', 'reusePort', 'bindAddressNoPort', 'linger', 'tcpInfo', 'localPortRange'];

let cached: { features: SocketFeatures; native?: NativeSockets } | undefined;

/** Forget the outcome (tests; after setNativeLoader()). */
export function resetSocketFeatures(): void {
  cached = undefined;
}

function detect(): { features: SocketFeatures; native?: NativeSockets } {
  const none = (reason: string): SocketFeatures => ({
    available: false,
    reason,
    options: { reuseAddrOff: false, reusePort: false, bindAddressNoPort: false, linger: false, tcpInfo: false, localPortRange: false },
    reasons: Object.fromEntries(SOCKET_FEATURE_NAMES.map((n) => [n, reason])),
    ipv6: false,
    checks: [],
  });
  const loaded = tryLoadNative();
  if (!loaded.ok) return { features: none(loaded.reason) };
  let report: SelfCheckReport;
  try {
    report = runSelfCheck(loaded.native);
  } catch (err) {
    return { features: none(`the native socket layer's self-check crashed (${(err as Error).message})`) };
  }
  if (!report.core.ok) return { features: { ...none(report.core.reason), backend: loaded.native.description, checks: report.checks } };
  const features: SocketFeatures = {
    available: true,
    backend: loaded.native.description,
    options: { reuseAddrOff: true, reusePort: true, bindAddressNoPort: true, linger: true, tcpInfo: true, localPortRange: true },
    reasons: {},
    ipv6: report.ipv6,
    checks: report.checks,
    selfCheckMs: report.durationMs,
  };
  for (const name of ['reusePort', 'bindAddressNoPort', 'linger', 'tcpInfo', 'localPortRange'] as const) {
    const r = report[name];
    if (!r.ok) {
      features.options[name] = false;
      features.reasons[name] = r.reason;
    }
  }
  // The per-socket range must be set between socket() and connect(): only the engine's own
  // sockets allow that (Node's `net` connects inside libuv before any option can be set), so
  // an FFI without the engine's raw calls cannot honour it.
  if (features.options.localPortRange && !loaded.native.raw) {
    features.options.localPortRange = false;
    features.reasons.localPortRange = `${loaded.native.description} has no raw calls for the native engine, and only the engine can set it before connect()`;
  }
  return { features, native: loaded.native };
}

/** What is available, with reasons. Cheap after the first call (~1 ms self-check once). */
export function socketFeatures(): SocketFeatures {
  cached ??= detect();
  return cached.features;
}

/**
 * Throws SocketFeatureError unless `name` is available. `why` names what asked for it, in the
 * words a user wrote it, e.g. "server.reusePort": the message then says that scenarios without
 * that setting still run.
 */
export function requireFeature(name: SocketFeatureName, why: string): void {
  const f = socketFeatures();
  if (!f.options[name]) throw new SocketFeatureError(name, f.reasons[name] ?? f.reason ?? 'unknown reason', why);
}

/** The FFI, for the modules of this folder, after requireFeature(name, why). */
export function nativeFor(name: SocketFeatureName, why: string): NativeSockets {
  requireFeature(name, why);
  // requireFeature passed, so detect() kept the loaded native.
  return cached!.native!;
}

export { FEATURE_LABELS };
