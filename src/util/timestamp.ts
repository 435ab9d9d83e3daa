// The time in the name of every file twstorm writes: UTC, to the second, file-name safe and
// sortable as text (20261124T155011Z).

/** File-name-safe UTC timestamp, sortable: 20261124T155011Z. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}
