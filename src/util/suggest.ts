// "Did you mean …?" for every name a user types — a command, an option, a scenario name, a
// scenario field, a sysctl: the candidate with the fewest single-character edits (insert,
// delete, substitute, swap of neighbours), offered only when it is close enough to be the likely
// intent, so a wild guess is never presented as a suggestion.

/** Optimal string alignment distance; O(a·b) time, two rows of memory. */
export function editDistance(a: string, b: string): number {
  let prevPrev: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prevPrev[j - 2]! + 1);
      row.push(d);
    }
    prevPrev = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The nearest candidate within a third of the typed length (at least 1 edit), else undefined:
 * a suggestion further away than that is noise ("--nope" is not "--top", two edits of four
 * letters). A swap counts 1, so "frist" and "tpc_tw_reuse" still get theirs; case is ignored
 * ("RUN" is run). Long input is not compared at all.
 */
export function closest(typed: string, candidates: readonly string[]): string | undefined {
  if (typed.length > 200) return undefined;
  const budget = Math.max(1, Math.floor(typed.length / 3));
  const lower = typed.toLowerCase();
  let best: string | undefined;
  let bestDistance = budget + 1;
  for (const candidate of candidates) {
    if (Math.abs(candidate.length - typed.length) >= bestDistance) continue;
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * "; did you mean X?" for the nearest plausible candidate, or "" — the phrase every message uses.
 * A word too far from every candidate but typed whole as one part of some ("port" for
 * local-port and remote-port; a newcomer audit: `states --by port` got no guess) gets those.
 */
export function didYouMean(typed: string, candidates: readonly string[]): string {
  const guess = closest(typed, candidates);
  if (guess !== undefined) return `; did you mean ${guess}?`;
  const word = typed.toLowerCase();
  const parts = word.length >= 3 ? candidates.filter((c) => c.toLowerCase().split(/[-_.]/).includes(word)) : [];
  return parts.length > 0 && parts.length <= 3 ? `; did you mean ${parts.join(' or ')}?` : '';
}
