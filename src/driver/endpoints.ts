// Where each new connection goes from and to: the server's ports (destinations), the client's
// source addresses and its named local ports. The port limit of an unbound connect() is per
// 4-tuple, so every destination and every source address brings a whole ephemeral range of its
// own: connection i takes destination i mod D and source address (i div D) mod S, so the first
// D × S connections meet every (address, destination) pair once. Plain round-robin of both
// (i mod S, i mod D) met only lcm(S, D) of them: 2 addresses and 2 server ports used 2 ranges,
// not 4 (a run: 200 connections where 400 fit, and the plan 50 % off). Named ports
// (client.localPorts) are taken in turn, port fastest, then address, then destination, so the
// first N × S connections bind every (address, port) pair once — what a TIME_WAIT blocks without
// SO_REUSEADDR — and the first N × S × D meet every 4-tuple, what it blocks with it. The rule is
// a pure function of the connection's global index, so engine threads that take every T-th
// index between them spread over the destinations, addresses and ports exactly as one loop would.
import type { BindSpec } from './tcp-connection.js';

export interface EndpointPlan {
  /** Destination ports (the bundled server's). */
  ports: number[];
  /** Source addresses; empty: the kernel chooses. */
  sourceAddresses: string[];
  /** Bind before connect. */
  bind: boolean;
  /** With bind: explicit local ports [low, high] taken in turn; null: port 0. */
  localPorts: [number, number] | null;
  reuseAddr: boolean;
  bindAddressNoPort: boolean;
  /**
   * IP_LOCAL_PORT_RANGE [low, high] on every socket before bind/connect (client.portRange): the
   * kernel's automatic port comes from it. Only the native engine can set it; absent or null: none.
   */
  portRange?: [number, number] | null;
}

export interface Endpoint {
  port: number;
  /** `port`'s index in plan.ports. */
  destination: number;
  bind: BindSpec | null;
}

/** How many named local ports (client.localPorts), 1 when the kernel picks the port. */
const namedPorts = (plan: EndpointPlan): number => (plan.localPorts === null ? 1 : plan.localPorts[1] - plan.localPorts[0] + 1);

/** Index into plan.ports of connection `i`. */
export function destinationIndex(plan: EndpointPlan, i: number): number {
  if (plan.localPorts === null) return i % plan.ports.length;
  return Math.floor(i / (namedPorts(plan) * Math.max(1, plan.sourceAddresses.length))) % plan.ports.length;
}
/** Index into plan.sourceAddresses of connection `i` (-1: none, the kernel chooses). */
export function sourceIndex(plan: EndpointPlan, i: number): number {
  const sources = plan.sourceAddresses.length;
  if (sources === 0) return -1;
  return Math.floor(i / (plan.localPorts === null ? plan.ports.length : namedPorts(plan))) % sources;
}
/** Whether connections bind before connect at all (a source address alone needs a bind too). */
export const bindsFirst = (plan: EndpointPlan): boolean => plan.bind || plan.sourceAddresses.length > 0;
/** Local port of connection `i` (0: the kernel picks). */
export function localPortAt(plan: EndpointPlan, i: number): number {
  if (plan.localPorts === null) return 0;
  const [low, high] = plan.localPorts;
  return low + (i % (high - low + 1));
}
/**
 * IP_BIND_ADDRESS_NO_PORT for a bind: a source address alone (no bind asked for) must not pin
 * a port for every destination, which is what a plain bind(addr, 0) does: let connect() pick it.
 */
export const bindAddressNoPortFor = (plan: EndpointPlan): boolean => (plan.bind ? plan.bindAddressNoPort : true);

export function endpointAt(plan: EndpointPlan, i: number): Endpoint {
  const destination = destinationIndex(plan, i);
  const port = plan.ports[destination]!;
  const s = sourceIndex(plan, i);
  const localAddress = s >= 0 ? plan.sourceAddresses[s] : undefined;
  if (!bindsFirst(plan)) return { port, destination, bind: null };
  return {
    port,
    destination,
    bind: { localAddress, localPort: localPortAt(plan, i), reuseAddr: plan.reuseAddr, bindAddressNoPort: bindAddressNoPortFor(plan) },
  };
}

export function endpointPicker(plan: EndpointPlan): () => Endpoint {
  let n = 0;
  return () => endpointAt(plan, n++);
}
