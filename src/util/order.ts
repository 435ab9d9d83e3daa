// Sorting names (error codes, series columns, TCP states, addresses, ISO timestamps) by their
// UTF-16 code units. String#localeCompare builds an ICU collator on its first call in every
// process and every thread (~9 ms of CPU here), and an engine thread, the run process and the
// CLI each sort a few names once per run; these names are ASCII, where a collator's order
// would only differ in how case sorts, and ISO timestamps sort by code unit by design.

/** Comparator for Array#sort: code-unit order, as `<` compares strings. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
