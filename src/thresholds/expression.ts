// One threshold expression, k6-style: an operator and a plain number ("< 5", ">= 3000",
// "== 0"). The number is in the figure's own unit (milliseconds under latencyMs, counts
// elsewhere), so units in the expression are refused rather than silently converted.
export const OPERATORS = ['==', '!=', '<=', '>=', '<', '>'] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Comparison {
  operator: Operator;
  value: number;
}

// Two-character operators first, so "<=" is not read as "<" followed by "=5".
const EXPRESSION = /^\s*(==|!=|<=|>=|<|>)\s*(-?(?:\d+(?:\.\d*)?|\.\d+))\s*$/;

export type ParsedExpression = { ok: true; comparison: Comparison } | { ok: false; problem: string };

export function parseExpression(text: string): ParsedExpression {
  const match = EXPRESSION.exec(text);
  if (match) return { ok: true, comparison: { operator: match[1] as Operator, value: Number(match[2]) } };
  const hint = /\d\s*[a-zA-Z%]+\s*$/.test(text)
    ? 'write the number without a unit: figures are already in their own unit (ms under latencyMs, counts elsewhere)'
    : `expected an operator (${OPERATORS.join(' ')}) followed by a number, e.g. "< 5" or "== 0"`;
  return { ok: false, problem: `bad threshold ${JSON.stringify(text)}: ${hint}` };
}

export function compare(measured: number, { operator, value }: Comparison): boolean {
  switch (operator) {
    case '==':
      return measured === value;
    case '!=':
      return measured !== value;
    case '<':
      return measured < value;
    case '<=':
      return measured <= value;
    case '>':
      return measured > value;
    case '>=':
      return measured >= value;
  }
}
