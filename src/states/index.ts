/** `twstorm states`: the TCP state census of a network namespace, grouped, per destination, live. */
export {
  GROUP_BYS,
  STATE_NAMES,
  WATCH_COUNTERS,
  digestTables,
  groupByProcess,
  parsePortRange,
  countReserved,
  ratesBetween,
  readPortRange,
  takeSnapshot,
  type DestinationUsage,
  type GroupBy,
  type Grouping,
  type PortRange,
  type Rates,
  type SnapshotOptions,
  type StatesSnapshot,
} from './snapshot.js';
export { renderSnapshot, renderWatchLine, destinationRisk, counterLabel } from './render.js';
export { watchStates, type WatchMode, type WatchOptions } from './watch.js';
