// Several inputs read at once, a failure told in the order they were given. Promise.all rejects
// with whichever fails first in time, so `compare nosuch-a.json nosuch-b.json` named one file or
// the other from run to run (a flaky CI case), and so would report and merge.

/** Promise.all's values (a tuple stays a tuple); else the first rejection in argument order, once all have settled. */
export async function allInOrder<T extends readonly unknown[] | []>(promises: T): Promise<{ -readonly [P in keyof T]: Awaited<T[P]> }> {
  const settled = (await Promise.allSettled(promises)) as ReadonlyArray<PromiseSettledResult<unknown>>;
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as { -readonly [P in keyof T]: Awaited<T[P]> };
}
