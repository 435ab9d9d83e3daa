// The Linux TCP constants twstorm's figures rest on, defined once (include/net/tcp.h and the
// sysctl defaults of a fresh network namespace). A leaf module: every folder may import it.

/** TCP_TIMEWAIT_LEN: a TIME_WAIT socket lives 60 s, compiled in (tcp_fin_timeout is another timer). */
export const TIME_WAIT_SECONDS = 60;

/** net.ipv4.tcp_fin_timeout's default (TCP_FIN_TIMEOUT): how long an orphaned FIN_WAIT2 lives. */
export const FIN_TIMEOUT_DEFAULT_SECONDS = 60;

/**
 * tcp_fin_time()'s floor: an orphaned FIN_WAIT2 lasts tcp_fin_timeout but at least 3.5 RTOs,
 * 0.7 s at TCP_RTO_MIN (200 ms), so tcp_fin_timeout 0 does not free the port at once.
 */
export const FIN_TIME_MIN_SECONDS = 0.7;

/** net.ipv4.ip_local_port_range in a fresh namespace (inet_init_net): 28,232 ports. */
export const KERNEL_DEFAULT_PORT_RANGE = '32768 60999';
export const KERNEL_DEFAULT_PORTS = { low: 32768, high: 60999 } as const;

/** The widest sensible ephemeral range: 1024–65535 (below 1024 are the privileged ports). */
export const WIDEST_PORTS = { low: 1024, high: 65535 } as const;
export const WIDEST_PORT_RANGE = WIDEST_PORTS.high - WIDEST_PORTS.low + 1;

/** tcp_tw_reuse_delay's default, ms (a sysctl since Linux 6.13; a fixed second before). */
export const TW_REUSE_DELAY_MS = 1000;

/**
 * Whether connect() may take over a TIME_WAIT towards a destination (tcp_twsk_unique): with
 * net.ipv4.tcp_tw_reuse 1 anywhere, 2 (the default) for loopback only, and only if the TIME_WAIT
 * saw a timestamp (net.ipv4.tcp_timestamps on). Once older than the reuse delay. The one rule
 * `plan` (a loopback flag) and `states`/`doctor` (a destination address) ask.
 */
export function twReuseCovers(mode: number | null, timestamps: boolean, loopback: boolean): boolean {
  return timestamps && (mode === 1 || (mode === 2 && loopback));
}

/**
 * nf_conntrack_tcp_timeout_time_wait's default (nf_conntrack_proto_tcp.c: 2 minutes): how long a
 * router's conntrack keeps a closed flow, and under SNAT its translated tuple, twice the hosts' 60 s.
 */
export const CONNTRACK_TIME_WAIT_SECONDS = 120;

/**
 * nf_conntrack_tcp_timeout_close's default (nf_conntrack_proto_tcp.c: 10 s): an RST moves a
 * flow's conntrack entry to CLOSE, which keeps it (and under SNAT its tuple) this long, not
 * TIME_WAIT's 120 s.
 */
export const CONNTRACK_CLOSE_SECONDS = 10;

/**
 * The kernel memory of one client port held in TIME_WAIT beside its tw_sock_TCP: its
 * inet_bind_bucket (tcp_bind_bucket slab) and inet_bind2_bucket (tcp_bind2_bucket), 128 B each
 * on Linux 6.x x86-64. The TIME_WAIT socket keeps both (inet_twsk_hashdance_schedule moves the
 * owner onto it); measured: 20,000 client TIME_WAIT added 20,057 tw_sock_TCP and 40,219 bind
 * bucket objects.
 */
export const BIND_BUCKET_BYTES = 128;

/** The CONFIG_HZ values Linux offers (kernel/Kconfig.hz); an unknown kernel is planned for the worst of them. */
export const KERNEL_HZ_CHOICES = [100, 250, 300, 1000] as const;

/**
 * How late the kernel may fire a timer of `sec` seconds (TIME_WAIT's 60 s, an orphaned FIN_WAIT2's
 * tcp_fin_timeout) at CONFIG_HZ `hz`: the timer wheel (kernel/time/timer.c) puts a timeout of
 * `delta` jiffies in the level n with LVL_START(n) = 63 << 3(n-1) ≤ delta, and calc_index rounds
 * its expiry up to that level's granule, 8^n jiffies; it never fires early. A 60 s timer is late by
 * up to 512 jiffies at HZ 100 (5.12 s), 250 (2.048 s) and 300 (1.707 s), 4,096 at HZ 1000 (4.096 s).
 * `hz` null (not known): the worst of KERNEL_HZ_CHOICES, so a plan never counts on a port early.
 */
export function timerLateSeconds(sec: number, hz: number | null): number {
  if (hz === null) return timerLateSeconds(sec, latestHz(sec));
  const delta = Math.ceil(sec * hz);
  let level = 0;
  while (delta >= 63 * 8 ** level) level++;
  return 8 ** level / hz;
}

/**
 * The HZ of `choices` (all Linux offers, by default) whose timer wheel ends a timer of `sec`
 * seconds latest: the one an unknown kernel is planned for, and the one a merge of results from
 * kernels of different HZ keeps. Not always 100: 60 s is late by 5.12 s at HZ 100, but a 5 s
 * tcp_fin_timeout by 0.08 s there and 0.512 s at HZ 1000 (levels fall differently per HZ).
 */
export function latestHz(sec: number, choices: readonly number[] = KERNEL_HZ_CHOICES): number {
  let worst = choices[0]!;
  for (const hz of choices) if (timerLateSeconds(sec, hz) > timerLateSeconds(sec, worst)) worst = hz;
  return worst;
}
