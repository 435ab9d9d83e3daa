// Doctor lines for people. Colour is a help, never the message: every line also carries a
// symbol and a word (✓ ok, ! warn, ✗ fail), so it reads the same piped, in a log, in CI, or
// to someone who cannot tell red from green.
import type { Check, CheckStatus } from './check.js';

const MARK: Record<CheckStatus, string> = { ok: '✓ ok  ', warn: '! warn', fail: '✗ FAIL' };
const COLOUR: Record<CheckStatus, string> = { ok: '\x1b[32m', warn: '\x1b[33m', fail: '\x1b[31m' };
const RESET = '\x1b[0m';

export interface FormatOptions {
  /** Default: never. The CLI passes true only for a terminal without NO_COLOR. */
  color?: boolean;
  /** Wrap width for detail text; default 100. */
  width?: number;
}

/** Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function wantsColor(stream: { isTTY?: boolean }): boolean {
  return stream.isTTY === true && (process.env['NO_COLOR'] ?? '') === '' && process.env['TERM'] !== 'dumb';
}

function wrap(text: string, width: number, indent: string): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      out.push(indent + line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') out.push(indent + line);
  return out;
}

export function formatChecks(checks: readonly Check[], options: FormatOptions = {}): string {
  const width = options.width ?? 100;
  // Wide enough for the longest bundled scenario name (31) and "routed lab (topology: routed)":
  // a longer title pushes its own detail out of the column, never the others'.
  const titleWidth = Math.min(32, Math.max(0, ...checks.map((c) => c.title.length)));
  const lines: string[] = [];
  for (const c of checks) {
    const mark = options.color ? `${COLOUR[c.status]}${MARK[c.status]}${RESET}` : MARK[c.status];
    const head = `${mark}  ${c.title.padEnd(titleWidth)}  `;
    const indent = ' '.repeat(MARK[c.status].length + 2 + titleWidth + 2);
    const detail = wrap(c.detail, width, indent);
    lines.push(head + (detail[0] ?? '').trimStart());
    lines.push(...detail.slice(1));
    if (c.fix && c.status !== 'ok') lines.push(...wrap(`→ fix: ${c.fix}`, width, indent));
  }
  return lines.join('\n');
}
