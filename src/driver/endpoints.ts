// Where each new connection goes from and to: the server's ports (destinations) and the
// client's source addresses are taken round-robin, local ports from the configured range in
// turn. The port limit of an unbound connect() is per 4-tuple, so every destination and
// every source address brings a whole ephemeral range of its own. The rule is a pure function
// of the connection's global index, so engine threads that take every T-th index between them
// spread over the destinations, addresses and ports exactly as one loop would.
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
  bind: BindSpec | null;
}

/** Index into plan.ports of connection `i`. */
export const destinationIndex = (plan: EndpointPlan, i: number): number => i % plan.ports.length;
/** Index into plan.sourceAddresses of connection `i` (-1: none, the kernel chooses). */
export const sourceIndex = (plan: EndpointPlan, i: number): number =>
  plan.sourceAddresses.length > 0 ? i % plan.sourceAddresses.length : -1;
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
  const port = plan.ports[destinationIndex(plan, i)]!;
  const s = sourceIndex(plan, i);
  const localAddress = s >= 0 ? plan.sourceAddresses[s] : undefined;
  if (!bindsFirst(plan)) return { port, bind: null };
  return {
    port,
    bind: { localAddress, localPort: localPortAt(plan, i), reuseAddr: plan.reuseAddr, bindAddressNoPort: bindAddressNoPortFor(plan) },
  };
}

export function endpointPicker(plan: EndpointPlan): () => Endpoint {
  let n = 0;
  return () => endpointAt(plan, n++);
}
