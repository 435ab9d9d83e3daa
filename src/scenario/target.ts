// `target:` — an external server the run loads instead of starting one. Parsed here so the
// schema can refuse a non-loopback address before anything runs (a typo must never turn
// twstorm on someone else's machine).
import { isIP } from 'node:net';

export interface Target {
  /** As written in the scenario. */
  text: string;
  /** Host name or address, without IPv6 brackets. */
  host: string;
  port: number;
  /** 127.0.0.0/8, ::1, ::ffff:127.x or the name "localhost": the machine the run is on. */
  loopback: boolean;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(h) || /^::ffff:127\./.test(h);
  return false;
}

/** A Target, or the problem in one sentence. */
export function parseTarget(text: string): Target | string {
  let host: string;
  let portText: string;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return 'not a valid URL';
    }
    if (url.protocol !== 'http:') return `only http:// URLs can be a target (got ${url.protocol})`;
    if (url.pathname !== '/' || url.search !== '') return 'the target URL must have no path: give the request target as http.path';
    host = url.hostname.replace(/^\[|\]$/g, '');
    portText = url.port === '' ? '80' : url.port;
  } else {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text);
    // The schema's problem line ends with what was given ("got …"): said there, once.
    if (!m) return 'expected "host:port" or "[v6-address]:port"';
    host = m[1] ?? m[2]!;
    portText = m[3]!;
    if (m[1] !== undefined && isIP(host) !== 6) return `"${host}" in brackets is not an IPv6 address`;
  }
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `port ${portText} is outside 1-65535`;
  return { text, host, port, loopback: isLoopbackHost(host) };
}
