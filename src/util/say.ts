// The one way twstorm's own messages reach a terminal. A message quotes user text — a scenario
// name, a variant label, a field value from a result file someone sent, a server's last output
// lines — and any of it may hold an ANSI escape (rewrite earlier lines, set the window title),
// a carriage return (overwrite "FAILED" with "OK") or a bidi override. Every "twstorm: …" line
// goes through here, so no caller has to remember stripControl (src/util/escape.ts).
import { stripControl } from './escape.js';

/** Text for a terminal, several lines kept: each line stripped of control characters and escape sequences. */
export function terminalSafe(text: string): string {
  return text.split('\n').map(stripControl).join('\n');
}

/** "twstorm: <message>" on stderr (or the given stream); a multi-line message keeps its lines. */
export function say(message: string, stream: NodeJS.WritableStream = process.stderr): void {
  stream.write(`twstorm: ${terminalSafe(message)}\n`);
}

/** A block of text (already laid out by a renderer) on a stream, made terminal-safe line by line. */
export function sayBlock(text: string, stream: NodeJS.WritableStream = process.stdout): void {
  stream.write(terminalSafe(text));
}
