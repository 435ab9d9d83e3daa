// Can this machine build a routed lab, and does a scenario ask for something it cannot have?
// Asked before a run starts (refuse with what is missing) and by `twstorm doctor`.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Scenario } from '../scenario/index.js';
import { check, type Check } from './check.js';
import { runVariants } from './scenario-checks.js';
import { namespaceFix, probeNamespace } from '../environment/namespace.js';
import { addToPath, programOffPath } from '../server/command-line.js';

const run = promisify(execFile);

export interface LabAbility {
  /** Programs or kernel features missing, each with its Debian package. */
  missing: string[];
  /** Whether nf_conntrack_max can be written inside a namespace (it cannot on Linux today). */
  conntrackMaxPerNamespace: boolean;
  /** When no namespace could be made: what makes one possible (namespaceFix), not a package to install. */
  namespaceFix?: string;
  /** Tools installed in an sbin directory that $PATH leaves out: those directories, and how many tools. */
  offPath?: { dirs: string[]; tools: number };
}

const INSTALL = 'apt-get install util-linux iproute2 nftables conntrack';

/** How to get what is missing: the packages for the tools and kernel features, the namespace's own fix for it. */
function labFix(ability: LabAbility, packages: string): string {
  const elsewhere = ability.offPath?.tools ?? 0;
  const tools = ability.missing.length - (ability.namespaceFix === undefined ? 0 : 1) - elsewhere;
  const dirs = ability.offPath?.dirs.join(':') ?? '';
  return [tools > 0 ? packages : '', elsewhere > 0 ? addToPath(dirs) : '', ability.namespaceFix ?? '']
    .filter((part) => part !== '')
    .join('; ');
}

const found = (cmd: string, args: string[]): Promise<boolean> =>
  run(cmd, args, { timeout: 10_000 }).then(
    () => true,
    (err: NodeJS.ErrnoException) => err.code !== 'ENOENT',
  );

/**
 * Probes in a throwaway namespace made as the run's is (`unshare -n` for root, `unshare -rn` for
 * a user: the lab is built inside the run's namespace), never on the host: a veth pair, an nft
 * table, the conntrack tool, and whether nf_conntrack_max takes a write there (writing the
 * value it already has).
 */
export async function probeLabAbility(): Promise<LabAbility> {
  const missing: string[] = [];
  const tools: Array<[string, string[], string]> = [
    ['setpriv', ['--version'], 'setpriv (util-linux)'],
    ['nsenter', ['--version'], 'nsenter (util-linux)'],
    ['ip', ['-V'], 'ip (iproute2)'],
    ['nft', ['--version'], 'nft (nftables)'],
    ['conntrack', ['--version'], 'conntrack (conntrack)'],
  ];
  const dirs = new Set<string>();
  let elsewhere = 0;
  for (const [cmd, args, what] of tools) {
    if (await found(cmd, args)) continue;
    const dir = programOffPath(cmd);
    missing.push(dir === null ? what : what.replace(/\)$/, `; in ${dir}, not on $PATH)`));
    if (dir !== null) {
      dirs.add(dir);
      elsewhere++;
    }
  }
  let conntrackMaxPerNamespace = false;
  const namespace = probeNamespace();
  const root = process.getuid?.() === 0;
  let namespaceFixText: string | undefined;
  if (!namespace.ok) {
    missing.push(`a network namespace (${namespace.reason})`);
    namespaceFixText = namespaceFix(namespace, root);
  } else if (!missing.some((m) => m.startsWith('ip ') || m.startsWith('nft '))) {
    const script = [
      'ip link add twstorm-probe0 type veth peer name twstorm-probe1 || { echo NO_VETH; exit 0; }',
      "nft add table ip twstorm_probe || { echo NO_NFT; exit 0; }",
      "nft 'add chain ip twstorm_probe c { type nat hook postrouting priority srcnat; }' || { echo NO_NAT; exit 0; }",
      'v=$(cat /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null) || { echo NO_CONNTRACK; exit 0; }',
      '(echo "$v" > /proc/sys/net/netfilter/nf_conntrack_max) 2>/dev/null && echo MAX_WRITABLE',
      'exit 0',
    ].join('\n');
    // The script ends with exit 0, so a failure is the namespace's: `unshare -n` as a user, or
    // unshare missing, used to leave no output here and pass as "veth, NAT and conntrack work".
    const [command, ...args] = namespace.prefix;
    const { stdout } = await run(command!, [...args, 'sh', '-c', script], { timeout: 10_000 }).catch(() => ({ stdout: 'NO_NAMESPACE' }));
    if (stdout.includes('NO_NAMESPACE')) {
      missing.push(`a network namespace (${namespace.prefix.slice(0, -1).join(' ')} failed)`);
      namespaceFixText = namespaceFix({ ...namespace, ok: false, reason: '' }, root);
    }
    if (stdout.includes('NO_VETH')) missing.push('veth support in the kernel (CONFIG_VETH)');
    if (stdout.includes('NO_NFT') || stdout.includes('NO_NAT')) missing.push('nftables NAT in the kernel (CONFIG_NF_TABLES, CONFIG_NFT_NAT)');
    if (stdout.includes('NO_CONNTRACK')) missing.push('connection tracking in the kernel (CONFIG_NF_CONNTRACK)');
    conntrackMaxPerNamespace = stdout.includes('MAX_WRITABLE');
  }
  return {
    missing,
    conntrackMaxPerNamespace,
    ...(namespaceFixText === undefined ? {} : { namespaceFix: namespaceFixText }),
    ...(elsewhere > 0 ? { offPath: { dirs: [...dirs], tools: elsewhere } } : {}),
  };
}

/** The machine-wide doctor line. */
export function labCheck(ability: LabAbility): Check {
  if (ability.missing.length > 0) {
    return check('routed-lab', 'routed lab (topology: routed)', 'warn', `cannot build one: missing ${ability.missing.join(', ')}`, `${labFix(ability, INSTALL)}; scenarios with topology: routed are refused until then`);
  }
  return check(
    'routed-lab',
    'routed lab (topology: routed)',
    'ok',
    `veth, nftables NAT and conntrack work in a namespace${ability.conntrackMaxPerNamespace ? '' : '; nf_conntrack_max is read-only outside the host\'s namespace, so router.conntrack.max is refused'}`,
  );
}

/**
 * A routed scenario's pre-flight, over every variant it runs (a matrix may make only some of
 * them routed labs: each is checked before the first runs): fail with what is missing.
 */
export function labScenarioChecks(scenario: Scenario, ability: LabAbility): Check[] {
  const routed = runVariants(scenario).filter((v) => v.environment.topology === 'routed');
  if (routed.length === 0) return [];
  const out: Check[] = [];
  if (ability.missing.length > 0) {
    out.push(check('routed-lab', 'routed lab', 'fail', `this machine cannot build the routed lab: missing ${ability.missing.join(', ')}`, labFix(ability, `${INSTALL} (and a kernel with veth, nftables NAT, conntrack)`)));
  } else {
    // Said when it holds too: `doctor <scenario>` lists what the run checks (an audit: a routed
    // scenario showed only the namespace and open-file lines, as if the lab were not checked).
    out.push(labCheck(ability));
  }
  if (routed.some((v) => v.environment.router.conntrack?.max != null) && !ability.conntrackMaxPerNamespace) {
    out.push(
      check(
        'conntrack-max',
        'router conntrack max',
        'fail',
        'environment.router.conntrack.max: this kernel lets only the host\'s network namespace change nf_conntrack_max, and twstorm never changes host settings',
        'leave router.conntrack.max out (timeouts such as time_wait do work per namespace)',
      ),
    );
  }
  return out;
}
