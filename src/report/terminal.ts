// The terminal summary of one run: the figures a user looks for first, then the story. Text
// from the result (scenario name, variant, error codes, sysctl names) may come from a file
// someone was sent: every line goes through stripControl, so no escape sequence reaches the
// terminal.
import type { RunResult } from '../result/model.js';
import type { PercentilesMs } from '../metrics/histograms.js';
import { int, ms, seconds } from '../util/format.js';
import { stripControl } from '../util/escape.js';
import { stopReason } from './stop-reason.js';
import { story } from './story.js';
import { renderTerminalComparison } from './terminal-compare.js';
import { renderLabLines } from './terminal-lab.js';
import { clientPortPool, clientPortRanges, costUnit, exhaustedAfterMs, rateBeforeExhaustion } from '../result/figures.js';
import { counterLabel, countersWhere } from '../observe/counters.js';
import { ownServer } from '../scenario/close-semantics.js';
import { kernelCounters, labOf } from '../result/lab.js';
import { firstToRunOut, shortageCountWords } from './verdict/words.js';

const KERNEL_SHOWN: Array<[string, string]> = countersWhere((c) => c.terminal === true).map((key) => [key, counterLabel(key)]);

/** One run's summary; with its files, they close the block (result JSON, then its HTML report). */
export function renderTerminalSummary(result: RunResult, resultPath?: string, reportPath?: string): string {
  const { summary: s, environment: env, scenario } = result;
  const out: string[] = [];
  const where = env.isolation === 'netns' ? `network namespace (${env.how})` : `HOST network (${env.how})`;
  const name = result.variant ? `${scenario.name} [${result.variant.label}]` : scenario.name;
  out.push(`twstorm ${result.tool.version} · ${name} · ${where} · Linux ${env.kernel} · Node ${env.node}`);
  if (env.notice) out.push(`!! ${env.notice}`);
  const own = result.server.own;
  if (own && 'command' in own) {
    out.push(`server: your command "${stripControl(own.command)}" (its output: ${stripControl(own.logPath)}); the bundled server's own counts do not apply`);
    // The log keeps the start and the end of the output (server/capped-log.ts): say what it lacks.
    if (own.logDropped) {
      out.push(`!! your server wrote more than its log keeps: ${int(own.logDropped)} bytes of its output were left out between the start and the end (a line in the log says where)`);
    }
    // A server that outlives SIGTERM cost the run its whole stopTimeout: say so, and how to fix it.
    // SIGTERM goes to every process of the server's PID namespace; where the kernel did not name
    // it (Linux < 4.12), to its process group only, which a server that left it (setsid) never
    // heard: the line then says so rather than blame the server.
    if (own.exit?.killed && own.exit.sigtermGroupOnly) {
      out.push(`!! your server did not exit within server.stopTimeout (${seconds(scenario.server.stopTimeout)}) and was SIGKILLed; SIGTERM went to its process group only (this kernel does not name its PID namespace), so a process that left the group (setsid) never had it: keep it in the group, or shorten server.stopTimeout`);
    } else if (own.exit?.killed) {
      out.push(`!! your server did not exit within server.stopTimeout (${seconds(scenario.server.stopTimeout)}) of SIGTERM and was SIGKILLed: make it exit on SIGTERM, or shorten server.stopTimeout`);
    }
  }
  out.push('');
  out.push(row('stopped', `because ${stopReason(result)}`));
  const c = s.connections;
  const beforeShortage = rateBeforeExhaustion(result);
  out.push(
    row('connections', `attempted ${int(c.attempted)}  established ${int(c.established)}  completed ${int(c.completed)}` +
      `  failed ${int(c.failed)}  ${int(c.ratePerSec)}/s over ${seconds(s.durationMs)}` +
      (beforeShortage === null ? '' : ` (${int(beforeShortage)}/s until the ports ran out)`)),
  );
  const r = s.requests;
  if (r !== undefined) {
    out.push(
      row('requests', `total ${int(r.total)}  ok ${int(r.ok)}  failed ${int(r.failed)}  ${int(r.ratePerSec)}/s` +
        `  ${r.perConnection} per connection (client ${scenario.http.client}, ${ownServer(scenario) ? 'your own server' : `server ${scenario.http.policy}`})`),
    );
  }
  const errors = Object.entries(result.errors);
  out.push(
    row('errors', errors.length === 0
      ? 'none'
      : errors
          .map(([code, e]) => `${code} ${int(e.total)} (${Object.entries(e.byPhase).map(([p, n]) => `${p} ${int(n)}`).join(', ')})`)
          .join('  ')),
  );
  const serverErrors = Object.entries(s.serverErrors);
  if (serverErrors.length > 0) out.push(row('server errors', serverErrors.map(([code, n]) => `${code} ${int(n)}`).join('  ')));
  const tw = s.timeWait;
  out.push(row('TIME_WAIT', `peak ${int(tw.peak)} (client ${int(tw.peakClient)}, server ${int(tw.peakServer)}), at end ${int(tw.end)}`));
  if (s.restart) {
    const r = s.restart;
    const failures = Object.entries(r.failures).map(([code, n]) => `${code} ${int(n)}`).join(', ');
    out.push(
      row('restart', r.ok
        ? `listening again after ${int(r.attempts)} attempt(s)${failures ? ` (${failures})` : ''}; port unavailable ${ms(r.unavailableMs)} ms`
        : `FAILED: ${int(r.attempts)} attempts (${failures || 'no error code'}); port unavailable ≥ ${seconds(r.unavailableMs)}`),
    );
  }
  const perListener = result.server.stats.acceptedPerListener;
  if (perListener && perListener.length > 1) out.push(row('listeners', `accepted ${perListener.map(int).join(' / ')}`));
  if (s.bytes.lost > 0 || s.lingerBlockedMs || result.server.stats.linger) {
    const sl = result.server.stats.linger;
    out.push(
      row('close', [
        s.bytes.lost > 0 ? `${int(s.bytes.lost)} response bytes lost` : 'no response bytes lost',
        s.lingerBlockedMs ? `client linger close blocked p50 ${ms(s.lingerBlockedMs.p50)} ms, max ${ms(s.lingerBlockedMs.max)} ms` : '',
        sl ? `server linger close blocked max ${ms(sl.blockedMsMax)} ms over ${int(sl.closes)} closes` : '',
      ].filter(Boolean).join('; ')),
    );
  }
  const p = s.ports;
  const pool = clientPortPool(result);
  out.push(
    row('ports', `${int(p.distinct)} distinct, ${int(p.reused)} reused` +
      (p.minReuseIntervalMs !== null ? `, reuse interval min ${ms(p.minReuseIntervalMs)} ms, median ${ms(p.medianReuseIntervalMs)} ms` : '') +
      (pool.range ? `; range ${pool.range.low}–${pool.range.high} (${int(pool.range.size)}${pool.named ? ', named by the client' : ''})${clientPortRanges(result) > 1 ? ` in each of ${clientPortRanges(result)} client hosts` : ''}` : '') +
      (p.exhaustedAtMs !== null
        ? `; exhausted at ${seconds(exhaustedAfterMs(result)!)} into the load${firstToRunOut(result)}` +
          (p.establishedBeforeExhaustion != null ? `, ${shortageCountWords(result)}` : '')
        : '')),
  );
  out.push(row('latency (ms)', ['p50', 'p90', 'p99', 'p99.9', 'max'].map((h) => h.padStart(8)).join('')));
  const latency = (name: string, pc: PercentilesMs): string =>
    row(`  ${name}`, [pc.p50, pc.p90, pc.p99, pc.p999, pc.max].map((v) => ms(v).padStart(8)).join(''));
  out.push(latency('connect', s.latencyMs.connect));
  out.push(latency('first byte', s.latencyMs.firstByte));
  out.push(latency('total', s.latencyMs.total));
  out.push(latency('close', s.latencyMs.close));
  // Start to closed, close delay included: the compare gate's anchor for conn/s.
  if (s.latencyMs.life && s.latencyMs.life.count > 0) out.push(latency('life', s.latencyMs.life));
  // Every measured host's counters, as a threshold on summary.kernel reads them: a routed lab's
  // summary.kernel holds its client hosts' only, and the server host's are added (kernelCounters).
  const lab = labOf(result) !== null;
  const kernel = kernelCounters(result);
  out.push(row('kernel', `${lab ? '(client and server hosts) ' : ''}${KERNEL_SHOWN.map(([key, label]) => `${label} ${int(kernel[key] ?? 0)}`).join('  ')}`));
  const d = s.driver;
  out.push(
    row('driver', `CPU ${int(d.cpuUserMs + d.cpuSystemMs)} ms (${d.cpuMsPer1000 === null ? `no ${costUnit(result)} made` : `${ms(d.cpuMsPer1000)} ms per 1,000 ${costUnit(result)}`}), ` +
      `event-loop delay p99 ${ms(d.eventLoopDelayMs.p99)} ms, max ${ms(d.eventLoopDelayMs.max)} ms`),
  );
  out.push(...renderLabLines(result));
  out.push(row('sysctls', Object.entries(env.sysctls).map(([k, v]) => `${k.replace(/^net\.(ipv4|core)\./, '')}=${v ?? '–'}`).join('  ')));
  out.push('');
  for (const line of story(result)) out.push(`→ ${line}`);
  if (resultPath || reportPath) out.push('');
  if (resultPath) out.push(`result: ${resultPath}`);
  if (reportPath) out.push(`HTML report: ${reportPath}`);
  return out.map(stripControl).join('\n');
}

/**
 * What `twstorm run` prints as each run ends: its summary, ending with its result and HTML
 * report; when more blocks follow (`several`: a matrix, repeats), one blank line after it.
 */
export function renderRunBlock(result: RunResult, resultPath: string, reportPath: string | undefined, several: boolean): string {
  return `${renderTerminalSummary(result, resultPath, reportPath)}\n${several ? '\n' : ''}`;
}

/**
 * The block after several runs: the comparison table, then the comparison report, named with
 * `which` runs it holds ("all 4 runs", "the 2 of 4 runs made before the interrupt").
 */
export function renderComparisonBlock(results: RunResult[], reportPath: string | null, which: string): string {
  const line = reportPath === null ? '' : `\n\nHTML report comparing ${which}: ${stripControl(reportPath)}`;
  return `${renderTerminalComparison(results)}${line}\n`;
}

const row = (label: string, text: string): string => `${label.padEnd(14)}${text}`;
