// The warm harness's replies (netns-run.ts --serve → runInNetns): one line each, marked, so a
// line anything else in the run's process tree prints to the same stdout is never taken for one.
export const REPLY_PREFIX = 'twstorm-harness-reply ';

/** What the harness answers when it cannot make a namespace itself (no native layer, no unshare). */
export interface NoNamespace {
  noNamespace: string;
}

/** Set (to a reason) in a harness's environment, it answers NoNamespace: the fallback's test. */
export const FORCE_NO_NAMESPACE_ENV = 'TWSTORM_TEST_HARNESS_NO_NAMESPACE';
