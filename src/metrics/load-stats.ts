// Everything the load driver records, in one place, so the driver only has to say what
// happened and the result builder only has to read it.
import { newHistogram, type Histogram, type HistogramCounts } from './histograms.js';
import { PortTracker } from './port-tracker.js';
import { IntervalSeries } from './series.js';
import { ConnectFill, type ConnectMeasure } from './connect-fill.js';
import { byCodeUnit } from '../util/order.js';

/**
 * Where in a connection's life an error struck; 'bind' is bind() before connect(), 'socket' is
 * socket() itself (EMFILE, ENFILE: the native engine sees it apart; libuv folds it into connect).
 */
export type Phase = 'socket' | 'bind' | 'connect' | 'write' | 'read' | 'close';

/** The latency histograms of a load, each in one form: slot counts, or a result's text. */
export interface LoadHistograms<H> {
  connect: H;
  firstByte: H;
  total: H;
  close: H;
  /** A connection's whole life, from its (intended) start until its close completed. */
  life: H;
  portReuseInterval: H;
}

export type LoadHistogramCounts = LoadHistograms<HistogramCounts>;

export interface ErrorCount {
  total: number;
  byPhase: Partial<Record<Phase, number>>;
}

export class LoadStats {
  attempted = 0;
  established = 0;
  completed = 0;
  failed = 0;
  bytesSent = 0;
  bytesReceived = 0;
  /** Response bytes the server sent (or meant to) that never reached the client: an RST discards them. */
  bytesLost = 0;
  /** HTTP runs only: requests sent, answered 2xx, and failed (any error or non-2xx status). */
  readonly requests = { total: 0, ok: 0, failed: 0 };
  readonly errors = new Map<string, ErrorCount>();
  /**
   * Errors engine threads have counted but not yet named: they report their codes once, at the
   * end (client-engine.ts merges them into `errors` and sets this back to 0); the progress line
   * shows the total meanwhile.
   */
  errorsUncoded = 0;
  /** Microseconds. In an open loop, connect/firstByte/total count from the intended start. */
  readonly connect: Histogram = newHistogram();
  readonly firstByte: Histogram = newHistogram();
  readonly total: Histogram = newHistogram();
  readonly close: Histogram = newHistogram();
  /**
   * From the (intended) start to the close's end, established connections only. Its minimum is
   * what one connection costs without queueing, close included: the compare gate's anchor for
   * connections/s (compare/load-anchor.ts), which a slower close moves and the runner's load does not.
   */
  readonly life: Histogram = newHistogram();
  /** SO_LINGER n closes: how long close() blocked its (worker) thread, in microseconds. */
  readonly lingerBlocked: Histogram = newHistogram();
  readonly ports: PortTracker;
  readonly series: IntervalSeries;
  /** connect() latency against ports held, by the local port's parity (the port-scan cliff). */
  readonly connectFill: ConnectFill;

  /**
   * `measure`: what the driver's connect latency is (connect-fill.ts); the `net` driver's is
   * 'established'. `ports`: an engine thread's tracker on the port table its threads share.
   */
  constructor(intervalMs: number, measure: ConnectMeasure = 'established', ports: PortTracker = new PortTracker()) {
    this.ports = ports;
    this.series = new IntervalSeries(intervalMs);
    this.connectFill = new ConnectFill(intervalMs, measure);
  }

  /**
   * The histograms in the form `as` makes: slot counts (histogramCounts) as an engine thread
   * hands them to its run, compressed (histogram-encoding.ts) as a result stores them.
   */
  histogramsAs<H>(as: (h: Histogram) => H): LoadHistograms<H> {
    return {
      connect: as(this.connect),
      firstByte: as(this.firstByte),
      total: as(this.total),
      close: as(this.close),
      life: as(this.life),
      portReuseInterval: as(this.ports.reuseIntervals),
    };
  }

  recordAttempt(tMs: number): void {
    this.attempted++;
    this.series.add('attempted', tMs);
  }

  /** `destination`: which of the run's server ports (0…) the connection went to. */
  recordEstablished(tMs: number, connectUs: number, localPort: number, localAddress = '', destination = 0): void {
    this.established++;
    this.connect.recordValue(atLeast1(connectUs));
    const held = this.ports.opened(localPort, tMs, localAddress, destination);
    if (localPort > 0) this.connectFill.record(tMs, localPort, held, connectUs);
    this.series.add('established', tMs);
  }

  recordCompleted(tMs: number): void {
    this.completed++;
    this.series.add('completed', tMs);
  }

  recordFailed(tMs: number): void {
    this.failed++;
    this.series.add('failed', tMs);
  }

  /** HTTP: one request finished, well or not. Connection counts are kept apart by the connector. */
  recordRequest(ok: boolean, tMs: number): void {
    this.requests.total++;
    if (ok) this.requests.ok++;
    else this.requests.failed++;
    this.series.add(ok ? 'requestsOk' : 'requestsFailed', tMs);
  }

  recordError(code: string, phase: Phase, tMs: number): void {
    let count = this.errors.get(code);
    if (count === undefined) {
      count = { total: 0, byPhase: {} };
      this.errors.set(code, count);
    }
    count.total++;
    count.byPhase[phase] = (count.byPhase[phase] ?? 0) + 1;
    this.series.add(`errors.${code}`, tMs);
    // EADDRNOTAVAIL on connect() means the kernel found no local port free for this
    // destination: the ephemeral range is exhausted (inet_hash_connect gave up).
    if (code === 'EADDRNOTAVAIL' && phase === 'connect') this.ports.exhausted(tMs);
    // A bind-before-connect that finds no free port: bind() to port 0 fails with EADDRINUSE
    // once every port in the range is held (inet_csk_get_port), the same exhaustion.
    if (code === 'EADDRINUSE' && phase === 'bind') this.ports.exhausted(tMs);
  }

  errorsObject(): Record<string, ErrorCount> {
    return Object.fromEntries([...this.errors].sort(([a], [b]) => byCodeUnit(a, b)));
  }
}

/** HdrHistogram cannot tell 0 from "nothing"; sub-microsecond values are rounded up. */
const atLeast1 = (us: number): number => Math.max(1, Math.round(us));
