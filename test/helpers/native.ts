// The real native socket layer for a test, loaded afresh (the layer caches what it loaded, and
// tests that switch it off with TWSTORM_NATIVE_SOCKETS must not leave that behind).
import assert from 'node:assert/strict';
import { resetSocketLayer, type NativeSockets } from '../../src/sockets/index.js';
import { tryLoadNative } from '../../src/sockets/native.js';

export function realNative(): NativeSockets {
  resetSocketLayer();
  const loaded = tryLoadNative();
  assert.ok(loaded.ok, 'koffi must load on this machine');
  return loaded.native;
}
