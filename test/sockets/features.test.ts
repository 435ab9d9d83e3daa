// Feature detection: a missing or lying native part gives a clear SocketFeatureError (or
// disables just the option that failed its read-back), never a crash; the rest still works.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  createListenerFd,
  connectBound,
  requireFeature,
  resetSocketLayer,
  socketFeatures,
  SocketFeatureError,
} from '../../src/sockets/index.js';
import { realNative } from '../helpers/native.js';
import { SO_LINGER, SO_TYPE, SOL_SOCKET } from '../../src/sockets/constants.js';

afterEach(() => resetSocketLayer());

test('on this machine every option is available and self-checked', () => {
  const f = socketFeatures();
  assert.equal(f.available, true, f.reason);
  assert.deepEqual(f.options, { reuseAddrOff: true, reusePort: true, bindAddressNoPort: true, linger: true, tcpInfo: true, localPortRange: true });
  assert.match(f.backend ?? '', /^koffi 3\./);
  assert.ok(f.checks.some((c) => c.includes("Node's server.listen({ fd }).address() agrees")));
  assert.doesNotThrow(() => requireFeature('reusePort', 'server.reusePort'));
});

test('a native part that fails to load: clear SocketFeatureError naming the option, plain Node unaffected', async () => {
  resetSocketLayer(() => {
    throw new Error("Cannot find module '@koromix/koffi-linux-x64'");
  });
  const f = socketFeatures();
  assert.equal(f.available, false);
  assert.match(f.reason ?? '', /could not load \(Cannot find module/);
  assert.throws(
    () => requireFeature('reusePort', 'server.reusePort'),
    (err: unknown) => {
      assert.ok(err instanceof SocketFeatureError);
      assert.equal(err.code, 'ERR_SOCKET_FEATURE');
      assert.equal(err.feature, 'reusePort');
      assert.equal(
        err.message,
        "SO_REUSEPORT is not available: the native socket layer could not load (Cannot find module '@koromix/koffi-linux-x64'). " +
          'Scenarios that do not set server.reusePort still run.',
      );
      return true;
    },
  );
  assert.throws(() => createListenerFd({ host: '127.0.0.1', port: 0, reuseAddr: false }), SocketFeatureError);
  assert.throws(() => connectBound({ host: '127.0.0.1', port: 1, bindAddressNoPort: true }), /IP_BIND_ADDRESS_NO_PORT is not available/);
  // What scenarios without native options use keeps working.
  const server = net.createServer((s) => s.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  const reply = await new Promise<string>((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let data = '';
    c.on('data', (d) => (data += d.toString()));
    c.on('end', () => resolve(data));
    c.on('error', reject);
  });
  assert.equal(reply, 'ok');
  await new Promise((r) => server.close(r));
});

test('an option whose read-back disagrees is disabled alone, with the mismatch as reason', () => {
  const real = realNative();
  resetSocketLayer(() => ({
    ...real,
    getsockopt: (fd, level, name, value) => {
      const r = real.getsockopt(fd, level, name, value);
      if (level === SOL_SOCKET && name === SO_LINGER) value.fill(0); // reads back {0, 0}
      return r;
    },
  }));
  const f = socketFeatures();
  assert.equal(f.available, true);
  assert.equal(f.options.linger, false);
  assert.equal(f.options.reusePort, true);
  assert.match(f.reasons.linger ?? '', /self-check: SO_LINGER: set \{"onoff":true,"seconds":7\}, read back \{"onoff":false,"seconds":0\}/);
  assert.throws(() => requireFeature('linger', 'close.client: linger'), /SO_LINGER n with a contained close is not available: self-check/);
});

test('a wrong core constant disables the whole layer with what disagreed', () => {
  const real = realNative();
  resetSocketLayer(() => ({
    ...real,
    getsockopt: (fd, level, name, value) => {
      const r = real.getsockopt(fd, level, name, value);
      if (level === SOL_SOCKET && name === SO_TYPE) value.writeInt32LE(2, 0); // SOCK_DGRAM
      return r;
    },
  }));
  const f = socketFeatures();
  assert.equal(f.available, false);
  assert.match(f.reason ?? '', /^self-check failed: SO_TYPE\/SO_DOMAIN read back 2\/2, expected 1\/2/);
  assert.throws(() => requireFeature('reuseAddrOff', 'server.reuseAddr'), /not available: self-check failed/);
});

test(`TWSTORM_NATIVE_SOCKETS=off in a child process: the feature error, exit 0, no crash`, () => {
  const index = fileURLToPath(new URL('../../src/sockets/index.js', import.meta.url));
  const script = `
    const s = await import(${JSON.stringify(index)});
    const f = s.socketFeatures();
    let message = '';
    try { s.createListenerFd({ host: '127.0.0.1', port: 0, reuseAddr: false, why: 'server.reuseAddr' }); }
    catch (e) { message = e.name + ': ' + e.message; }
    console.log(JSON.stringify({ available: f.available, reason: f.reason, message }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, TWSTORM_NATIVE_SOCKETS: 'off' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { available: boolean; reason: string; message: string };
  assert.equal(out.available, false);
  assert.equal(
    out.message,
    'SocketFeatureError: A native socket (listener without SO_REUSEADDR, client bind-before-connect) is not available: ' +
      'the native socket layer is disabled (TWSTORM_NATIVE_SOCKETS=off). Scenarios that do not set server.reuseAddr still run.',
  );
});
