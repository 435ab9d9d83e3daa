// The digest of /proc/net/tcp texts, on synthetic tables: ranges, reserved ports, wide
// first columns, and the exhaustion verdict per destination.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { censusFromTables, renderCensus, destinationRisk, takeCensus } from '../../src/states/index.js';
import { countReserved, parsePortRange, parseReservedPorts } from '../../src/scenario/port-range.js';

const hex4 = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');
/** One /proc/net/tcp line as get_tcp4_sock / get_timewait4_sock print it (little-endian host). */
const line = (sl: number, local: string, lport: number, remote: string, rport: number, st: string, inode = 0): string =>
  `${String(sl).padStart(4)}: ${local}:${hex4(lport)} ${remote}:${hex4(rport)} ${st} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000`;
const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const LO = '0100007F';
const LO2 = '0200007F';

test('reserved ports are counted only inside the range', () => {
  assert.equal(countReserved('', 1000, 2000), 0);
  assert.equal(countReserved('8080', 1000, 9000), 1);
  assert.equal(countReserved('900-1009,1500,2999-3001', 1000, 3000), 10 + 1 + 2);
  assert.deepEqual(parsePortRange('32768 60999', ''), { low: 32768, high: 60999, size: 28232, reserved: 0, usable: 28232 });
  assert.deepEqual(parsePortRange('40000 40099', '40000-40009'), { low: 40000, high: 40099, size: 100, reserved: 10, usable: 90 });
  assert.equal(parsePortRange('nonsense', ''), null);
  assert.equal(parsePortRange(null, null), null);
});

test('one reserved-ports parser: what the kernel prints, and the first part a user got wrong', () => {
  assert.deepEqual(parseReservedPorts('8080,40000-40009, 50000'), { ranges: [{ low: 8080, high: 8080 }, { low: 40000, high: 40009 }, { low: 50000, high: 50000 }], bad: null });
  assert.deepEqual(parseReservedPorts(''), { ranges: [], bad: null });
  for (const bad of ['40000-3999', '65536', 'x', '1-2-3', '40000 - 40009']) assert.equal(parseReservedPorts(`8080,${bad}`).bad, bad);
  // Port 0 is a port the kernel takes in the list (a review: "0-40199" counted none of them).
  assert.equal(countReserved('0-40199', 40000, 40999), 200);
  // countReserved counts the valid parts of a list only.
  assert.equal(countReserved('8080,x,40000-40009', 40000, 60999), 10);
});

test('12,000 sockets: wide sl column, sides, destinations, exhaustion', () => {
  const lines = [HEADER, line(0, LO, 7000, '00000000', 0, '0A', 1)];
  let sl = 1;
  // 10,000 client TIME_WAIT to 127.0.0.1:7000 from the whole 10,000-port range: exhausted.
  for (let p = 50000; p < 60000; p++) lines.push(line(sl++, LO, p, LO, 7000, '06'));
  // 2,000 to 127.0.0.2:80 from two source addresses, one explicitly bound outside the range.
  for (let i = 0; i < 1000; i++) lines.push(line(sl++, LO, 50000 + i, LO2, 80, '01', 100 + i));
  for (let i = 0; i < 1000; i++) lines.push(line(sl++, '0300007F', 2000 + i, LO2, 80, '06'));
  const range = parsePortRange('50000 59999', '');
  const d = censusFromTables([lines.join('\n') + '\n'], range, { by: 'local-port', top: 3 });
  // A size hint only changes how the per-socket arrays are allocated: too small (they grow from
  // it), about right, none, or not a number (no hint), the census is the same.
  for (const hint of [5_000, 12_001, 0, Number.NaN, Number.POSITIVE_INFINITY, -7]) {
    assert.deepEqual(censusFromTables([lines.join('\n') + '\n'], range, { by: 'local-port', top: 3 }, hint), d, `hint ${hint}`);
  }
  assert.equal(d.total, 12001);
  assert.equal(d.states.TIME_WAIT, 11000);
  assert.equal(d.states.ESTABLISHED, 1000);
  assert.deepEqual(d.side.server, { LISTEN: 1 });
  assert.deepEqual(d.side.client, { ESTABLISHED: 1000, TIME_WAIT: 11000 });
  assert.equal(d.destinationCount, 2);
  const [first, second] = d.destinations;
  assert.deepEqual(
    { ...first, share: first?.share },
    { destination: '127.0.0.1:7000', address: '127.0.0.1', port: 7000, inUse: 10000, inRange: 10000, timeWait: 10000, sourceAddresses: 1, usable: 10000, share: 1 },
  );
  assert.deepEqual(
    [second?.destination, second?.inUse, second?.inRange, second?.timeWait, second?.sourceAddresses, second?.usable],
    ['127.0.0.2:80', 2000, 1000, 1000, 2, 20000],
  );
  assert.match(destinationRisk(first?.share ?? null), /✗ exhausted/);
  assert.match(destinationRisk(0.85), /! close to exhaustion/);
  assert.equal(destinationRisk(0.5), '');
  assert.equal(d.group?.matched, 11000);
  assert.equal(d.group?.groups, 11000);
  assert.equal(d.group?.rows.length, 3);
  assert.equal(d.group?.others, 11000 - d.group!.rows.reduce((s, r) => s + r.count, 0));

  const text = renderCensus({ schema: 'twstorm/states@1', at: '2026-01-01T00:00:00.000Z', counters: {}, sockstatTw: 11000, tookMs: 1, ...d });
  assert.match(text, /127\.0\.0\.1:7000\s+10,000\s+10,000\s+100\.0% of 10,000\s+✗ exhausted/);
});

test('the live namespace can be read by anyone (no root needed for /proc/net)', async () => {
  const snap = await takeCensus();
  assert.equal(snap.schema, 'twstorm/states@1');
  assert.ok(snap.total >= 0);
  // How long it took is measured, not judged here (speed lives in `npm run bench`).
  assert.ok(Number.isFinite(snap.tookMs) && snap.tookMs >= 0, `tookMs ${snap.tookMs}`);
});
