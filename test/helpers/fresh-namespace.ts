// For the scripts a test runs inside a network namespace it made (`*-cases.ts`, `*-run.ts`, the
// harness, a test file's child mode). They write /proc/sys, bring interfaces up, listen and load:
// run anywhere else they would do it to the machine. And they can be: `node --test` with no file
// list runs every .js under a directory named test, these included (Node's default patterns), and
// a script is easy to start by hand. This machine's own namespace holds exactly the settings
// shard-host-ports-cases.ts writes (ip_local_port_range 40000 40599, tcp_tw_reuse 0,
// tcp_rfc1337 1), most likely from one such start. A namespace from `unshare -n` has its loopback and nothing else; a host has a
// way out. So a script refuses to start where /proc/net/dev lists any other interface.
import { readFileSync } from 'node:fs';

/** Exits 2 with one line on stderr unless this process's network namespace has only `lo`. */
export function requireFreshNamespace(script: string): void {
  const others = readFileSync('/proc/net/dev', 'utf8')
    .split('\n')
    .slice(2)
    .map((line) => line.split(':')[0]!.trim())
    .filter((name) => name !== '' && name !== 'lo');
  if (others.length === 0) return;
  process.stderr.write(
    `${script}: not started: it runs only inside a fresh network namespace (this one has ${others.join(', ')}), as its test starts it (unshare -n)\n`,
  );
  process.exit(2);
}
