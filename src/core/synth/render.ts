/**
 * Turns a plan (plus at most one injected mistake) into English solution steps. Each step is one
 * or two sentences with one `a op b = c` computation; the last step also states the final answer.
 * Wording, operator glyphs and units vary per solution so a model has to read the arithmetic, not
 * the phrasing. It does not decide which mistake to make (see inject.ts).
 */
import type { Rng } from './rng.ts';
import { apply, type Op, type Operand, type Plan, type Unit } from './plan.ts';
import type { Wording } from './scenarios.ts';

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
  /** `\times`, `\div` or `\frac{a}{b}`, `\$`, sometimes inside `\( ... \)`. */
  latex: boolean;
  latexWrap: boolean;
  /** Thousands separators: `1,250`. */
  commas: boolean;
  /** Step label before each step: '', 'Step 1: ', '1. ', '1) '. */
  label: (i: number) => string;
  /** Share of steps written as a bare equation instead of a sentence. */
  bare: number;
  /** Whether the newer connectors, sentence patterns and answer forms may appear. */
  varied: boolean;
}

const GLYPHS: Record<Op, string[]> = { '+': ['+'], '-': ['-', '−'], '*': ['×', '*', 'x'], '/': ['/', '÷'] };
const LATEX: Record<Op, string[]> = {
  '+': ['+'],
  '-': ['-'],
  '*': ['\\times', '\\cdot'],
  '/': ['\\div', 'frac'],
};

const LABELS: ((i: number) => string)[] = [
  () => '',
  (i) => `Step ${i + 1}: `,
  (i) => `${i + 1}. `,
  (i) => `${i + 1}) `,
  (i) => `**Step ${i + 1}:** `,
];

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function styleFor(r: Rng, w: Wording): Style {
  const varied = w === 'varied';
  const latex = varied && r.chance(0.15);
  return {
    glyph: {
      '+': '+',
      '-': r.pick(latex ? LATEX['-'] : GLYPHS['-']),
      '*': r.pick(latex ? LATEX['*'] : GLYPHS['*']),
      '/': r.pick(latex ? LATEX['/'] : GLYPHS['/']),
    },
    mixedGlyphs: !latex && r.chance(0.2),
    dollar: r.chance(0.85),
    unitWords: r.chance(0.35),
    latex,
    latexWrap: latex && r.chance(0.5),
    commas: varied && r.chance(0.5),
    label: !varied || r.chance(0.6) ? LABELS[0] : r.pick(LABELS),
    bare: varied ? r.pick([0, 0, 0.3, 1]) : 0,
    varied,
  };
}

function digits(n: number, style: Style): string {
  return style.commas ? n.toLocaleString('en-US') : String(n);
}

function num(n: number, unit: Unit, style: Style): string {
  if (!(unit.money && style.dollar)) return digits(n, style);
  return `${style.latex ? '\\$' : '$'}${digits(n, style)}`;
}

/** A result in running text: `$36`, `135 km`, `36 dollars`. */
function quantity(n: number, unit: Unit, style: Style): string {
  if (unit.money) return style.dollar ? num(n, unit, style) : `${digits(n, style)} dollars`;
  return unit.word && unit.word !== 'crates' ? `${digits(n, style)} ${unit.word}` : digits(n, style);
}

const CONNECT_FIRST = ['First, ', 'To start, ', '', 'We begin with ', 'First we find '];
const CONNECT_MID = ['Next, ', 'Then ', 'Now ', '', 'After that, ', 'So '];
const CONNECT_LAST = ['Finally, ', 'Last, ', 'So ', '', 'That means ', 'Therefore '];

/** Sentence patterns for one computation: W = what, E = equation, R = result in text. */
const PATTERNS: ((c: string, w: string, e: string, res: string) => string)[] = [
  (c, w, e) => `${cap(c)}${w} is ${e}.`,
  (c, w, e) => `${cap(c)}${w} comes to ${e}.`,
  (_c, w, e) => `To find ${w}, we compute ${e}.`,
  (_c, w, e, res) => `${cap(e)}, so ${w} is ${res}.`,
  (_c, w, e) => `We need ${w}. That is ${e}.`,
  (_c, w, e) => `${cap(w)}: ${e}.`,
  (c, w, e) => `${cap(c)}we work out ${w}: ${e}.`,
  (_c, w, e) => `${cap(e)}, which gives ${w}.`,
  (_c, w, e) => `Then ${e}, which is ${w}.`,
  (_c, w, e) => `${cap(w)} = ${e}.`,
  (c, w, e) => `${cap(c)}${e}, which is ${w}.`,
  (_c, w, e, res) => `${cap(w)}: ${e}. So that is ${res}.`,
];

const ANSWERS: ((a: string, w: string, boxed: string) => string)[] = [
  (a) => `The answer is ${a}.`,
  (a) => `The final answer is ${a}.`,
  (a) => `So the answer is ${a}.`,
  (a) => `Answer: ${a}`,
  (a, w) => `So ${w} is ${a}.`,
  (_a, _w, b) => `The answer is $\\boxed{${b}}$.`,
  (_a, _w, b) => `\\boxed{${b}}`,
  (_a, w, b) => `So ${w} is \\boxed{${b}}.`,
  (_a, _w, b) => `Final answer: \\boxed{${b}}`,
];

// Each list starts with the plain wording's entries; `pick` draws from those alone unless varied.
const PLAIN_COUNT = new Map<readonly unknown[], number>([
  [CONNECT_FIRST, 3],
  [CONNECT_MID, 4],
  [CONNECT_LAST, 4],
  [PATTERNS, 7],
  [ANSWERS, 5],
]);

function pick<T>(r: Rng, style: Style, list: readonly T[]): T {
  return r.pick(style.varied ? list : list.slice(0, PLAIN_COUNT.get(list)));
}

/** `a op b` in this solution's notation (plain glyphs or LaTeX). */
function expression(a: string, b: string, glyph: string): string {
  if (glyph === 'frac') return `\\frac{${a}}{${b}}`;
  return `${a} ${glyph} ${b}`;
}

/**
 * Renders a plan, applying `mutation` if given. Returns null when the mutated arithmetic is not
 * possible (a non-whole division, a negative result), so the caller can try another mistake.
 */
export function render(
  plan: Plan,
  r: Rng,
  mutation?: Mutation,
  wording: Wording = 'varied',
): Rendered | null {
  const style = styleFor(r, wording);
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
    const lhs = expression(num(a, s.unitA, style), num(b, s.unitB, style), glyph);
    let eq = `${lhs} = ${num(c, s.unit, style)}${unitWord}${dollarsWord}`;
    if (style.latexWrap) eq = `\\(${eq}\\)`;
    const connector = pick(r, style, i === 0 ? CONNECT_FIRST : i === last ? CONNECT_LAST : CONNECT_MID);
    const res = quantity(c, s.unit, style);
    let text = r.chance(style.bare)
      ? `${eq}${r.pick(['.', '', '.'])}`
      : cap(pick(r, style, PATTERNS)(connector, s.what, eq, res));
    if (i === last) {
      const answer = m?.answer ?? c;
      text += ' ' + pick(r, style, ANSWERS)(quantity(answer, s.unit, style), s.what, digits(answer, style));
    }
    text = style.label(i) + text.trim();
    texts.push(text);
  }
  return { steps: texts, stated, operands, answer: m?.answer ?? stated[last] };
}
