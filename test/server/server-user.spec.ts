// Which user a server.command runs as (src/server/server-user.ts): the options given to unshare
// for each way twstorm itself can be running.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serverUserNamespace, soleRootMappedTo } from '../../src/server/server-user.js';

const maps = (uid: string, gid: string) => (name: 'uid_map' | 'gid_map') => (name === 'uid_map' ? uid : gid);

describe('the server\'s user (server/server-user.ts)', () => {
  it('reads the outside id of a namespace that maps only its root, as `unshare -r` makes', () => {
    assert.equal(soleRootMappedTo('         0       1000          1\n'), 1000);
    // The initial namespace, and a container's map of many ids: root there is root enough.
    assert.equal(soleRootMappedTo('         0          0 4294967295\n'), null);
    assert.equal(soleRootMappedTo('         0     100000      65536\n'), null);
    // Not root inside (`--map-current-user`), or several lines.
    assert.equal(soleRootMappedTo('      1000       1000          1\n'), null);
    assert.equal(soleRootMappedTo('0 1000 1\n1 100000 65535\n'), null);
    assert.equal(soleRootMappedTo(''), null);
  });

  it('root of the machine: no user namespace; a user: their own uid mapped to itself', () => {
    assert.deepEqual(serverUserNamespace(0, maps('0 0 4294967295', '0 0 4294967295')), []);
    assert.deepEqual(serverUserNamespace(1000, () => assert.fail('a user\'s own uid needs no map to be read')), ['--user', '--map-current-user']);
  });

  it('root only by `unshare -rn` (a user\'s run in its own namespace): the server gets the user\'s uid and gid back', () => {
    assert.deepEqual(serverUserNamespace(0, maps('0 1000 1', '0 1001 1'), () => true), ['--user', '--map-user=1000', '--map-group=1001']);
    // An unshare without --map-user (util-linux < 2.38): the server runs as that root, as before.
    assert.deepEqual(serverUserNamespace(0, maps('0 1000 1', '0 1001 1'), () => false), []);
  });
});
