/**
 * Evaluates one side of a stated computation (the tokens between two `=`) exactly, under a
 * reading: the usual one (operator precedence, `%` means /100) or an alternative a writer may have
 * meant (left to right, `%` as a plain number). A side it cannot read whole (juxtaposed numbers,
 * unbalanced brackets, division by zero, huge powers) has no value. It does not find the sides
 * (parse.ts).
 */
import type { Token } from './lex.ts';
import { Rational } from './rational.ts';

export interface Reading {
  /** Multiplication and division before addition; false reads strictly left to right. */
  precedence: boolean;
  /** `20%` is 1/5; false reads it as 20. */
  percentScale: boolean;
}
export const USUAL: Reading = { precedence: true, percentScale: true };

export interface Value {
  v: Rational;
  /** A percent was added to or subtracted from a plain number (`50 + 10%`): the writer's meaning is unclear. */
  ambiguous: boolean;
  /** A number in it was written as approximate (`0.333...`). */
  approx: boolean;
}

const HUNDRED = new Rational(100n);

/**
 * The value of `toks` under `reading`, or null when it is not one whole expression.
 *
 * @example
 * evaluate(lex('3 + 4 × 2'), USUAL)!.v.toString(); // '11'
 */
export function evaluate(toks: readonly Token[], reading: Reading): Value | null {
  let i = 0;
  let ambiguous = false;
  let approx = false;
  let pctOperand = false;
  const peek = (): Token | undefined => toks[i];

  function primary(): Rational | null {
    const t = toks[i];
    if (!t) return null;
    if (t.k === 'num') {
      i++;
      approx ||= t.approx;
      pctOperand = t.percent;
      return t.percent && !reading.percentScale ? t.v.mul(HUNDRED) : t.v;
    }
    if (t.k === '(') {
      i++;
      const v = sum();
      if (v === null || peek()?.k !== ')') return null;
      i++;
      pctOperand = false;
      return v;
    }
    return null;
  }
  function postfix(): Rational | null {
    let v = primary();
    while (v !== null && peek()?.k === '!' && !peek()!.space) {
      i++;
      v = v.factorial();
    }
    return v;
  }
  function power(): Rational | null {
    const b = postfix();
    const t = peek();
    if (b === null || t?.k !== 'op' || t.op !== '^') return b;
    i++;
    const e = unary();
    return e === null ? null : b.pow(e);
  }
  function unary(): Rational | null {
    const t = peek();
    if (t?.k === 'op' && (t.op === '-' || t.op === '+')) {
      i++;
      const v = unary();
      return v === null ? null : t.op === '-' ? v.neg() : v;
    }
    return power();
  }
  /** Implicit product: a bracket glued to a number or bracket, `2(3+4)`, `(3)(4)`. */
  const implicit = (): boolean => {
    const t = peek();
    const prev = toks[i - 1];
    if (!t || !prev) return false;
    return t.k === '(' && (prev.k === ')' || (prev.k === 'num' && !t.space));
  };
  function product(): Rational | null {
    let v = unary();
    for (;;) {
      const t = peek();
      if (v === null || !t) return v;
      if (t.k === 'op' && (t.op === '*' || t.op === '/')) {
        i++;
        const w = unary();
        v = w === null ? null : t.op === '*' ? v.mul(w) : v.div(w);
      } else if (implicit()) v = ((w) => (w === null ? null : v!.mul(w)))(unary());
      else return v;
    }
  }
  function sum(): Rational | null {
    let v = reading.precedence ? product() : unary();
    let leftPct = pctOperand;
    for (;;) {
      const t = peek();
      if (v === null || !t || t.k !== 'op') return v;
      if (!reading.precedence && (t.op === '*' || t.op === '/')) {
        i++;
        const w = unary();
        v = w === null ? null : t.op === '*' ? v.mul(w) : v.div(w);
        continue;
      }
      if (t.op !== '+' && t.op !== '-') return v;
      // `-7 -7 + 9`: a minus spaced before and glued after reads as a new signed number.
      if (t.space && toks[i + 1] && !toks[i + 1].space) return null;
      // `12-15` glued on both sides may be a range, not a subtraction.
      if (t.op === '-' && !t.space && toks[i - 1]?.k === 'num' && toks[i + 1] && !toks[i + 1].space)
        ambiguous = true;
      i++;
      const w = reading.precedence ? product() : unary();
      if (w === null) return null;
      if (leftPct !== pctOperand) ambiguous = true;
      leftPct = pctOperand;
      v = t.op === '+' ? v.add(w) : v.sub(w);
    }
  }

  const v = sum();
  if (v === null || i !== toks.length || v.tooBig()) return null;
  return { v, ambiguous, approx };
}
