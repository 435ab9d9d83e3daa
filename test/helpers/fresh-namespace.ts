// For the scripts a test runs inside a network namespace it made (`*-cases.ts`, `*-run.ts`, the
// harness, a test file's child mode). They write /proc/sys, bring interfaces up, listen and load:
// run anywhere else they would do it to the machine. And they can be: `node --test` with no file
// list runs every .js under a directory named test, these included (Node's default patterns), and
// a script is easy to start by hand. This machine's own namespace holds exactly the settings
// shard-host-ports-cases.ts writes (ip_local_port_range 40000 40599, tcp_tw_reuse 0,
// tcp_rfc1337 1), most likely from one such start.
//
// What tells a namespace from `unshare -n` from a host is a way out: the fresh one routes
// nowhere but its loopback. Its interfaces are no sign: with fb_tunnels_only_for_init_net=0 (the
// default) every new namespace also gets the fallback tunnel devices of the loaded modules
// (tunl0, sit0, gre0 …), down and without routes.
import { readFileSync } from 'node:fs';

/** The interfaces this namespace routes through, loopback aside (IPv4 main table, every IPv6 table). */
function routedInterfaces(): string[] {
  const read = (file: string): string[] => {
    try {
      return readFileSync(file, 'utf8').split('\n');
    } catch {
      return []; // no IPv6 on this kernel
    }
  };
  const v4 = read('/proc/net/route').slice(1).map((line) => line.split(/\s+/)[0] ?? '');
  const v6 = read('/proc/net/ipv6_route').map((line) => line.trim().split(/\s+/).at(-1) ?? '');
  return [...new Set([...v4, ...v6])].filter((name) => name !== '' && name !== 'lo');
}

/** Exits 2 with one line on stderr unless this process's network namespace routes only through `lo`. */
export function requireFreshNamespace(script: string): void {
  const out = routedInterfaces();
  if (out.length === 0) return;
  process.stderr.write(
    `${script}: not started: it runs only inside a fresh network namespace (this one routes through ${out.sort().join(', ')}), as its test starts it (unshare -n)\n`,
  );
  process.exit(2);
}
