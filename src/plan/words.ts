// How a plan writes its figures: capacities never rounded up, loads never rounded down, so a
// printed plan never promises more than the model (model.ts) computed.
import { decimalFormat, int } from '../util/format.js';

export const fmt: (n: number) => string = decimalFormat(1);

/** Requests per connection a fix asks for, rounded up to 0.1 (a plan never understates a load). */
export const perConnection = (n: number): string => {
  const up = fmt(Math.ceil(n * 10 - 1e-9) / 10); // 1e-9: 20 ÷ (1 ÷ 60) is 1,200.0000000002 in floating point
  return `${up} request${up === '1' ? '' : 's'}`;
};

/**
 * A capacity as a plan states it: to 0.1 per second, never rounded up (a plan never overstates
 * capacity); below one a second, two significant digits rounded down and the interval it means
 * ("0.016 (one per 60.0 s)"): a 1-port range is not "0".
 */
export const rateText = (perSec: number): string => {
  if (perSec >= 1 || perSec <= 0) return fmt(Math.floor(perSec * 10) / 10);
  const step = 10 ** (Math.floor(Math.log10(perSec)) - 1);
  return `${Number((Math.floor(perSec / step) * step).toPrecision(2))} (one per ${sec(1 / perSec)})`;
};

/** An offered rate: fmt's 0.1 from 1/s up; below, its two significant digits, not "0". */
export const offeredText = (perSec: number): string => (perSec >= 1 || perSec <= 0 ? fmt(perSec) : String(Number(perSec.toPrecision(2))));
export const sec = (s: number): string => (s < 10 ? `${s.toFixed(2)} s` : s < 600 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`);
/**
 * A share as a percent, rounded up to 0.1 % (a plan never understates a load); grouped like every
 * count ("41,322.4%"). A share short of 1 gets the digits that keep it short of 100 % (up to
 * six): 99.92 % and 100 % are different plans (one new connection per 1,200 requests, or none).
 */
export const pct = (share: number): string => {
  let digits = 1;
  while (digits < 6 && share < 1 && Math.ceil(share * 10 ** (digits + 2)) >= 10 ** (digits + 2)) digits++;
  const [whole, fraction] = (Math.ceil(share * 10 ** (digits + 2)) / 10 ** digits).toFixed(digits).split('.');
  return `${int(Number(whole))}.${fraction}%`;
};
export const mib = (bytes: number): string => (bytes < 1024 * 1024 ? `${fmt(bytes / 1024)} KiB` : `${fmt(bytes / (1024 * 1024))} MiB`);
