// Histograms as results store them: HdrHistogram's compressed base64 (V2 encoding, deflated),
// which round-trips every slot exactly, so results written by different processes or hosts merge
// later without losing the tails. Apart from histograms.ts because of what it loads: the
// package's encoder brings pako (deflate and inflate) and its WASM loader, which the run's main
// thread needs to write and read results and an engine thread never does (its histograms travel
// as HistogramCounts).
import { decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js/dist/encoding.js';
import type { Histogram } from './histograms.js';

export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

/**
 * A histogram read back to summarise or merge (the package's own class: a merge may add into it,
 * but no connection records into it, so its slot arithmetic is off every hot path).
 */
export function decodeHistogram(encoded: string): Histogram {
  return decodeFromCompressedBase64(encoded, 32, false);
}
