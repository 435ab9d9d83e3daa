/** Kernel state readers: sockstat, MIB counters, TCP state census, and samplers over time. */

export { parseSockstat, parseSockstat6, type Sockstat, type Sockstat6 } from './sockstat.js';
export { parseCounterTable, counterDeltas, pickCounters, countersWhere, counterLabel, KEY_COUNTERS, KERNEL_COUNTERS, type KernelCounter } from './counters.js';
export { readPortRange } from './port-range.js';
export {
  TCP_STATES,
  tcpStateName,
  forEachTcpSocket,
  censusTcpTable,
  decodeAddressHex,
  type TcpStateName,
  type StateCounts,
  type TcpCensus,
  type TcpSocketRow,
  type TcpSocketVisitor,
} from './tcp-table.js';
export {
  scanSocketOwners,
  forEachTcpSocketInode,
  type SocketOwner,
  type SocketOwnerScan,
} from './socket-owners.js';
export { readProcNet, readTcpTables, DEFAULT_PROC_ROOT, type ProcNetTexts } from './procfs.js';
export { KernelSampler, type KernelSample, type KernelSamplerOptions } from './sampler.js';
export {
  startSamplerHere,
  startSamplerWorker,
  sharedNowMs,
  type SamplerWorkerOptions,
  type SamplerWorkerHandle,
} from './sampler-thread.js';
