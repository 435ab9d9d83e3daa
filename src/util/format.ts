// Number formatting shared by the text renderers.
const grouped = new Intl.NumberFormat('en-US');

export const int = (n: number): string => grouped.format(Math.round(n));

export function ms(n: number | null): string {
  if (n === null) return '–';
  if (n >= 100) return n.toFixed(0);
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function seconds(msValue: number): string {
  return `${(msValue / 1000).toFixed(msValue < 10_000 ? 2 : 1)} s`;
}

export const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
