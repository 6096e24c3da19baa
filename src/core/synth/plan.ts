/**
 * The abstract form of a synthetic word problem: the problem text plus a list of computations,
 * each `a op b` over numbers the problem gives or earlier computations produced. Rendering to
 * English steps and error injection work on this form. It does not pick wording for the steps.
 */

export type Op = '+' | '-' | '*' | '/';

/** A number the problem states, or the result of an earlier computation. */
export type Operand = { given: number } | { ref: number };

/** How a quantity is written: money gets `$`, others may get a unit word after the result. */
export interface Unit {
  money: boolean;
  /** Plural unit word such as `minutes` or `km`; absent for plain counts. */
  word?: string;
}

export interface PlanStep {
  a: Operand;
  op: Op;
  b: Operand;
  /** Noun phrase for the result, with article: `the cost of the pens`. */
  what: string;
  unit: Unit;
  /** Units of the two operands (a given price is money, a count is not). */
  unitA: Unit;
  unitB: Unit;
}

export interface Plan {
  situation: string;
  problem: string;
  steps: PlanStep[];
  /** Who the problem is about, for steps written as `She has ...`. */
  person?: { name: string; he: string };
}

export const MAX_RESULT = 1_000_000;

/** `a op b`, or NaN when the result is not a whole number in [0, MAX_RESULT). */
export function apply(op: Op, a: number, b: number): number {
  let c: number;
  if (op === '+') c = a + b;
  else if (op === '-') c = a - b;
  else if (op === '*') c = a * b;
  else c = b === 0 || a % b !== 0 ? NaN : a / b;
  return Number.isInteger(c) && c >= 0 && c < MAX_RESULT ? c : NaN;
}

/** The true value of every step of a plan. */
export function evaluate(steps: readonly PlanStep[]): number[] {
  const values: number[] = [];
  const val = (o: Operand): number => ('given' in o ? o.given : values[o.ref]);
  for (const s of steps) values.push(apply(s.op, val(s.a), val(s.b)));
  return values;
}

const PLAIN: Unit = { money: false };
export const MONEY: Unit = { money: true };
export const plain = (word?: string): Unit => (word ? { money: false, word } : PLAIN);

/**
 * Collects computations while a scenario writes its problem, so the scenario can use each
 * result's value (a bill larger than the total, a remainder that divides evenly).
 */
export class PlanBuilder {
  readonly steps: PlanStep[] = [];
  private readonly values: number[] = [];

  /** Adds `a op b` and returns a handle to its result. */
  calc(a: Qty, op: Op, b: Qty, what: string, unit: Unit): Qty {
    const c = apply(op, a.value, b.value);
    if (Number.isNaN(c)) throw new RangeError(`invalid computation ${a.value} ${op} ${b.value}`);
    this.steps.push({ a: a.operand, op, b: b.operand, what, unit, unitA: a.unit, unitB: b.unit });
    this.values.push(c);
    return { value: c, operand: { ref: this.steps.length - 1 }, unit };
  }
}

/** A quantity while building: its value, where it comes from, how it is written. */
export interface Qty {
  value: number;
  operand: Operand;
  unit: Unit;
}

/** A number stated in the problem. */
export function given(value: number, unit: Unit = PLAIN): Qty {
  return { value, operand: { given: value }, unit };
}
