/**
 * Turns a plan (plus at most one injected mistake) into English solution steps. Each step is one
 * or two sentences with one `a op b = c` computation; the last step also states the final answer.
 * Wording, operator glyphs and units vary per solution so a model has to read the arithmetic, not
 * the phrasing. It does not decide which mistake to make (see inject.ts).
 */
import type { Rng } from './rng.ts';
import { apply, type Op, type Operand, type Plan, type Unit } from './plan.ts';

/** One injected mistake; fields apply to `step` only. */
export interface Mutation {
  step: number;
  /** Stated result instead of the true one (arithmetic error). */
  stated?: number;
  /** Later steps use the true result of `step` although a wrong one was stated. */
  compensate?: boolean;
  /** Operand values used instead of the supported ones (unsupported number). */
  a?: number;
  b?: number;
  /** Operation used instead of the right one (wrong operation). */
  op?: Op;
  /** Final answer stated instead of the last result (final answer error). */
  answer?: number;
}

export interface Rendered {
  steps: string[];
  /** Result each step states. */
  stated: number[];
  /** Operand values each step uses. */
  operands: [number, number][];
  answer: number;
}

interface Style {
  glyph: Record<Op, string>;
  mixedGlyphs: boolean;
  dollar: boolean;
  unitWords: boolean;
}

const GLYPHS: Record<Op, string[]> = { '+': ['+'], '-': ['-', '−'], '*': ['×', '*', 'x'], '/': ['/', '÷'] };

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function styleFor(r: Rng): Style {
  return {
    glyph: { '+': '+', '-': r.pick(GLYPHS['-']), '*': r.pick(GLYPHS['*']), '/': r.pick(GLYPHS['/']) },
    mixedGlyphs: r.chance(0.2),
    dollar: r.chance(0.85),
    unitWords: r.chance(0.35),
  };
}

function num(n: number, unit: Unit, style: Style): string {
  return unit.money && style.dollar ? `$${n}` : String(n);
}

/** A result in running text: `$36`, `135 km`, `36 dollars`. */
function quantity(n: number, unit: Unit, style: Style): string {
  if (unit.money) return style.dollar ? `$${n}` : `${n} dollars`;
  return unit.word && unit.word !== 'crates' ? `${n} ${unit.word}` : String(n);
}

const CONNECT_FIRST = ['First, ', 'To start, ', ''];
const CONNECT_MID = ['Next, ', 'Then ', 'Now ', ''];
const CONNECT_LAST = ['Finally, ', 'Last, ', 'So ', ''];

/** Sentence patterns for one computation: W = what, E = equation, R = result in text. */
const PATTERNS: ((c: string, w: string, e: string, res: string) => string)[] = [
  (c, w, e) => `${cap(c)}${w} is ${e}.`,
  (c, w, e) => `${cap(c)}${w} comes to ${e}.`,
  (_c, w, e) => `To find ${w}, we compute ${e}.`,
  (_c, w, e, res) => `${cap(e)}, so ${w} is ${res}.`,
  (_c, w, e) => `We need ${w}. That is ${e}.`,
  (_c, w, e) => `${cap(w)}: ${e}.`,
  (c, w, e) => `${cap(c)}we work out ${w}: ${e}.`,
];

const ANSWERS: ((a: string, w: string) => string)[] = [
  (a) => `The answer is ${a}.`,
  (a) => `The final answer is ${a}.`,
  (a) => `So the answer is ${a}.`,
  (a) => `Answer: ${a}`,
  (a, w) => `So ${w} is ${a}.`,
];

/**
 * Renders a plan, applying `mutation` if given. Returns null when the mutated arithmetic is not
 * possible (a non-whole division, a negative result), so the caller can try another mistake.
 */
export function render(plan: Plan, r: Rng, mutation?: Mutation): Rendered | null {
  const style = styleFor(r);
  const stated: number[] = [];
  const truth: number[] = [];
  const operands: [number, number][] = [];
  const texts: string[] = [];
  const m = mutation;
  const last = plan.steps.length - 1;
  const value = (o: Operand): number => {
    if ('given' in o) return o.given;
    return m?.compensate && o.ref === m.step ? truth[o.ref] : stated[o.ref];
  };
  for (let i = 0; i <= last; i++) {
    const s = plan.steps[i];
    const here = m?.step === i ? m : undefined;
    const a = here?.a ?? value(s.a);
    const b = here?.b ?? value(s.b);
    const op = here?.op ?? s.op;
    const result = apply(op, a, b);
    if (Number.isNaN(result)) return null;
    truth.push(result);
    const c = here?.stated ?? result;
    if (c < 0 || !Number.isInteger(c)) return null;
    stated.push(c);
    operands.push([a, b]);
    const glyph = style.mixedGlyphs ? r.pick(GLYPHS[op]) : style.glyph[op];
    const unitWord = style.unitWords && s.unit.word && s.unit.word !== 'crates' ? ` ${s.unit.word}` : '';
    const dollarsWord = s.unit.money && !style.dollar && style.unitWords ? ' dollars' : '';
    const eq = `${num(a, s.unitA, style)} ${glyph} ${num(b, s.unitB, style)} = ${num(c, s.unit, style)}${unitWord}${dollarsWord}`;
    const connector = r.pick(i === 0 ? CONNECT_FIRST : i === last ? CONNECT_LAST : CONNECT_MID);
    let text = cap(r.pick(PATTERNS)(connector, s.what, eq, quantity(c, s.unit, style)));
    if (i === last) {
      const answer = m?.answer ?? c;
      text += ' ' + r.pick(ANSWERS)(quantity(answer, s.unit, style), s.what);
    }
    texts.push(text);
  }
  return { steps: texts, stated, operands, answer: m?.answer ?? stated[last] };
}
