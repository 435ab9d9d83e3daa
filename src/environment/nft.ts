// One way to load nftables rules into the current network namespace: `nft -f -` with the
// ruleset on stdin (atomic: the kernel takes the whole table or none of it). Used by the fault
// rules, the router's NAT and its conntrack switch; each caller words its own error.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ExpectedError } from '../util/expected-error.js';

const run = promisify(execFile);

/** Why a ruleset did not load: `missing` when there is no nft command, else nft's own words. */
export class NftError extends ExpectedError {
  constructor(
    readonly missing: boolean,
    readonly detail: string,
  ) {
    super(missing ? 'the nft command is missing (Debian package nftables)' : `nft refused the ruleset: ${detail}`);
  }
}

export async function loadNftRuleset(ruleset: string): Promise<void> {
  try {
    const promise = run('nft', ['-f', '-'], { timeout: 10_000 });
    promise.child.stdin?.end(ruleset);
    await promise;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    throw new NftError(e.code === 'ENOENT', nftErrorLine(e.stderr ?? e.message));
  }
}

/**
 * nft's complaint in one line: it prints "/dev/stdin:3:5-20: Error: <what>", then the rule and
 * a line of carets under the offending part. The "Error:" line says it all; the rest would break
 * the one-line error into three.
 */
export function nftErrorLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const error = lines.find((l) => /\bError: /.test(l));
  return error !== undefined ? error.slice(error.indexOf('Error: ')) : (lines[0] ?? 'no output');
}
