// Process resource limits as the kernel applies them to this process.
import { readFileSync } from 'node:fs';

export interface OpenFileLimit {
  /** The limit in force (RLIMIT_NOFILE soft); Infinity for "unlimited". */
  soft: number;
  /** The ceiling an unprivileged process may raise the soft limit to. */
  hard: number;
}

function limitValue(text: string): number {
  return text === 'unlimited' ? Infinity : Number(text);
}

/** Parses the "Max open files" line of a /proc/<pid>/limits text. */
export function parseOpenFileLimit(limitsText: string): OpenFileLimit | null {
  const line = limitsText.split('\n').find((l) => l.startsWith('Max open files'));
  if (!line) return null;
  const [soft, hard] = line.slice('Max open files'.length).trim().split(/\s+/);
  if (soft === undefined || hard === undefined) return null;
  const out = { soft: limitValue(soft), hard: limitValue(hard) };
  return Number.isNaN(out.soft) || Number.isNaN(out.hard) ? null : out;
}

/**
 * The open-file limit of this Node process — `ulimit -n` as Node sees it. Node raises its
 * soft limit to the hard limit at start-up (measured: under `prlimit --nofile=256:4096`,
 * /proc/self/limits reads 4096 4096 inside node), and every child twstorm starts (the
 * echo server, the run process) inherits that, so the soft value read here is what a run gets.
 */
export function readOpenFileLimit(): OpenFileLimit | null {
  try {
    return parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return null;
  }
}
