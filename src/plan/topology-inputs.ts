// What the run's scenario says about the client's port pools, as capacity-model inputs: how
// many source addresses and destinations it spread over, and whether bind() picked the port
// before connect() (one pool shared by every destination) or connect() did (a pool per
// destination, also with IP_BIND_ADDRESS_NO_PORT). plan --from used to assume 1 / 1 / unbound.
import type { Scenario } from '../scenario/index.js';
import { portPools } from '../scenario/port-pools.js';
import { clientHosts } from '../scenario/work.js';

export interface PoolInputs {
  sources: number;
  destinations: number;
  bindBeforeConnect: boolean;
  /** client.localPorts: the driver takes ports from this range itself instead of the kernel's. */
  localPorts: { low: number; high: number } | null;
  /**
   * client.reuseAddr (SO_REUSEADDR before bind): a named port binds over its own TIME_WAIT, which
   * connect() then takes over (tcp_twsk_unique), so the port is not held 60 s (an audit: the plan
   * dropped it and said "exhaustion 0.50 s" where 1,000 of 1,000 connected).
   */
  reuseAddr: boolean;
  /** Where each came from, for the plan's sources column. */
  from: { sources: string; destinations: string; bindBeforeConnect: string };
}

/**
 * In a routed lab every client host is a machine of its own, with its own ephemeral range: to
 * the model, each host's addresses are more sources (the server host sees each as its own
 * address), and its destinations are the server host's ports, wherever the scenario's
 * server.host (the loopback default) pointed.
 */
export function poolInputs(scenario: Scenario): PoolInputs {
  const pools = loopbackPoolInputs(scenario);
  if ((scenario.environment as { topology?: string }).topology !== 'routed') return pools;
  const hosts = clientHosts(scenario);
  return {
    ...pools,
    sources: pools.sources * hosts,
    from: {
      ...pools.from,
      sources: `result: environment.clients (${hosts} client host${hosts === 1 ? '' : 's'}, each its own port range)${pools.sources > 1 ? ` × ${pools.sources} source addresses` : ''}`,
      destinations: scenario.protocol === 'tcp' && !scenario.target ? `result: scenario.server.ports (${pools.destinations} on the server host)` : pools.from.destinations,
    },
  };
}

function loopbackPoolInputs(scenario: Scenario): PoolInputs {
  const { sources, destinations, bindBeforeConnect, localPorts, reuseAddr } = portPools(scenario);
  const pools = { sources, destinations, bindBeforeConnect, localPorts: localPorts === null ? null : { low: localPorts.low, high: localPorts.high }, reuseAddr };
  // The HTTP drivers connect from one address to server.port only; only the TCP driver spreads.
  if (scenario.protocol !== 'tcp') {
    return {
      ...pools,
      from: {
        sources: 'result: the HTTP client connects from one address',
        destinations: `result: the HTTP client connects to server.port only`,
        bindBeforeConnect: 'result: the HTTP client lets connect() pick the port',
      },
    };
  }
  const { server } = scenario;
  // A result may have no client block (the result schema does not require one, and results from
  // before it have none): the defaults, as portPools reads them (an audit: plan --from crashed).
  const client: Partial<Scenario['client']> = (scenario.client as Scenario['client'] | undefined) ?? {};
  return {
    ...pools,
    from: {
      sources: (client.sourceAddresses?.length ?? 0) > 0
        ? `result: scenario.client.sourceAddresses (${sources})`
        : client.sourceAddresses === undefined
          ? 'assumed: one source address (the result has no scenario.client)'
          : 'result: one source address (scenario.client.sourceAddresses empty)',
      destinations: scenario.target ? 'result: scenario.target (one destination)' : `result: scenario.server.ports (${destinations} on ${server.host})`,
      bindBeforeConnect: !client.bind
        ? 'result: scenario.client.bind false (connect() picks the port per destination)'
        : localPorts !== null
          ? `result: scenario.client.localPorts ${client.localPorts} (one port for every destination)`
          : client.bindAddressNoPort
            ? 'result: scenario.client.bind with bindAddressNoPort (IP_BIND_ADDRESS_NO_PORT: the port is chosen at connect() per destination)'
            : 'result: scenario.client.bind without bindAddressNoPort (bind() reserves the port for every destination)',
    },
  };
}
