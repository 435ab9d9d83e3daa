// Where each new connection goes from and to: the server's ports (destinations) and the
// client's source addresses are taken round-robin, local ports from the configured range in
// turn. The port limit of an unbound connect() is per 4-tuple, so every destination and
// every source address brings a whole ephemeral range of its own.
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
}

export interface Endpoint {
  port: number;
  bind: BindSpec | null;
}

export function endpointPicker(plan: EndpointPlan): () => Endpoint {
  let n = 0;
  return () => {
    const i = n++;
    const port = plan.ports[i % plan.ports.length]!;
    const localAddress = plan.sourceAddresses.length > 0 ? plan.sourceAddresses[i % plan.sourceAddresses.length] : undefined;
    if (!plan.bind && localAddress === undefined) return { port, bind: null };
    const [low, high] = plan.localPorts ?? [0, 0];
    return {
      port,
      bind: {
        localAddress,
        localPort: plan.localPorts === null ? 0 : low + (i % (high - low + 1)),
        reuseAddr: plan.reuseAddr,
        // A source address alone (no bind asked for) must not pin a port for every
        // destination, which is what a plain bind(addr, 0) does: let connect() pick it.
        bindAddressNoPort: plan.bind ? plan.bindAddressNoPort : true,
      },
    };
  };
}
