// undici ends every connection it is done with (`reset: true`, `Connection: close`, an idle
// timeout) by destroying the socket with an InformationalError (code UND_ERR_INFO), and Node's
// stream destroy() reads that error's `.stack` at once (lib/internal/streams/destroy.js,
// checkError: a workaround for a V8 leak, nodejs/node#34103). Formatting a stack of a dozen
// frames is ~10 µs: measured with bench/undici-reset-cpu.ts, 10-12 % of the undici driver's CPU
// per request, time the server under test does not get. The error is no failure and its stack is
// never shown, so while the driver runs such an error's stack is its first line only; every other
// error keeps the format V8 and Node give it.
import { INFORMATIONAL } from './undici-errors.js';

type Prepare = NonNullable<ErrorConstructor['prepareStackTrace']>;

/** V8's and Node's own format: the error's first line, then one "    at" line per frame. */
const usual: Prepare = (err, frames) => (frames.length === 0 ? String(err) : `${String(err)}\n    at ${frames.join('\n    at ')}`);

/** Runs `load` with InformationalError stacks left unformatted; the previous hook comes back after. */
export async function withCheapInformationalStacks<T>(load: () => Promise<T>): Promise<T> {
  const previous = Error.prepareStackTrace;
  const format = previous ?? usual;
  Error.prepareStackTrace = (err, frames) =>
    (err as { code?: unknown } | null)?.code === INFORMATIONAL ? String(err) : format(err, frames);
  try {
    return await load();
  } finally {
    Error.prepareStackTrace = previous;
  }
}
