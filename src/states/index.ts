/** `twstorm states`: the TCP state census of a network namespace, grouped, per destination, live. */
export {
  GROUP_BYS,
  STATE_NAMES,
  WATCH_COUNTERS,
  ratesBetween,
  readCensusSettings,
  takeCensus,
  type CensusOptions,
  type CensusSettings,
  type DestinationUsage,
  type GroupBy,
  type Grouping,
  type RangeUse,
  type Rates,
  type StatesCensus,
  type TwReuseSettings,
} from './census.js';
export { readTwReuse, twReuseApplies, twReuseSettings, TIME_WAIT_MS } from './tw-reuse.js';
export { censusFromTables } from './census-tables.js';
export { groupByProcess } from './by-process.js';
export { renderCensus, renderWatchLine, destinationRisk } from './render.js';
export { fitToScreen, watchStates, type WatchMode, type WatchOptions } from './watch.js';
