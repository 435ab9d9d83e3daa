// A live line on a terminal while the load runs; nothing when output is piped (CI logs keep
// only the final summary).
import type { Clock } from '../util/clock.js';
import type { LoadStats } from '../metrics/load-stats.js';

export function startProgress(stats: LoadStats, clock: Clock, stream: NodeJS.WriteStream = process.stderr): { stop(): void } {
  if (!stream.isTTY) return { stop() {} };
  const draw = (): void => {
    const errors = [...stats.errors].map(([code, count]) => `${code}=${count.total}`).join(' ');
    stream.write(
      `\r\x1b[2K  ${(clock() / 1000).toFixed(1)}s  attempted ${stats.attempted}  established ${stats.established}` +
        `  failed ${stats.failed}${errors ? `  ${errors}` : ''}`,
    );
  };
  const timer = setInterval(draw, 500);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      stream.write('\r\x1b[2K');
    },
  };
}
