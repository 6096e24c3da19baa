/**
 * Chooses one realistic mistake of a given kind for a plan: a wrong stated result (off by a few,
 * by 10 or 100, by 1-20 %, or a digit slip), a number nobody gave, the wrong operation, or a final
 * answer that does not follow from the last computation. Some mistakes leave the final answer
 * right (a slip silently corrected later, or unsupported numbers with the same product). It does
 * not check the rendered text; index.ts does.
 */
import type { Rng } from './rng.ts';
import { apply, evaluate, type Op, type Plan } from './plan.ts';
import type { Mutation } from './render.ts';

export type ErrorType = 'none' | 'arithmetic' | 'unsupported_number' | 'wrong_operation' | 'final_answer';

export const ERROR_TYPES: Exclude<ErrorType, 'none'>[] = [
  'arithmetic',
  'unsupported_number',
  'wrong_operation',
  'final_answer',
];

/** A plausible wrong version of `n` (never equal to `n`, never negative). */
export function slip(r: Rng, n: number): number {
  for (let tries = 0; tries < 20; tries++) {
    const kind = r.int(0, 5);
    let m = n;
    if (kind === 0) m = n + (r.chance(0.5) ? 1 : -1) * r.int(1, 9);
    else if (kind === 1) m = n + (r.chance(0.5) ? 10 : -10);
    else if (kind === 2) m = n >= 200 ? n + (r.chance(0.5) ? 100 : -100) : n + r.int(2, 12);
    else if (kind === 3) m = Math.round(n * (1 + (r.chance(0.5) ? 1 : -1) * (r.int(1, 20) / 100)));
    else if (kind === 4) {
      const d = String(n).split('');
      const i = r.int(0, d.length - 1);
      d[i] = String((Number(d[i]) + r.int(1, 9)) % 10);
      m = Number(d.join(''));
    } else {
      const d = String(n).split('');
      if (d.length >= 2) {
        const i = r.int(0, d.length - 2);
        [d[i], d[i + 1]] = [d[i + 1], d[i]];
        m = Number(d.join(''));
      }
    }
    if (m !== n && m >= 0 && m < 1_000_000 && !(String(m).length > 1 && String(n).length === 1 && m > 20))
      return m;
  }
  return n + 1;
}

/**
 * The result a pupil gets by dropping a carry or a borrow: digit-wise sums (`47 + 38 = 75`),
 * digit-wise differences taken smaller from larger (`52 - 38 = 26`), or a product by one digit
 * without its carries (`27 × 4 = 88`). With `unadded`, a sum or a product writes its leading
 * digits' result in full but still forgets the carry into it (`64 × 7 = 428`, `57 + 68 = 115`).
 * Null when the slip gives the true result or does not apply.
 */
export function carrySlip(op: Op, a: number, b: number, unadded = false): number | null {
  const da = String(a).split('').reverse().map(Number);
  const db = String(b).split('').reverse().map(Number);
  const width = Math.max(da.length, db.length);
  let m = 0;
  const top = (k: number, last: number): boolean => unadded && k === last;
  if (op === '+' || op === '-') {
    for (let k = 0; k < width; k++) {
      const x = da[k] ?? 0;
      const y = db[k] ?? 0;
      const sum = top(k, width - 1) ? x + y : (x + y) % 10;
      m += (op === '+' ? sum : Math.abs(x - y)) * 10 ** k;
    }
  } else if (op === '*' && (a < 10 || b < 10)) {
    const [big, d] = a < 10 ? [db, a] : [da, b];
    big.forEach((x, k) => (m += (top(k, big.length - 1) ? x * d : (x * d) % 10) * 10 ** k));
  } else return null;
  const truth = apply(op, a, b);
  return m !== truth && m >= 0 && m < 1_000_000 ? m : null;
}

/** Operand values with the same result as `a op b` but different numbers. */
function sameResult(r: Rng, op: Op, a: number, b: number): [number, number] | null {
  const c = apply(op, a, b);
  if (op === '*') {
    const pairs: [number, number][] = [];
    for (let x = 2; x * x <= c; x++)
      if (c % x === 0 && x !== a && x !== b) pairs.push(r.chance(0.5) ? [x, c / x] : [c / x, x]);
    return pairs.length ? r.pick(pairs) : null;
  }
  const d = r.int(1, 9);
  if (op === '+') return b - d > 0 ? [a + d, b - d] : null;
  if (op === '-') return [a + d, b + d];
  return [a * (d + 1), b * (d + 1)];
}

/**
 * The everyday constants (implied.ts: days in a week, minutes in an hour, cm in a metre, months in
 * a year) and what people wrongly use for them.
 */
const CONFUSED: Record<number, number[]> = {
  7: [5, 6, 10],
  60: [100, 10, 30],
  100: [10, 1000],
  12: [10, 52],
};

const WRONG_OPS: Record<Op, Op[]> = { '+': ['-', '*'], '-': ['+'], '*': ['+'], '/': ['-', '*'] };

/**
 * A mutation of the given type for `plan`, or null when none fits (the caller tries again).
 *
 * @example
 * const m = chooseMutation(plan, 'arithmetic', mulberry32(1)); // { step: 2, stated: 118 }
 */
export function chooseMutation(plan: Plan, type: Exclude<ErrorType, 'none'>, r: Rng): Mutation | null {
  const n = plan.steps.length;
  const values = evaluate(plan.steps);
  const operandValue = (o: { given: number } | { ref: number }): number =>
    'given' in o ? o.given : values[o.ref];
  if (type === 'final_answer') {
    const last = values[n - 1];
    const earlier = values.slice(0, -1).filter((v) => v !== last);
    const answer = earlier.length && r.chance(0.4) ? r.pick(earlier) : slip(r, last);
    return { step: n - 1, answer };
  }
  const step = r.int(0, n - 1);
  const s = plan.steps[step];
  const a = operandValue(s.a);
  const b = operandValue(s.b);
  if (type === 'arithmetic') {
    const carried = r.chance(0.35) ? carrySlip(s.op, a, b, r.chance(0.5)) : null;
    return { step, stated: carried ?? slip(r, values[step]), compensate: step < n - 1 && r.chance(0.2) };
  }
  if (type === 'wrong_operation') {
    const op = r.pick(WRONG_OPS[s.op]);
    const c = apply(op, a, b);
    return Number.isNaN(c) || c === values[step] ? null : { step, op };
  }
  const constant = (['a', 'b'] as const).find((k) => 'given' in s[k] && CONFUSED[k === 'a' ? a : b]);
  if (constant && r.chance(0.5)) {
    const wrong = r.pick(CONFUSED[constant === 'a' ? a : b]);
    return constant === 'a' ? { step, a: wrong } : { step, b: wrong };
  }
  if (r.chance(0.3)) {
    const pair = sameResult(r, s.op, a, b);
    return pair ? { step, a: pair[0], b: pair[1] } : null;
  }
  if (s.op === '/' && r.chance(0.5)) {
    const divisors = [2, 3, 4, 5, 6, 7, 8, 9, 10, 12].filter((d) => a % d === 0 && d !== b);
    return divisors.length ? { step, b: r.pick(divisors) } : null;
  }
  if (s.op === '/') return { step, a: a + b * r.int(1, 5) * (r.chance(0.5) ? 1 : -1) };
  return r.chance(0.5) ? { step, a: slip(r, a) } : { step, b: slip(r, b) };
}
