// The socket layer: options Node does not expose, behind a small typed API. See docs/sockets.md.
export { socketFeatures, requireFeature, resetSocketFeatures, SOCKET_FEATURE_NAMES, type SocketFeatures } from './features.js';
export { SocketFeatureError, SocketCallError, errnoName, FEATURE_LABELS, type SocketFeatureName } from './errors.js';
export { createListenerFd, listenNative, createReusePortGroup, closeFd, type ListenerOptions, type NativeListener } from './listener.js';
export { connectBound, type BoundClientOptions } from './client.js';
export { setLinger, getLinger, getTcpInfo, corkUntilClose, setLocalPortRange, getLocalPortRange } from './options.js';
export {
  lingerClose,
  stopLingerClosers,
  type LingerCloseOptions,
  type LingerCloseResult,
} from './linger-close.js';
export { fdOf } from './fd.js';
export { setNativeLoader, NATIVE_ENV, type NativeSockets, type NativeLoader } from './native.js';
export type { TcpInfo, Linger, SockAddr } from './structs.js';
export { tcpStateName, TCP_STATES, type TcpStateName } from './constants.js';

import { resetSocketFeatures } from './features.js';
import { setNativeLoader, type NativeLoader } from './native.js';

/** Swap the FFI (tests, an N-API addon) and forget the self-check, so the next use redoes it. */
export function resetSocketLayer(loader?: NativeLoader): void {
  setNativeLoader(loader);
  resetSocketFeatures();
}
export { loadRawSockets, resetRawSockets, encodeEpollEvent, epollTag, epollEvents, readU32, writeU32, ERRNO, type EpollLayout, type RawLoad } from './raw.js';
export type { RawSyscalls } from './native.js';
