// Every failure the user can fix reaches the CLI as an ExpectedError: printed as its one line
// and exit 1 (src/cli/main.ts), never as "internal error" with a stack.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExpectedError } from '../../src/util/expected-error.js';
import { RunError } from '../../src/run/run-scenario.js';
import { OutDirError } from '../../src/run/out-dir.js';
import { SysctlError } from '../../src/environment/sysctl.js';
import { EnvironmentError } from '../../src/environment/namespace.js';
import { TopologyError } from '../../src/environment/topology/routed.js';
import { FaultError } from '../../src/environment/faults.js';
import { NftError } from '../../src/environment/nft.js';
import { ServerProcessError, ServerStartError } from '../../src/server/process.js';
import { UserServerError } from '../../src/server/process.js';
import { SocketFeatureError } from '../../src/sockets/errors.js';
import { SockDiagError } from '../../src/sockets/sock-diag.js';

describe('ExpectedError', () => {
  it('is the class of every error the environment, the server, a file or the native layer raises', () => {
    const classes: Array<abstract new (...args: never[]) => Error> = [
      RunError, OutDirError, SysctlError, EnvironmentError, TopologyError, FaultError, NftError,
      ServerProcessError, ServerStartError, UserServerError, SocketFeatureError, SockDiagError,
    ];
    for (const c of classes) assert.ok(c.prototype instanceof ExpectedError, `${c.name} extends ExpectedError`);
    // A bug stays a plain Error: the CLI shows its stack.
    assert.ok(!(new TypeError('x') instanceof ExpectedError));
  });
});
