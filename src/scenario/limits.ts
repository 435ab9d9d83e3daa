// The maxima a scenario may ask for. Every number a scenario file carries ends up as a loop
// bound, an allocation, a timer or a file name, so each has a ceiling checked by the schema
// (and published in the JSON Schema and README's "Limits") before anything runs. Without
// them `payload.request: 9007199254740991` crashed Buffer.alloc and 2^31 exhausted the
// machine's memory. Each ceiling is far above what a real storm needs and says why it is where
// it is; raising one is a one-line change here, after checking what the number drives.

/**
 * Scenario files are a few KB. 1 MiB leaves room for long descriptions and big matrices, and
 * keeps the worst-case parse (YAML's parser is linear, about 0.5 s per MiB of dense keys on
 * this 2-core machine) far below a second.
 */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Mapping entries in the whole file: a full scenario with a 64-variant matrix and 100 thresholds has under 300. */
export const MAX_KEYS = 1000;
/** Nesting of mappings and lists: the schema is 4 levels deep; anything deeper is a mistake or an attack. */
export const MAX_DEPTH = 16;
/**
 * Alias expansions (YAML `*name`) while building the data: enough for DRY anchors, far too few
 * for a billion-laughs file (each level multiplies the nodes it expands to).
 */
export const MAX_ALIAS_COUNT = 100;

/** Names become file names (`<name>[-<variant values>]-<timestamp>.json`): well under NAME_MAX (255). */
export const MAX_NAME_LENGTH = 100;
/** Free text shown in reports. */
export const MAX_DESCRIPTION_LENGTH = 10_000;
/** Any other string value (enum-like fields are checked by value anyway). */
export const MAX_STRING_LENGTH = 1000;

/**
 * Connections or HTTP requests in one run. At the fastest rate measured on a 2-core machine
 * (85k/s with RST closes) 10^9 takes over 3 hours; the duration bound stops it anyway.
 */
export const MAX_COUNT = 1_000_000_000;
/**
 * In-flight connections (concurrency, maxInFlight, the undici pool). Each holds a file
 * descriptor, and a process cannot hold more than fs.nr_open (1,048,576 by default).
 */
export const MAX_IN_FLIGHT = 1_000_000;
/**
 * New connections per second in an open loop: 10x the fastest C epoll client measured here. The
 * port space (28,232 ports / 60 s TIME_WAIT ≈ 470/s per destination) runs out long before.
 */
export const MAX_RATE = 1_000_000;
/**
 * Smallest open-loop rate: one connection every 100 s. Below it the schedule's starts lie further
 * apart than any sensible storm, more likely a unit slip than a plan. No timer limit is behind it:
 * both open loops stop at the deadline rather than sleep past it (driver/shape/open.ts; an engine
 * thread waits 50 ms at most per turn), so no wait nears setTimeout's 2^31 ms.
 */
export const MIN_RATE = 0.01;
/**
 * Bytes per request/response/body. Above the default tcp_wmem/tcp_rmem maxima (4-6 MiB), so
 * unsent data at close (SO_LINGER scenarios) is possible; far below a size where buffers per
 * connection times concurrency exhaust memory.
 */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
/**
 * SO_LINGER seconds: close() may block this long while unsent data drains. An hour is already
 * far past any drain; the kernel's l_linger is an int, and a value past it made setsockopt's
 * argument impossible to encode.
 */
export const MAX_LINGER_SECONDS = 3600;
/** listen() backlog: the kernel caps it at net.core.somaxconn anyway; an int beyond this is a typo. */
export const MAX_BACKLOG = 1_000_000;
/** Source addresses: each adds a full ephemeral port range per destination; 1024 is ~29 M ports. */
export const MAX_SOURCE_ADDRESSES = 1024;
/** Pass/fail gates per scenario. */
export const MAX_THRESHOLDS = 100;
/** Past this many runs a matrix is more likely a typo than a plan; each run takes a namespace and its full bounds. */
export const MAX_VARIANTS = 64;
/** Fields varied by one matrix (the product is capped at MAX_VARIANTS runs anyway). */
export const MAX_MATRIX_KEYS = 8;
/** Sysctls a scenario sets: the allow-list itself is shorter than this. */
export const MAX_SYSCTLS = 64;
/** Steps of a ramp (`stages`). */
export const MAX_STAGES = 100;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The whole load (and every stage, and their sum): a day-long soak is the longest test anyone plans. */
export const MAX_RUN_MS = 24 * HOUR;
/**
 * Waits inside one connection or one phase (connect timeout, close delay, read delay, restart
 * timeout, service delay, tail): 10 minutes is ten TIME_WAIT lifetimes; longer is a unit typo
 * ("10m" meant as ms) that would make a run look hung.
 */
export const MAX_WAIT_MS = 10 * MINUTE;
/** Sampling intervals: a sample per minute is the coarsest view that still shows TIME_WAIT (60 s) drain. */
export const MAX_SAMPLE_MS = MINUTE;
/** An idle keep-alive connection is held at most an hour (Node's own default is 5 s). */
export const MAX_KEEPALIVE_MS = HOUR;
