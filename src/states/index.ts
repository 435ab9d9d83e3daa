/** `twstorm states`: the TCP state census of a network namespace, grouped, per destination, live. */
export {
  GROUP_BYS,
  STATE_NAMES,
  WATCH_COUNTERS,
  ratesBetween,
  takeCensus,
  type CensusOptions,
  type DestinationUsage,
  type GroupBy,
  type Grouping,
  type Rates,
  type StatesCensus,
} from './census.js';
export { censusFromTables } from './census-tables.js';
export { groupByProcess } from './by-process.js';
export { renderCensus, renderWatchLine, destinationRisk } from './render.js';
export { watchStates, type WatchMode, type WatchOptions } from './watch.js';
