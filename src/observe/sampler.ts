/**
 * Samples kernel state over time on two clocks: the cheap files (sockstat, snmp, netstat)
 * every `sampleMs`, and the TCP table census every `censusMs`. The split follows measured
 * costs at 30,000 sockets: the cheap files take ~0.1 ms together while the census walks the
 * kernel's connection hash table (55–60 ms through /proc/net/tcp; far less through the
 * sock_diag dump tcp-source.ts prefers, but still growing with the table). Between census
 * ticks a census is also taken when the cheap counts moved (see CENSUS_CHANGE_SHARE), within a
 * budget of its own (CENSUS_CHANGE_BUDGET), so a short run over a small table gets a census
 * curve at the sample rate.
 */

import { KEY_COUNTERS, parseCounterTable, pickCounters } from './counters.js';
import { readProcNet, DEFAULT_PROC_ROOT } from './procfs.js';
import { parseSockstat, parseSockstat6 } from './sockstat.js';
import type { StateCounts } from './tcp-table.js';
import { takeTcpCensus } from './tcp-source.js';
import { threadCpuMs } from '../sockets/thread-cpu.js';

/** Share of one core the TCP table census may take (see onTick). */
const CENSUS_BUDGET = 0.05;
/** A census cheaper than this is never deferred (a small table: the cadence asked for holds). */
const CENSUS_FREE_MS = 10;
/**
 * Change-driven census: a census is also due when the cheap sockstat counts (`tw`, `inuse`)
 * moved by this share of their value at the last census, or by CENSUS_CHANGE_MIN sockets,
 * whichever is more. A 0.4 s storm over a few hundred sockets then gets a census at every cheap
 * tick while it rises and one just after it stops, instead of one before and one after; a steady
 * run keeps the cadence.
 */
const CENSUS_CHANGE_SHARE = 0.1;
const CENSUS_CHANGE_MIN = 16;
/**
 * Share of one core the change-driven census may take, with no free pass: in a storm the counts
 * move at every tick, and a 10 ms census at every 100 ms tick took 10 % of a core — measured
 * 5-15 % of the requests of a 5 s raw HTTP run against nginx (30,000 TIME_WAIT). At 1 % a census
 * of a few hundred sockets (~0.5 ms) still follows every tick; one of 30,000 comes once a second.
 * The first one after the baseline is free: the baseline's cost is warm-up and not counted.
 */
const CENSUS_CHANGE_BUDGET = 0.01;

export interface KernelSample {
  /** ms on the caller's clock, taken when the sample's reads began. */
  t: number;
  /** `inuse` is IPv4 only and `inuse6` IPv6 only; `orphan` and `alloc` are host-wide. */
  sockstat: { inuse: number; inuse6: number; tw: number; orphan: number; alloc: number };
  /** Absolute values of KEY_COUNTERS (0 where this kernel lacks one). */
  counters: Record<string, number>;
  /**
   * Present on census ticks. `t` is when the census began walking the table (just after the cheap
   * files were read): a census of tens of thousands of sockets takes tens of ms, and the counts
   * describe the table from that moment on, not when the walk ended and the result was read back.
   */
  census?: { t: number; client: StateCounts; server: StateCounts };
}

export interface KernelSamplerOptions {
  sampleMs: number;
  /** Rounded to a multiple of sampleMs (at least one tick). */
  censusMs: number;
  /** Local ports that make a socket "server side" in the census. */
  serverPorts: number[];
  /** ms on the run's clock; default performance.now(). */
  clock?: () => number;
  /** This thread's CPU time in ms, or undefined where unknown; default threadCpuMs() (tests freeze it). */
  cpuClock?: () => number | undefined;
  /** Where /proc lives; tests point it at fixtures. */
  root?: string;
  /** Called with each sample as it is taken (live display, streaming from a worker). */
  onSample?: (sample: KernelSample) => void;
  /** Called when a sample fails; the sampler keeps going. */
  onError?: (err: unknown) => void;
  /**
   * Share of one core the census on its cadence may take (default 0.05), the cost under which
   * that census is never deferred (default 10 ms), and the share the change-driven census may
   * take (default 0.01, never free after the first). `{ share: 1, freeMs: Infinity, changeShare: 1 }` keeps
   * the exact cadence and follows every change.
   */
  censusBudget?: { share: number; freeMs: number; changeShare: number };
}

export class KernelSampler {
  private readonly sampleMs: number;
  private readonly censusEveryTicks: number;
  private readonly serverPorts: ReadonlySet<number>;
  private readonly clock: () => number;
  private readonly cpuClock: () => number | undefined;
  private readonly root: string;
  private readonly onSample: ((sample: KernelSample) => void) | undefined;
  private readonly onError: ((err: unknown) => void) | undefined;

  private readonly samples: KernelSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<KernelSample> | undefined;
  private ticks = 0;
  private censusPending = false;
  /** A census tick came while the budget said wait: taken at the first tick the budget allows. */
  private censusDue = false;
  private lastCensusAt = -Infinity;
  /** sockstat counts at the last census and at the last cheap sample (change-driven census). */
  private atLastCensus: { tw: number; inuse: number } | undefined;
  private latest: { tw: number; inuse: number } | undefined;
  private lastCensusCostMs = 0;
  private censusRunning = false;
  private readonly budget: { share: number; freeMs: number; changeShare: number };
  private finished: Promise<KernelSample[]> | undefined;
  private initial: Promise<void> | undefined;

  /** Timer ticks dropped because the previous sample was still being read. */
  skippedTicks = 0;
  /** The most recent sampling failure, if any. */
  lastError: unknown = undefined;

  constructor(options: KernelSamplerOptions) {
    if (!(options.sampleMs > 0)) throw new RangeError(`sampleMs must be > 0, got ${options.sampleMs}`);
    if (!(options.censusMs > 0)) throw new RangeError(`censusMs must be > 0, got ${options.censusMs}`);
    this.sampleMs = options.sampleMs;
    this.censusEveryTicks = Math.max(1, Math.round(options.censusMs / options.sampleMs));
    this.serverPorts = new Set(options.serverPorts);
    this.clock = options.clock ?? (() => performance.now());
    this.cpuClock = options.cpuClock ?? threadCpuMs;
    this.root = options.root ?? DEFAULT_PROC_ROOT;
    this.onSample = options.onSample;
    this.onError = options.onError;
    this.budget = options.censusBudget ?? { share: CENSUS_BUDGET, freeMs: CENSUS_FREE_MS, changeShare: CENSUS_CHANGE_BUDGET };
  }

  /** Effective census period after rounding to whole sample ticks. */
  get censusMs(): number {
    return this.censusEveryTicks * this.sampleMs;
  }

  /** Takes a first sample (with census) at once, then samples on the timer. */
  start(): void {
    if (this.timer !== undefined || this.finished !== undefined) throw new Error('KernelSampler already started');
    this.timer = setInterval(() => this.onTick(), this.sampleMs);
    // The sampler observes a run; it must never be the reason the process stays alive.
    this.timer.unref();
    this.initial = this.exclusive(true).then(
      () => undefined,
      () => undefined,
    );
  }

  /**
   * Settles once the first sample (the run's baseline) has been taken or has failed;
   * callers start their load after it so counter deltas cover all of it.
   */
  get ready(): Promise<void> {
    return this.initial ?? Promise.reject(new Error('KernelSampler not started'));
  }

  /**
   * Takes one sample now (with a census unless told otherwise), after any sample in flight,
   * and records it with the others.
   */
  sampleNow(options: { census?: boolean } = {}): Promise<KernelSample> {
    return this.exclusive(options.census ?? true);
  }

  /** Stops the timer, takes a final sample with a census, returns every sample in order. */
  stop(): Promise<KernelSample[]> {
    this.finished ??= (async () => {
      if (this.timer !== undefined) clearInterval(this.timer);
      this.timer = undefined;
      // A failed final sample is already reported through onError/lastError; the samples
      // taken so far are still worth returning.
      await this.exclusive(true).catch(() => undefined);
      return this.samples.slice();
    })();
    return this.finished;
  }

  private onTick(): void {
    this.ticks += 1;
    // Adaptive census: reading and parsing /proc/net/tcp grows with the table (55-60 ms at
    // 30,000 sockets on an idle machine, 200+ ms on a busy one), and the storm needs that CPU.
    // A census is due at `censusMs`, but never sooner than CENSUS_BUDGET⁻¹ times its own last
    // cost after the previous one, so it takes at most ~5 % of a core however large the table
    // (plus the change-driven census's 1 %, see take()). The cost is CPU time where the census
    // ran on this thread (censusCostMs): the wall clock also counts the wait for a CPU, which in
    // a storm deferred a 28,000-socket census twice as long as its CPU share required.
    if (this.ticks % this.censusEveryTicks === 0) this.censusDue = true;
    if (this.censusDue && !this.censusRunning && this.censusAffordable(this.budget.share, this.budget.freeMs)) {
      this.censusDue = false;
      this.censusPending = true;
    }
    // Skip rather than queue: queued reads would bunch up after a slow one and report
    // several samples for the same moment.
    if (this.inFlight !== undefined) {
      this.skippedTicks += 1;
      return;
    }
    const census = this.censusPending;
    this.exclusive(census).catch(() => undefined);
  }

  /**
   * A census is affordable now when its last cost, spread over the time since, fits `share` of a
   * core, or that cost was under `freeMs`. The cadence's census: (share, freeMs); the
   * change-driven one: (changeShare, 0), never free.
   */
  private censusAffordable(share: number, freeMs: number): boolean {
    const gapMs = this.lastCensusCostMs < freeMs ? 0 : this.lastCensusCostMs / share;
    return this.clock() - this.lastCensusAt >= gapMs;
  }

  /** The cheap counts moved enough since the last census that the census curve would miss it. */
  private movedSinceCensus(): boolean {
    const now = this.latest;
    const then = this.atLastCensus;
    if (now === undefined || then === undefined) return false;
    const moved = (a: number, b: number): boolean => Math.abs(a - b) >= Math.max(CENSUS_CHANGE_MIN, CENSUS_CHANGE_SHARE * b);
    return moved(now.tw, then.tw) || moved(now.inuse, then.inuse);
  }

  private async exclusive(census: boolean): Promise<KernelSample> {
    while (this.inFlight !== undefined) await this.inFlight.catch(() => undefined);
    // A census taken for any reason satisfies a pending census tick.
    if (census) {
      this.censusPending = false;
      // While this census runs its cost is unknown: no other census is scheduled meanwhile.
      this.censusRunning = true;
    }
    const run = this.take(census);
    this.inFlight = run;
    try {
      const sample = await run;
      this.samples.push(sample);
      if (this.onSample !== undefined) {
        try {
          this.onSample(sample);
        } catch (err) {
          // A listener's bug is not a sampling failure: the sample is taken and kept.
          this.onError?.(err);
        }
      }
      return sample;
    } catch (err) {
      this.lastError = err;
      this.onError?.(err);
      throw err;
    } finally {
      if (census) this.censusRunning = false;
      if (this.inFlight === run) this.inFlight = undefined;
    }
  }

  private async take(census: boolean): Promise<KernelSample> {
    const t = this.clock();
    const texts = await readProcNet(this.root);
    const sockstat = parseSockstat(texts.sockstat);
    const inuse6 = texts.sockstat6 === '' ? 0 : parseSockstat6(texts.sockstat6).inuse;
    const counters = pickCounters(parseCounterTable(texts.snmp + '\n' + texts.netstat), KEY_COUNTERS);
    const sample: KernelSample = {
      t,
      sockstat: { inuse: sockstat.inuse, inuse6, tw: sockstat.tw, orphan: sockstat.orphan, alloc: sockstat.alloc },
      counters,
    };
    this.latest = { tw: sample.sockstat.tw, inuse: sample.sockstat.inuse + inuse6 };
    // Decided on this sample's own counts, so the census lands on the tick that saw the move.
    if (!census && !this.censusRunning && this.movedSinceCensus() && this.censusAffordable(this.budget.changeShare, 0)) {
      census = true;
      this.censusDue = false;
      this.censusRunning = true;
    }
    if (census) {
      const started = performance.now();
      const cpuStarted = this.cpuClock();
      const censusT = this.clock();
      let onThisThread = false;
      try {
        const { client, server, origin } = await takeTcpCensus(this.serverPorts, this.root);
        sample.census = { t: censusT, client, server };
        this.atLastCensus = this.latest;
        onThisThread = origin === 'sock_diag';
      } finally {
        // The baseline census's cost is mostly warm-up (first open of the files, code not yet
        // optimised), not the table's: counted, it would defer the census through a short run.
        if (this.lastCensusAt !== -Infinity) this.lastCensusCostMs = censusCostMs(started, onThisThread ? cpuStarted : undefined, this.cpuClock);
        this.lastCensusAt = this.clock();
        this.censusRunning = false;
      }
    }
    return sample;
  }
}

/**
 * What a census cost, against the budget's "share of one core": this thread's CPU time when the
 * whole census ran on it (the sock_diag dump: the kernel builds it inside this thread's recv()),
 * else the wall clock (the /proc text is formatted on a libuv pool thread). In a storm the engine
 * keeps every core busy and a census waits for a CPU: a 28,000-socket census at 250 ms came
 * every 300 ms (median) and up to 1 s apart by the wall clock, and at most 400 ms apart by CPU time
 * (see the onTick comment).
 */
export function censusCostMs(startedWallMs: number, startedCpuMs: number | undefined, cpuClock: () => number | undefined = threadCpuMs): number {
  const cpu = startedCpuMs === undefined ? undefined : cpuClock();
  return cpu === undefined || startedCpuMs === undefined ? performance.now() - startedWallMs : cpu - startedCpuMs;
}
