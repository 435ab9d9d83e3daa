// The connect-fill recorder as a result stores it, and back: the cells as they are, the two
// histograms compressed (metrics/histogram-encoding.ts). Engine threads hand the recorder over
// uncompressed (ConnectFill.cells()); only a result's writer and its merge need the encoder.
import type { ConnectFill, ConnectFillCells, ConnectFillData } from '../metrics/connect-fill.js';
import { histogramCounts } from '../metrics/histograms.js';
import { decodeHistogram, encodeHistogram } from '../metrics/histogram-encoding.js';

export function connectFillData(fill: ConnectFill): ConnectFillData {
  return fill.cellsWith(encodeHistogram);
}

/** A result's cells, ready for ConnectFill.absorb(). */
export function connectFillCells(data: ConnectFillData): ConnectFillCells {
  const counts = (encoded: string) => {
    // A recorder that never recorded a parity wrote an empty histogram; '' is tolerated as one.
    if (encoded === '') return { values: [], counts: [], max: 0 };
    const h = decodeHistogram(encoded);
    try {
      return histogramCounts(h);
    } finally {
      h.destroy();
    }
  };
  return { ...data, histograms: { even: counts(data.histograms.even), odd: counts(data.histograms.odd) } };
}
