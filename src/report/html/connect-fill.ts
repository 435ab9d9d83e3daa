// connect() latency as the port range fills: over time (on the shared time axis, so the
// cursor lines up with TIME_WAIT and the ports chart) and over the ports held, even and odd
// local ports apart. The kernel walks the ports of the range's low-end parity first, so the
// climb shows as the moment the other parity appears (src/metrics/connect-fill.ts).
import type { RunResult } from '../../result/model.js';
import { cliffRange, connectByHeld, connectOverTime, firstParity } from '../../result/connect-cliff.js';
import type { ChartSpec, Marker } from './chart-spec.js';
import { chartFrom, LOAD_TIME_LABEL, secs } from './chart-spec.js';
import { runLabels } from '../../result/provenance.js';
import { connectFillHost } from '../../result/lab.js';

/** The two charts for every run that recorded connect-fill cells (none for older results). */
export function connectFillCharts(results: RunResult[]): { time: ChartSpec[]; held: ChartSpec[] } {
  const time: ChartSpec[] = [];
  const held: ChartSpec[] = [];
  const labels = runLabels(results);
  results.forEach((r, i) => {
    const data = r.connectFill;
    if (!data || (data.parity.even.connections === 0 && data.parity.odd.connections === 0)) return;
    // Several client hosts: the cells are the first one's (connectFillHost), and the charts say so.
    const host = connectFillHost(r);
    const oneHost = host !== null ? ` · ${host.name} of ${host.clientHosts} client hosts` : '';
    const oneHostNote = host !== null ? [`${host.name}'s connections only: each client host walks a port range of its own, and these cells are ${host.name}'s (the other hosts' ports are in the table of client hosts).`] : [];
    const suffix = (results.length > 1 ? ` · ${labels.get(r)!}` : '') + oneHost;
    const id = results.length > 1 ? `-${i}` : '';
    const what = data.measure === 'connect-call' ? 'time inside connect()' : 'connect latency';
    const cliff = r.summary.connectFill?.cliff ?? null;
    // A merge of shards is read in one shard's slice (result/connect-cliff.ts cliffRange).
    const range = cliffRange(r);
    const first = range ? firstParity(range) : null;
    const order = first ? ` The kernel tries ${first} ports first (the parity of the range's low end, ${range!.low}).` : '';

    // A parity no connection got has no line to draw: its legend entry promised one that was not
    // there. Left out, and said why (the kernel's walk had not reached it).
    const parities = (['even', 'odd'] as const).filter((p) => data.parity[p].connections > 0);
    const missing = (['even', 'odd'] as const).find((p) => data.parity[p].connections === 0);
    const missingNote = missing
      ? [`No connection got an ${missing} port${first === (missing === 'even' ? 'odd' : 'even') ? `: the kernel hands out ${first} ports first, and they were never all held` : ''}, so there is no ${missing}-port line.`]
      : [];

    const over = connectOverTime(data);
    const x = secs(r.load.startMs, over.t);
    const timeMarkers: Marker[] = cliff?.atMs != null ? [{ x: secs(r.load.startMs, [cliff.atMs])[0]!, label: `connect() slowed (${cliff.slowdownP50}×)` }] : [];
    time.push(
      chartFrom(
        {
          id: `connect-time${id}`,
          title: `connect() latency over time, even and odd ports${suffix}`,
          description: `Median ${what} per ${data.intervalMs} ms interval, for connections that got an even and an odd local port.${order}`,
          notes: [
            ...oneHostNote,
            'Read from counts in quarter-octave bins (each value ±9 %); the exact percentiles by parity are in the result (summary.connectFill).',
            ...(data.measure === 'established' ? ['The net fallback cannot time the connect() call itself: this is connect to established, event-loop delay included.'] : []),
            ...missingNote,
          ],
          kind: 'time',
          xLabel: LOAD_TIME_LABEL,
          yLabel: 'ms',
          markers: timeMarkers,
        },
        parities.map((p) => ({ x, label: `${p} ports p50`, values: p === 'even' ? over.evenP50 : over.oddP50, points: false })),
      ),
    );

    const rows = connectByHeld(data);
    const hx = rows.map((row) => row.heldFrom);
    const heldMarkers: Marker[] = [];
    if (range) heldMarkers.push({ x: Math.ceil(range.size / 2), label: `half ${range.slice ? "a shard's slice" : 'the range'} (${first} ports all held)` });
    if (cliff) heldMarkers.push({ x: cliff.atHeld, label: `connect() slowed (${cliff.slowdownP50}×)` });
    held.push(
      chartFrom(
        {
          id: `connect-held${id}`,
          title: `connect() latency against ports held${suffix}`,
          description:
            `Median ${what} by the client ports held when the connection was made (${data.heldBucketPorts} ports per step), ` +
            `even and odd local ports apart.${order}`,
          notes: [
            ...oneHostNote,
            'Read from counts in quarter-octave bins (each value ±9 %); the 99th percentiles per step are in the result (connectFill.byHeld).',
            'Ports held: distinct local ports given out in the last 60 s (TIME_WAIT length). Every one is still held when the client closes first with tcp_tw_reuse=0; otherwise it is an upper bound.',
            ...missingNote,
          ],
          kind: 'value',
          xLabel: 'client ports held',
          yLabel: 'ms',
          markers: heldMarkers,
        },
        parities.map((p) => ({ x: hx, label: `${p} ports p50`, values: rows.map((row) => row[p].p50Ms), points: true })),
      ),
    );
  });
  return { time, held };
}
