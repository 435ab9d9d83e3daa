// Exit codes are part of the CLI's contract (CI scripts branch on them); see README.
export const EXIT = {
  OK: 0,
  /** The run could not be carried out (environment, server, --out, crash), or it failed (result marked "failed"). */
  RUN_FAILED: 1,
  /** Bad command line or scenario file: nothing ran. */
  USAGE: 2,
  /** The run completed but a scenario threshold failed (the result was written). */
  THRESHOLDS_FAILED: 3,
  /** `twstorm compare`: a regression beyond the tolerance, or a baseline scenario with no current result. */
  REGRESSION: 4,
  /** Ctrl-C: the partial result was written. 128 + SIGINT, as shells report it. */
  INTERRUPTED: 130,
} as const;
