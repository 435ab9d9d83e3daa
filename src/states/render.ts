// Text forms of a states census: the full table (once, or redrawn in place by --watch on a
// terminal) and one plain line per refresh for pipes and logs.
import { int } from '../util/format.js';
import { STATE_NAMES, WATCH_COUNTERS, type Rates, type StatesCensus } from './census.js';
import { counterLabel } from '../observe/counters.js';
import { reuseDelayText } from './tw-reuse.js';
import { stripControl } from '../util/escape.js';

/** A rate with its sign, "+1,204/s", "-0.4/s", "0/s": a counter's movement per second. */
function signedRate(perSec: number): string {
  const rounded = Math.round(perSec);
  if (rounded === 0) return Math.abs(perSec) < 0.05 ? '0/s' : `${perSec > 0 ? '+' : ''}${perSec.toFixed(1)}/s`;
  return `${rounded > 0 ? '+' : ''}${int(rounded)}/s`;
}

const plural = (n: number, word: string): string => `${int(n)} ${word}${n === 1 ? '' : 's'}`;

function percent(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 2 : 1)}%`;
}

function table(rows: string[][], alignRight: (col: number) => boolean): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (alignRight(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * Risk word for the share of a destination's usable ports that connect() cannot use (its
 * heldShare: reusable TIME_WAIT left out); never colour alone. `agesUnknown`: tcp_tw_reuse
 * covers it but its TIME_WAIT ages could not be read, so some held ports may be reusable.
 */
export function destinationRisk(share: number | null, agesUnknown = false): string {
  if (share === null) return '';
  const unless = agesUnknown ? ' unless tcp_tw_reuse takes over its TIME_WAIT (their ages could not be read)' : '';
  if (share >= 1) return `✗ exhausted: connect() gets EADDRNOTAVAIL${unless}`;
  if (share >= 0.8) return `! close to exhaustion${unless}`;
  return '';
}

/**
 * The range as a whole, or '' when no socket holds a port of it. A listener's port and a port a
 * socket took with bind() are skipped by connect() for every destination (__inet_hash_connect:
 * tb->fastreuse >= 0); the table does not say which connected sockets were bound first, so the
 * line names both readings and where the answer is (doctor's probe).
 */
export function rangeUseLine(snap: Pick<StatesCensus, 'rangeUse'>): string {
  const u = snap.rangeUse;
  if (u.usable === null || u.share === null || (u.held === 0 && u.listeners === 0)) return '';
  const listeners = u.listeners > 0 ? `, ${int(u.listeners)} of them listening (connect() skips a listener's port for every destination: held in each row above)` : '';
  const text = `ports of the range held by any socket (every address and destination): ${int(u.held)} of ${int(u.usable)} (${percent(u.share)})${listeners}`;
  // bind(0) without SO_REUSEADDR conflicts with any socket on a port (inet_csk_find_open_port), so
  // this much is certain; connect() only loses the ports whose sockets were bound.
  const connect = "connect() also skips, for every destination, the ports of sockets that called bind() first, which the table cannot show: `twstorm doctor` probes whether it can get one";
  if (u.share >= 1) return `${text}  ! bind(0) gets EADDRINUSE (no port is free of sockets); ${connect}`;
  if (u.share >= 0.8) return `${text}  ! bind(0) is close to EADDRINUSE; ${connect}`;
  return text;
}

export function renderCensus(snap: StatesCensus, rates?: Rates, title = 'TCP sockets in this network namespace'): string {
  const lines: string[] = [];
  const v4 = STATE_NAMES.reduce((sum, s) => sum + snap.ipv4[s], 0);
  const v6 = STATE_NAMES.reduce((sum, s) => sum + snap.ipv6[s], 0);
  lines.push(`${title}: ${int(snap.total)} (IPv4 ${int(v4)}, IPv6 ${int(v6)}), read in ${snap.tookMs.toFixed(0)} ms at ${snap.at}`);

  const header = ['state', 'total', 'client', 'server', 'IPv4', 'IPv6'];
  if (rates) header.push('change');
  const rows: string[][] = [header];
  for (const name of STATE_NAMES) {
    const total = snap.states[name];
    const rate = rates?.states[name] ?? 0;
    if (total === 0 && Math.round(rate) === 0) continue;
    const row = [
      name,
      int(total),
      int(snap.side.client[name] ?? 0),
      int(snap.side.server[name] ?? 0),
      int(snap.ipv4[name]),
      int(snap.ipv6[name]),
    ];
    if (rates) row.push(signedRate(rate));
    rows.push(row);
  }
  if (rows.length === 1) lines.push('  (no TCP sockets)');
  else lines.push(...table(rows, (i) => i > 0).map((l) => `  ${l}`));
  lines.push(
    `  client = local port is not a listening port (outgoing connections); server = accepted on a listening port` +
      (snap.listeningPorts.length > 0 && snap.listeningPorts.length <= 8 ? ` (${snap.listeningPorts.join(', ')})` : ''),
  );

  const g = snap.group;
  if (g) {
    lines.push('');
    const what = g.state === 'all' ? 'all sockets' : g.state;
    lines.push(`${what} by ${g.by}: ${plural(g.matched, 'socket')} in ${plural(g.groups, 'group')}${g.groups > g.rows.length ? `, top ${g.rows.length}` : ''}`);
    if (g.rows.length === 0) lines.push('  (none)');
    // A process key holds /proc/PID/comm, which any process sets to any 15 bytes (prctl
    // PR_SET_NAME, or a write to /proc/self/comm): an escape sequence there would drive the
    // terminal of whoever runs `sudo twstorm states --by process` (clear it, set its title).
    const groupRows = g.rows.map((r) => [stripControl(r.key), int(r.count), g.matched > 0 ? percent(r.count / g.matched) : '']);
    if (g.others > 0) groupRows.push(['(others)', int(g.others), percent(g.others / g.matched)]);
    lines.push(...table(groupRows, (i) => i > 0).map((l) => `  ${l}`));
    if (g.unreadableProcesses) {
      lines.push(`  ${int(g.unreadableProcesses)} processes could not be inspected (other users'): run as root to see their sockets`);
    }
  }

  lines.push('');
  const r = snap.portRange;
  const rangeText = r
    ? `ephemeral range ${r.low}–${r.high}: ${int(r.usable)} usable ports per source address${r.reserved > 0 ? ` (${int(r.reserved)} reserved)` : ''}`
    : 'ephemeral range unknown';
  if (snap.destinations.length === 0) {
    lines.push(`local ports per destination: no outgoing connections (${rangeText})`);
  } else {
    lines.push(
      `local ports in use per destination, top ${snap.destinations.length} of ${int(snap.destinationCount)} (${rangeText}; each destination has its own)`,
    );
    // The reusable column only where tcp_tw_reuse covers a destination shown.
    const reuse = snap.destinations.some((d) => d.twReuse);
    const destRows: string[][] = [['destination', 'in use', 'TIME_WAIT', ...(reuse ? ['reusable'] : []), 'held of usable', '']];
    for (const d of snap.destinations) {
      destRows.push([
        d.destination,
        int(d.inUse),
        int(d.timeWait),
        ...(reuse ? [!d.twReuse ? '–' : d.reusable === null ? '?' : int(d.reusable)] : []),
        d.heldShare === null || d.usable === null ? '?' : `${percent(d.heldShare)} of ${int(d.usable)}`,
        destinationRisk(d.heldShare, d.twReuse && d.reusable === null),
      ]);
    }
    const numeric = reuse ? 5 : 4;
    lines.push(...table(destRows, (i) => i > 0 && i < numeric).map((l) => `  ${l}`));
    const t = snap.twReuse;
    if (reuse) {
      lines.push(
        `  reusable = TIME_WAIT older than ${reuseDelayText(t)}, which a new connect() takes over (tcp_tw_reuse=${t.mode}${t.mode === 2 ? ': loopback destinations only' : ''}, timestamps on; tcp_twsk_unique); held = the other ports in use, and listening ports in the range`,
      );
    } else if (t.timestamps === false && (t.mode === 1 || t.mode === 2) && snap.destinations.some((d) => d.timeWait > 0)) {
      lines.push(`  tcp_tw_reuse=${t.mode} reuses no TIME_WAIT here: tcp_timestamps is 0, and reuse needs a timestamp (tcp_twsk_unique); turn timestamps on to let it`);
    } else if (t.mode === null && snap.destinations.some((d) => d.timeWait > 0)) {
      lines.push('  tcp_tw_reuse could not be read, so no TIME_WAIT is counted as reusable: some held ports may be');
    }
  }
  const range = rangeUseLine(snap);
  if (range !== '') lines.push(range);

  lines.push('');
  const counterText = WATCH_COUNTERS.map((key) => {
    const value = snap.counters[key] ?? 0;
    return rates ? `${counterLabel(key)} ${signedRate(rates.counters[key] ?? 0)}` : `${counterLabel(key)} ${int(value)}`;
  }).join('  ');
  lines.push(`counters${rates ? ' (per second)' : ' (since boot, or since this namespace was made)'}: ${counterText}`);
  if (snap.sockstatTw !== null && snap.sockstatTw !== snap.states.TIME_WAIT) {
    lines.push(
      `sockstat tw ${int(snap.sockstatTw)}: it also counts orphaned FIN_WAIT2 sockets, which the kernel keeps as timewait mini-sockets`,
    );
  }
  return lines.join('\n');
}

/** One line per refresh for pipes: timestamp, non-zero states with their change, counter rates. */
export function renderWatchLine(snap: StatesCensus, rates?: Rates): string {
  const parts: string[] = [snap.at, `total=${snap.total}`];
  for (const name of STATE_NAMES) {
    const n = snap.states[name];
    const rate = rates?.states[name] ?? 0;
    if (n === 0 && Math.round(rate) === 0) continue;
    parts.push(rates ? `${name}=${n}(${signedRate(rate)})` : `${name}=${n}`);
  }
  if (rates) {
    parts.push('|');
    for (const key of WATCH_COUNTERS) parts.push(`${counterLabel(key)}=${signedRate(rates.counters[key] ?? 0)}`);
  }
  const top = snap.destinations[0];
  if (top && top.heldShare !== null) parts.push(`| busiest ${top.destination} ${percent(top.heldShare)}${top.twReuse && top.reusable ? ` (+${int(top.reusable)} reusable)` : ''}`);
  return parts.join(' ');
}
