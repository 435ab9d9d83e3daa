// The shape a result file must have before anything reads it: every field the reports, the
// comparison, the thresholds and the capacity model read, with its type and a sane bound. A
// truncated, foreign or hand-edited file fails here, on its first bad field, instead of as a
// TypeError deep in a renderer. Objects are loose: a result from a newer twstorm may carry
// fields this one does not know (fields are added, never renamed), and they are kept.
import { z } from 'zod';
import { CLOSE_MODES, CLOSERS, SERVER_CLOSE_MODES, HTTP_CLIENTS, HTTP_POLICIES, PROTOCOLS } from '../scenario/index.js';
import { RESULT_SCHEMA } from './model.js';

/** A number between two bounds: the only kind of number check a result file needs. */
type Range = readonly [min: number, max: number];
const between = ([min, max]: Range) => z.number().min(min).max(max);
/** Counts, bytes and milliseconds: finite, not negative, exact in a double. */
const COUNT: Range = [0, Number.MAX_SAFE_INTEGER];
const count = between(COUNT);
/** A run-clock time or a difference: finite and exact in a double. */
const TIME: Range = [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
const time = between(TIME);
/** Text a report shows: bounded, so a hand-made file cannot make a page of megabytes from one field. */
const text = (max = 10_000) => z.string().max(max);
const counts = z.record(text(200), count);

/**
 * `z.array(between(range))` (and `.max(maxLength)`) for the long arrays: series columns,
 * connect-fill cells. zod parses an array element by element, ~70 ms per 800,000 numbers here:
 * most of reading a 5.5-hour result (200,000 samples a column). A loop accepts a well-formed
 * array (~2 ms); anything else goes through the zod array, so the issue, its message and its
 * path (`series.kernel.tw.17`) are zod's own. It takes a range, not any number schema: the loop
 * checks exactly min and max, nothing else (no int(), no exclusive bounds).
 */
function numbers(range: Range, maxLength = Infinity): z.ZodType<number[]> {
  const item = between(range);
  const exact = maxLength === Infinity ? z.array(item) : z.array(item).max(maxLength);
  const [lo, hi] = range;
  return z.custom<number[]>().superRefine((value, ctx) => {
    if (Array.isArray(value) && value.length <= maxLength) {
      let i = 0;
      for (; i < value.length; i++) {
        const v: unknown = value[i];
        // NaN fails both comparisons.
        if (typeof v !== 'number' || !(v >= lo && v <= hi)) break;
      }
      if (i === value.length) return;
    }
    for (const issue of exact.safeParse(value).error?.issues ?? []) ctx.addIssue({ ...issue });
  });
}

/** A series column: one number per sample. */
const column = numbers(TIME);
const columns = z.record(text(200), column);

const percentiles = z.looseObject({
  count,
  min: time.nullable(),
  mean: time.nullable(),
  p50: time.nullable(),
  p90: time.nullable(),
  p99: time.nullable(),
  p999: time.nullable(),
  max: time.nullable(),
});

/** The scenario as run: the fields analysis reads (the rest is kept as written). */
const scenario = z.looseObject({
  name: text(1000),
  protocol: z.enum(PROTOCOLS),
  connections: count,
  duration: count,
  concurrency: count,
  rate: count.nullable(),
  maxInFlight: count,
  close: z.looseObject({
    first: z.enum(CLOSERS),
    client: z.enum(CLOSE_MODES),
    server: z.enum(SERVER_CLOSE_MODES),
    lingerSeconds: count,
  }),
  server: z.looseObject({ host: text(1000), port: count, ports: count.optional() }),
  http: z.looseObject({
    client: z.enum(HTTP_CLIENTS),
    policy: z.enum(HTTP_POLICIES),
    requests: count,
    connections: count.nullable(),
    closeAfter: count,
    maxRequestsPerConnection: count,
  }),
  environment: z.looseObject({ sysctls: z.record(text(200), z.union([text(1000), z.number()])) }),
});

/** A band of fill in summary.connectFill (src/result/connect-cliff.ts). */
const fillBand = z.looseObject({ heldFrom: count, heldTo: count, connections: count, p50Ms: count, p99Ms: count }).nullable();
const parityFacts = { firstAtMs: time.nullable(), minHeld: count.nullable() };

const summary = z.looseObject({
  durationMs: count,
  connections: z.looseObject({ attempted: count, established: count, completed: count, failed: count, ratePerSec: count }),
  errors: counts,
  serverErrors: counts,
  timeWait: z.looseObject({
    peak: count,
    peakClient: count,
    peakServer: count,
    end: count,
    sockstatPeak: count,
    peakAtMs: time.nullable().optional(),
    reopened: count.optional(),
  }),
  ports: z.looseObject({
    distinct: count,
    reused: count,
    reuses: count,
    minReuseIntervalMs: count.nullable(),
    medianReuseIntervalMs: count.nullable(),
    exhaustedAtMs: time.nullable(),
    establishedBeforeExhaustion: count.nullable().optional(),
    peakInUse: count,
    range: z.looseObject({ low: count, high: count, size: count }).nullable(),
  }),
  latencyMs: z.looseObject({ connect: percentiles, firstByte: percentiles, total: percentiles, close: percentiles, life: percentiles.optional() }),
  kernel: z.record(text(200), time),
  bytes: z.looseObject({ sent: count, received: count, lost: count }),
  restart: z.looseObject({ ok: z.boolean(), unavailableMs: count, attempts: count, failures: counts }).optional(),
  lingerBlockedMs: percentiles.optional(),
  requests: z
    .looseObject({ total: count, ok: count, failed: count, ratePerSec: count, perConnection: count })
    .optional(),
  driver: z.looseObject({
    cpuUserMs: count,
    cpuSystemMs: count,
    cpuMsPer1000: count.nullable(),
    eventLoopDelayMs: z.looseObject({ p50: count, p99: count, max: count }),
  }),
  connectFill: z
    .looseObject({
      even: percentiles.extend(parityFacts),
      odd: percentiles.extend(parityFacts),
      lowFill: fillBand,
      highFill: fillBand,
      cliff: z.looseObject({ atHeld: count, atFill: count.nullable(), atMs: time.nullable(), slowdownP50: count, slowdownP99: count }).nullable(),
    })
    .optional(),
});

/** Base64 of a compressed HdrHistogram (decoded and checked by the reader). */
const histogram = z.string().max(10_000_000).regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: 'expected a base64 HdrHistogram' });

export const resultSchema = z.looseObject({
  schema: z.literal(RESULT_SCHEMA, { error: `expected "${RESULT_SCHEMA}"` }),
  tool: z.looseObject({ name: z.literal('twstorm'), version: text(100) }),
  scenario,
  variant: z.looseObject({ label: text(), values: z.record(text(200), z.union([text(1000), z.number(), z.boolean(), z.null()])) }).nullable(),
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime(),
  interrupted: z.boolean(),
  interruptedBy: text(100).optional(),
  stoppedBy: text(100),
  failed: text().optional(),
  load: z.looseObject({ startMs: time, endMs: time, costUnit: z.enum(['requests', 'connections']).optional() }),
  environment: z.looseObject({
    isolation: text(100),
    how: text(),
    notice: text().nullable(),
    kernel: text(1000),
    node: text(100),
    sysctls: z.record(text(200), text(1000).nullable()),
    sysctlsRequested: z.record(text(200), text(1000)).optional(),
  }),
  server: z.looseObject({
    host: text(1000),
    port: count,
    ports: z.array(count).optional(),
    stats: z.looseObject({
      accepted: count,
      replied: count,
      closedFin: count,
      closedRst: count,
      open: count,
      errors: counts,
      acceptedPerListener: z.array(count).optional(),
      emptyAccepts: count.optional(),
      io: z.enum(['io_uring', 'epoll']).optional(),
      ioFallback: text(1000).optional(),
      linger: z.looseObject({ closes: count, blockedMsTotal: count, blockedMsMax: count }).optional(),
    }),
    restart: z
      .looseObject({
        ok: z.boolean(),
        unavailableMs: count,
        attempts: z.array(z.looseObject({ tMs: time, code: text(100).nullable() })),
      })
      .nullable()
      .optional(),
  }),
  summary,
  errors: z.record(text(200), z.looseObject({ total: count, byPhase: counts })),
  series: z.looseObject({
    driver: z.looseObject({ intervalMs: count, t: column, columns }),
    kernel: z.looseObject({ t: column, tw: column, inuse: column, counters: columns }),
    census: z.looseObject({ t: column, client: columns, server: columns }),
  }),
  connectFill: z
    .looseObject({
      measure: z.enum(['connect-call', 'established']),
      heldBucketPorts: count.max(65536).min(1),
      binsPerDoubling: count.min(1).max(64),
      intervalMs: count.min(1),
      // Flat quads of small integers; bounded so a hand-made file cannot ask for gigabytes.
      byHeld: numbers(COUNT, 4_000_000),
      byTime: numbers(COUNT, 40_000_000),
      heldMax: numbers(COUNT, 10_000_000),
      parity: z.looseObject({ even: z.looseObject({ connections: count, ...parityFacts }), odd: z.looseObject({ connections: count, ...parityFacts }) }),
      histograms: z.looseObject({ even: histogram, odd: histogram }),
    })
    .optional(),
  histograms: z.looseObject({
    connect: histogram,
    firstByte: histogram,
    total: histogram,
    close: histogram,
    life: histogram.optional(),
    portReuseInterval: histogram,
  }),
  // A routed-lab run's hosts, router and server census (result/lab.ts), which the lab's page
  // and terminal lines draw: checked here like the rest, so a bad sample time is refused with
  // its path instead of drawn as NaN.
  lab: z
    .looseObject({
      topology: z.literal('routed'),
      hosts: z.array(
        z.looseObject({
          name: text(200),
          role: z.enum(['client', 'server']),
          address: text(200),
          summary: summary.optional(),
          timeWaitPeak: count.optional(),
          timeWaitEnd: count.optional(),
          sockstatPeak: count.optional(),
          kernel: z.record(text(200), time).optional(),
        }),
      ),
      router: z.looseObject({
        nat: z.looseObject({ addresses: count, ports: z.tuple([count, count]), randomFully: z.boolean(), pool: z.array(text(200)), tuples: count }).nullable(),
        conntrack: z.looseObject({
          samples: z.array(z.looseObject({ t: time, stats: z.record(text(200), time).nullable(), states: counts })),
          peakEntries: count,
          peakTimeWait: count,
          counters: z.record(text(200), time),
          limit: z.looseObject({ max: count, droppedSyns: count }).optional(),
        }),
      }),
      serverCensus: z.array(z.looseObject({ t: time, states: counts })),
      loadsReleasedAtMs: time.optional(),
    })
    .optional(),
});
