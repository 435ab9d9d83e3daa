// When connect() may take over a TIME_WAIT port instead of skipping it: the rule of
// tcp_twsk_unique (net/ipv4/tcp_ipv4.c), which __inet_hash_connect → check_established asks for
// every TIME_WAIT with the 4-tuple a new connection wants. It says yes when
//   - net.ipv4.tcp_tw_reuse is 1 (any destination) or 2 (only when the TIME_WAIT's destination or
//     source address is loopback, or it was bound to lo; the kernel default), and
//   - the TIME_WAIT saw a TCP timestamp (tw_ts_recent_stamp): both ends had net.ipv4.tcp_timestamps
//     on, and
//   - it is older than the reuse delay: tw_entry_stamp + net.ipv4.tcp_tw_reuse_delay ms (Linux
//     6.13+); before, more than a whole second after the last timestamp it saw
//     (ktime_get_seconds() > ts_recent_stamp + 1: between 1 and 2 s, counted here as 2 s).
// A TIME_WAIT of a socket that was orphaned in FIN_WAIT2 is never reused (tw_substate check), but
// those are listed as FIN_WAIT2, not TIME_WAIT. Shared by `states` and `doctor`.
import { readSysctlSync } from '../environment/sysctl.js';
import { isLoopbackHost } from '../scenario/target.js';
import { TIME_WAIT_SECONDS, TW_REUSE_DELAY_MS, twReuseCovers } from '../tcp-facts.js';
import { int } from '../util/format.js';
import type { TwReuseSettings } from './types.js';

/** TCP_TIMEWAIT_LEN in ms: the TIME_WAIT timer starts at this (tcp_time_wait), so age = this − time left. */
export const TIME_WAIT_MS = TIME_WAIT_SECONDS * 1000;

/** The delay before Linux 6.13 (no tcp_tw_reuse_delay): up to 2 s in whole seconds, see above. */
export const PRE_6_13_REUSE_DELAY_MS = 2 * TW_REUSE_DELAY_MS;

/** What the kernel applies, from the sysctls' texts (null: not readable, or no such sysctl). */
export function twReuseSettings(values: { reuse: string | null; timestamps: string | null; delay: string | null }): TwReuseSettings {
  const reuse = values.reuse === null ? null : Number(values.reuse.trim());
  const delay = values.delay === null ? NaN : Number(values.delay.trim());
  const hasDelay = Number.isInteger(delay) && delay >= 0;
  return {
    mode: reuse === 0 || reuse === 1 || reuse === 2 ? reuse : null,
    // 1 and 2 both send timestamps (2: without the random offset); 0 sends none.
    timestamps: values.timestamps === null ? null : values.timestamps.trim() !== '0',
    delayMs: hasDelay ? delay : PRE_6_13_REUSE_DELAY_MS,
    delayFrom: hasDelay ? 'sysctl' : 'older-kernel',
  };
}

/** This namespace's settings (synchronous: three /proc/sys files the kernel prints from memory). */
export function readTwReuse(): TwReuseSettings {
  return twReuseSettings({
    reuse: readSysctlSync('net.ipv4.tcp_tw_reuse'),
    timestamps: readSysctlSync('net.ipv4.tcp_timestamps'),
    delay: readSysctlSync('net.ipv4.tcp_tw_reuse_delay'),
  });
}

/** No settings read: reuse assumed off, so nothing is called reusable (the conservative answer). */
export const NO_TW_REUSE: TwReuseSettings = Object.freeze({ mode: null, timestamps: null, delayMs: PRE_6_13_REUSE_DELAY_MS, delayFrom: 'older-kernel' });

/**
 * Whether connect() may take over this destination's TIME_WAIT once old enough. tcp_tw_reuse=2
 * also counts a loopback source address or a socket bound to lo (tcp_twsk_unique); a
 * destination off loopback is reached from a loopback source only through lo-bound sockets,
 * which the table does not show, so only the destination is asked here (the safe side). The
 * peer's timestamps cannot be seen either: a peer that has them off makes every TIME_WAIT towards
 * it unreusable, which this cannot tell.
 */
export function twReuseApplies(settings: TwReuseSettings, destinationAddress: string): boolean {
  return twReuseCovers(settings.mode, settings.timestamps === true, isLoopbackHost(destinationAddress));
}

/** Whether any destination could be reused under these settings. */
export function twReuseOn(settings: TwReuseSettings): boolean {
  return settings.timestamps === true && (settings.mode === 1 || settings.mode === 2);
}

/** "1,000 ms (net.ipv4.tcp_tw_reuse_delay)" or "2 s (before Linux 6.13: 1-2 s after the last timestamp)". */
export function reuseDelayText(settings: TwReuseSettings): string {
  return settings.delayFrom === 'sysctl'
    ? `${int(settings.delayMs)} ms (net.ipv4.tcp_tw_reuse_delay)`
    : `${settings.delayMs / 1000} s (no tcp_tw_reuse_delay before Linux 6.13: 1-2 s after its last timestamp)`;
}
