// How twstorm writes JSON (result files, every --json): JSON.stringify(value, null, 1), except
// that an array of numbers stays on one line. A result's series are such arrays, one number per
// sample: indented, each took a line of its own, so a 1,000-connection run's file was 1,753
// lines (409 now), and the merge of two 5.5-hour runs (400,000 samples a column) 70 MB, twice
// its data (34 MB now) and ~60 % slower to parse. JSON.parse of either text gives equal data.
export function jsonText(value: unknown): string {
  // JSON.stringify visits an array's elements only after the replacer has seen the array: a
  // number array is swapped for a marker string, written compactly here, and put back after.
  // The marker carries a random tag: no string in the data is taken for one by chance.
  const tag = `\u0000${Math.random().toString(36).slice(2)}:`;
  const inline: string[] = [];
  const text = JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number')) return v;
      inline.push(JSON.stringify(v));
      return `${tag}${inline.length - 1}`;
    },
    1,
  );
  // undefined (nothing to write) reads back as null, as JSON has no undefined.
  if (inline.length === 0) return `${text ?? 'null'}\n`;
  // JSON.stringify writes the marker's NUL as \u0000.
  const marker = new RegExp(`"${JSON.stringify(tag).slice(1, -1).replace(/\\/g, '\\\\')}(\\d+)"`, 'g');
  return `${text.replace(marker, (_m, i: string) => inline[Number(i)]!)}\n`;
}
