/**
 * Turns a plan (plus at most one injected mistake) into English solution steps. Each step is one
 * or two sentences with one `a op b = c` computation; the last step also states the final answer.
 * Wording, operator glyphs and units vary per solution so a model has to read the arithmetic, not
 * the phrasing. It does not decide which mistake to make (see inject.ts).
 */
import type { Rng } from './rng.ts';
import { apply, type Op, type Operand, type Plan, type Unit } from './plan.ts';
import { cap, type Wording } from './kit.ts';
import { slip } from './inject.ts';
import { statedNumbers, writtenNumbers } from './implied.ts';
import { answerSentence, questionOf } from './answer.ts';

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
  /**
   * The solution opens by restating the problem's numbers and misquotes one of them (an
   * unsupported number in a step with no computation); `step` is then 0 and the rest is right.
   */
  misquote?: boolean;
}

export interface Rendered {
  steps: string[];
  /** Index in `steps` of each plan step (a restatement may come first). */
  stepIndex: number[];
  /** Index in `steps` of the step that states the final answer. */
  answerStep: number;
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
  /** Share of sentence steps written in the way people write (`She has 84 - 19 = 65 left.`). */
  human: number;
  /** `$` on the result only (`148 × 6 = $888`). */
  dollarResultOnly: boolean;
  /** The final answer as a step of its own. */
  answerAlone: boolean;
  /** The solution opens with a step that restates the given numbers or what to find. */
  restate: boolean;
  /** Verbs of sentence steps in the past tense: `She spent ...`, `He had ... left`. */
  past: boolean;
}

export const GLYPHS: Record<Op, string[]> = {
  '+': ['+'],
  '-': ['-', '−'],
  '*': ['×', '*', 'x'],
  '/': ['/', '÷'],
};
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
    bare: varied ? r.pick([0, 0, 0, 0.3, 1]) : 0,
    varied,
    human: varied ? r.pick([0, 0.5, 0.8, 1]) : 0,
    dollarResultOnly: varied && r.chance(0.15),
    answerAlone: varied && r.chance(0.4),
    restate: varied && r.chance(0.2),
    past: varied && r.chance(0.25),
  };
}

function digits(n: number, style: Style): string {
  return style.commas ? n.toLocaleString('en-US') : String(n);
}

function num(n: number, unit: Unit, style: Style): string {
  if (!(unit.money && style.dollar)) return digits(n, style);
  return dollar(n, style);
}

function dollar(n: number, style: Style): string {
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

/** What a human-written step knows of its sentence: lead-in, subject, equation, result, noun. */
interface Frame {
  /** Lead-in with its punctuation and a trailing space, or ''. */
  lead: string;
  /** `she`, `Tom`, `they`. */
  who: string;
  /** A verb agreeing with `who`: `has`/`have`. */
  v: (base: string) => string;
  /** The equation; `noun` follows it when the quantity has one. */
  eq: string;
  /** ` pencils`, ` minutes` or '' (money carries `$`). */
  noun: string;
  what: string;
  res: string;
  first: boolean;
  money: boolean;
}

const LEAD_FIRST = ['', '', 'First, ', 'To start, ', 'First '];
const LEAD_MID = ['', '', 'Next, ', 'Now ', 'Then ', 'After that, ', 'So ', 'Then, '];
const LEAD_LAST = ['', '', 'So ', 'Finally, ', 'That means ', 'In the end, ', 'Now '];

const noArticle = (w: string): string => w.replace(/^the /, '');

/** The past tense of every verb a human-written step conjugates (`Frame.v`). */
const PAST: Record<string, string> = {
  have: 'had',
  get: 'got',
  make: 'made',
  spend: 'spent',
  keep: 'kept',
  give: 'gave',
  start: 'started',
  pay: 'paid',
  use: 'used',
};

/** Sentence forms any step can take, whatever its operation. */
const HUMAN_ANY: ((f: Frame) => string)[] = [
  (f) => `${f.lead}${f.eq}${f.noun}.`,
  (f) => `${cap(noArticle(f.what))}: ${f.eq}${f.noun}.`,
  (f) => `${cap(f.res)}, since ${f.eq}.`,
  (f) => `${cap(f.what)} is ${f.res}, because ${f.eq}.`,
  (f) => `${f.lead}that makes ${f.eq}${f.noun}.`,
  (f) => `${f.lead}we get ${f.eq}${f.noun}.`,
  (f) => `${f.lead}${f.what} is ${f.eq}${f.noun}.`,
  (f) => `${f.eq}${f.noun}, so ${f.what} is ${f.res}.`,
];

/** Sentence forms that fit one operation: `She has 84 - 19 = 65 left.` */
const HUMAN_OP: Record<Op, ((f: Frame) => string)[]> = {
  '*': [
    (f) =>
      f.first
        ? `${f.who} ${f.v('start')} with ${f.eq}${f.noun}.`
        : `${f.lead}${f.who} ${f.v('get')} ${f.eq}${f.noun}.`,
    (f) => `${f.lead}${f.who} ${f.money ? f.v('spend') : f.v('make')} ${f.eq}${f.noun}.`,
    (f) => `${cap(f.res)} in all, since ${f.eq}.`,
    (f) => `In all, ${f.eq}${f.noun}.`,
    (f) => (f.money ? `${f.lead}that costs ${f.eq}.` : `${f.lead}there are ${f.eq}${f.noun}.`),
  ],
  '+': [
    (f) => `${f.lead}${f.who} ${f.v('have')} ${f.eq}${f.noun} in total.`,
    (f) => `In total, ${f.eq}${f.noun}.`,
    (f) => `Altogether, ${f.eq}${f.noun}.`,
    (f) => `${f.lead}${f.who} now ${f.v('have')} ${f.eq}${f.noun}.`,
    (f) => `Together that is ${f.eq}${f.noun}.`,
  ],
  '-': [
    (f) => `${f.lead}${f.who} ${f.v('have')} ${f.eq}${f.noun} left.`,
    (f) => `${f.lead}that leaves ${f.eq}${f.noun}.`,
    (f) => `${f.lead}${f.eq}${f.noun} ${f.money ? 'is' : 'are'} left.`,
    (f) => `After that, ${f.eq}${f.noun} remain.`,
    (f) => `${f.lead}${f.who} ${f.v('keep')} ${f.eq}${f.noun}.`,
  ],
  '/': [
    (f) => `${f.lead}each one gets ${f.eq}${f.noun}.`,
    (f) => `${f.lead}that is ${f.eq}${f.noun} each.`,
    (f) => `${f.lead}${f.eq}${f.noun} go in each.`,
    (f) => `Each share is ${f.eq}${f.noun}.`,
  ],
};

/**
 * Sentence forms that name the second operand in words before the computation, as people write
 * "He gives away 20, which leaves 63 - 20 = 43." (`b` is that operand as the equation shows it).
 */
const HUMAN_MENTION: Record<Op, ((f: Frame, b: string) => string)[]> = {
  '*': [
    (f, b) => `At ${b} each, ${f.eq}${f.noun}.`,
    (f, b) => `Multiplying by ${b}: ${f.eq}${f.noun}.`,
    (f, b) =>
      f.money ? `${f.lead}${b} for each: ${f.eq}.` : `${f.lead}${b} times as many: ${f.eq}${f.noun}.`,
    (f, b) => `With ${b} in each, ${f.who} ${f.v('get')} ${f.eq}${f.noun}.`,
  ],
  '+': [
    (f, b) => `Adding ${b}: ${f.eq}${f.noun}.`,
    (f, b) => `With ${b} more, ${f.eq}${f.noun}.`,
    (f, b) => `${f.lead}${f.who} ${f.v('get')} ${b} more, so ${f.eq}${f.noun}.`,
    (f, b) => `Plus ${b} makes ${f.eq}${f.noun}.`,
  ],
  '-': [
    (f, b) => `Taking away ${b}, ${f.eq}${f.noun} ${f.money ? 'is' : 'are'} left.`,
    (f, b) => `${f.lead}${f.who} ${f.v('give')} away ${b}, which leaves ${f.eq}${f.noun}.`,
    (f, b) => `After ${b} ${f.money ? 'is' : 'are'} gone, ${f.eq}${f.noun} remain.`,
    (f, b) => `Removing ${b} leaves ${f.eq}${f.noun}.`,
    (f, b) =>
      f.money
        ? `${f.lead}${f.who} ${f.v('pay')} ${b}, so ${f.eq} remain.`
        : `${f.lead}${f.who} ${f.v('use')} ${b}, so ${f.eq}${f.noun} remain.`,
    (f, b) => `After ${f.money ? 'paying' : 'using'} ${b}, ${f.eq}${f.noun} ${f.money ? 'is' : 'are'} left.`,
  ],
  '/': [
    (f, b) => `Shared among ${b}, each gets ${f.eq}${f.noun}.`,
    (f, b) => `Dividing by ${b}: ${f.eq}${f.noun}.`,
    (f, b) => `${f.lead}split into ${b} equal parts, that is ${f.eq}${f.noun} each.`,
  ],
};

/** A step with no computation: the given numbers of the first step, or what to find. */
const RESTATE_GIVEN: ((a: string, b: string) => string)[] = [
  (a, b) => `We know ${a} and ${b}.`,
  (a, b) => `The problem gives ${a} and ${b}.`,
  (a, b) => `Given: ${a} and ${b}.`,
  (a, b) => `We start from ${a} and ${b}.`,
];
const RESTATE_GOAL: ((w: string) => string)[] = [
  (w) => `We need to find ${w}.`,
  (w) => `We want ${w}.`,
  (w) => `The question asks for ${w}.`,
  (w) => `Let's work out ${w}.`,
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
  (a) => `**${a}**`,
  (a) => `The answer is **${a}**.`,
  (a) => `Answer: **${a}**`,
  (a) => `${cap(a)} is the answer.`,
  (a, w) => `That means ${w} is ${a}.`,
  (a, w) => `${cap(noArticle(w))}: ${a}.`,
];
/** The answer as a step of its own may be the bare quantity: `60 km`, `$27.` */
const ANSWERS_ALONE: ((a: string) => string)[] = [(a) => a, (a) => `${cap(a)}.`];

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
  const stepIndex: number[] = [];
  const m = mutation;
  const last = plan.steps.length - 1;
  const value = (o: Operand): number => {
    if ('given' in o) return o.given;
    return m?.compensate && o.ref === m.step ? truth[o.ref] : stated[o.ref];
  };
  const person = plan.person ?? { name: 'they', he: 'they' };
  const who = style.varied ? r.pick([person.he, person.he, person.name, 'they']) : person.he;
  const v = (base: string): string =>
    style.past ? PAST[base] : who === 'they' ? base : base === 'have' ? 'has' : `${base}s`;
  const written = writtenNumbers(plan.problem);
  const opening = restatement(plan, r, style, m?.misquote === true, written);
  if (opening === null) return null;
  if (opening) texts.push(opening);
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
    const human = style.human > 0 && !r.chance(style.bare) && r.chance(style.human);
    // People write a sum or a product in either order ("4 × 3" for 3 to each of 4 friends).
    const swap = style.varied && (op === '+' || op === '*') && r.chance(0.35);
    // People often name the unit of the first number when the result has it too:
    // `45 minutes × 7 = 315 minutes`.
    const same = !s.unitA.money && s.unitA.word !== undefined && s.unitA.word === s.unit.word;
    const named = style.varied && !style.latex && same && r.chance(0.1) ? ` ${s.unitA.word}` : '';
    const [left, right] = [operand(a, s.unitA, style) + named, operand(b, s.unitB, style)];
    // `\frac` after a word ("gets \frac{22}{2} = 11") is not read by src/core/judge.
    const lhs = expression(
      swap ? right : left,
      swap ? left : right,
      human && glyph === 'frac' ? '\\div' : glyph,
    );
    let eq = `${lhs} = ${num(c, s.unit, style)}${human ? '' : unitWord + dollarsWord}`;
    if (style.latexWrap) eq = `\\(${eq}\\)`;
    const connector = pick(r, style, i === 0 ? CONNECT_FIRST : i === last ? CONNECT_LAST : CONNECT_MID);
    const res = quantity(c, s.unit, style);
    let text: string;
    if (human) {
      const noun = s.unit.money
        ? style.dollar
          ? ''
          : ' dollars'
        : s.unit.word && s.unit.word !== 'crates'
          ? ` ${s.unit.word}`
          : '';
      const lead = r.pick(i === 0 ? LEAD_FIRST : i === last ? LEAD_LAST : LEAD_MID);
      const frame = { lead, who, v, eq, noun, what: s.what, res, first: i === 0, money: s.unit.money };
      // "At 12 each" only names a number the problem writes, not one a word implies (a year).
      const named = !('given' in s.b) || written.has(s.b.given);
      text =
        named && r.chance(0.2)
          ? cap(r.pick(HUMAN_MENTION[op])(frame, operand(b, s.unitB, style)))
          : cap(r.pick(r.chance(0.5) ? HUMAN_ANY : HUMAN_OP[op])(frame));
    } else if (r.chance(style.bare)) text = `${eq}${r.pick(['.', '', '.'])}`;
    else text = cap(pick(r, style, PATTERNS)(connector, s.what, eq, res));
    const alone = i === last && style.answerAlone && plan.steps.length + (opening ? 2 : 1) <= MAX_STEPS;
    if (i === last) {
      const answer = m?.answer ?? c;
      // People often end by answering the question in its own words: "She has 39 cookies left."
      const sentence = style.varied
        ? answerSentence(questionOf(plan.problem), digits(answer, style), quantity(answer, s.unit, style))
        : null;
      const said =
        sentence !== null && r.chance(0.3)
          ? sentence
          : alone && r.chance(0.2)
            ? r.pick(ANSWERS_ALONE)(quantity(answer, s.unit, style))
            : pick(r, style, ANSWERS)(quantity(answer, s.unit, style), s.what, digits(answer, style));
      if (alone) {
        stepIndex.push(texts.length);
        texts.push(style.label(texts.length) + text.trim());
        text = said;
      } else {
        // A bare equation without its full stop does not run into a sentence that opens with a
        // number: "216 / 2 = 108. 108 crates are filled.", not "= 108 108 crates" (nor
        // "= 364 minutes 364 planned minutes").
        const stop = /[a-z\d]$/i.test(text) && /^[\d$\\]/.test(said) ? '.' : '';
        text += `${stop} ${said}`;
      }
    }
    if (!(alone && i === last)) stepIndex.push(texts.length);
    texts.push(style.label(texts.length) + text.trim());
  }
  if (opening) texts[0] = style.label(0) + texts[0];
  return {
    steps: texts,
    stepIndex,
    answerStep: texts.length - 1,
    stated,
    operands,
    answer: m?.answer ?? stated[last],
  };
}

/** Most steps a rendered solution may have. */
export const MAX_STEPS = 8;

/**
 * An operand: `$12`, or `12` when `$` goes on the result only. A unit word goes on one operand at
 * most (`45 minutes × 7`, see render): the arithmetic checker (src/core/judge) leaves
 * `7 rows × 23 trees = 151` unjudged.
 */
function operand(n: number, unit: Unit, style: Style): string {
  return unit.money && style.dollarResultOnly ? digits(n, style) : num(n, unit, style);
}

/**
 * The opening step with no computation, '' when the style has none, or null when a misquote was
 * asked for and none fits: the first computation's given numbers (one of them changed to a number
 * the problem does not state when `misquote`) or what the problem asks for. `written`: the numbers
 * the problem writes, in digits or words (writtenNumbers).
 */
function restatement(
  plan: Plan,
  r: Rng,
  style: Style,
  misquote: boolean,
  written: ReadonlySet<number>,
): string | null {
  if (!misquote && !(style.restate && plan.steps.length + 1 < MAX_STEPS)) return '';
  if (misquote && plan.steps.length + 1 > MAX_STEPS) return null;
  const s = plan.steps[0];
  if (!misquote && r.chance(0.4)) {
    return cap(r.pick(RESTATE_GOAL)(plan.steps[plan.steps.length - 1].what));
  }
  if (!('given' in s.a) || !('given' in s.b)) return misquote ? null : '';
  const vals = [s.a.given, s.b.given];
  // A number the problem gives only by a word ("two weeks" for 7 days) is not restated.
  if (!vals.every((v) => written.has(v))) return misquote ? null : '';
  if (misquote) {
    const inProblem = statedNumbers(plan.problem);
    const k = r.int(0, 1);
    const wrong = slip(r, vals[k]);
    if (inProblem.has(wrong)) return null;
    vals[k] = wrong;
  }
  const show = (n: number, unit: Unit): string =>
    unit.money ? dollar(n, style) : unit.word ? `${digits(n, style)} ${unit.word}` : digits(n, style);
  return r.pick(RESTATE_GIVEN)(show(vals[0], s.unitA), show(vals[1], s.unitB));
}
