// The last lines of a user's server log, for an error message of one line: the server's own
// last words, each cut short, from the log's end only.
import { open } from 'node:fs/promises';

/** How many lines an error message quotes. */
const TAIL_LINES = 5;

/** How much of one output line an error message quotes (an audit: 50 lines of 3,000 characters made one of 8,491). */
const LINE_CHARS = 200;

/**
 * The last lines of the server's log, joined with " | " so the error stays on one line, each cut
 * to LINE_CHARS. Only the log's last 8 KiB are read: a first line that begins before them is
 * left out rather than quoted from its middle.
 */
export async function lastLines(path: string, count = TAIL_LINES): Promise<string> {
  let text = '';
  let midLine = false;
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 8192);
      // One byte more, before the window: whether the window begins a line.
      const before = length < size ? 1 : 0;
      const buffer = Buffer.alloc(length + before);
      await handle.read(buffer, 0, length + before, size - length - before);
      midLine = before === 1 && buffer[0] !== 0x0a;
      text = buffer.subarray(before).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
  const lines = text.split('\n');
  // A first line that began before the window is quoted by its end, marked, when it is all there
  // is (a single line longer than 8 KiB); beside whole lines it is left out.
  if (midLine) {
    const first = lines.shift()!.trim();
    if (lines.every((l) => l.trim() === '')) return first === '' ? '' : `…${first.slice(-LINE_CHARS)}`;
  }
  return lines
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(-count)
    .map((l) => (l.length > LINE_CHARS ? `${l.slice(0, LINE_CHARS)}…` : l))
    .join(' | ');
}
