/**
 * Synthetic step-by-step arithmetic word problems with labelled errors, in ProcessBench form
 * (`label` = index of the first wrong step, -1 when all steps are right). Seeded and
 * deterministic: the same `{ n, seed }` gives the same records everywhere. This is the training
 * and evaluation data of the bundled demo PRM and the app's "new practice problem" source; it
 * does no I/O.
 */
import type { ProcessBenchItem } from '../types.ts';
import { itemSeed, mulberry32, type Rng } from './rng.ts';
import { evaluate, type Plan } from './plan.ts';
import { SCENARIOS } from './scenarios.ts';
import type { Wording } from './kit.ts';
import { MAX_STEPS, render, type Mutation, type Rendered } from './render.ts';
import { stripStepLabel } from '../segment/markers.ts';
import { ERROR_TYPES, chooseMutation, type ErrorType } from './inject.ts';
import { spellNumbers, statedNumbers } from './implied.ts';

export type { ErrorType } from './inject.ts';
export { ERROR_TYPES } from './inject.ts';
export type { Wording } from './kit.ts';

export interface SynthItem extends ProcessBenchItem {
  generator: 'synth';
  error_type: ErrorType;
}

export interface SynthOptions {
  /** Number of records. */
  n: number;
  /** Any 32-bit integer. */
  seed: number;
  /** Share of fully correct solutions, 0..1 (default 0.5). Errors split evenly over the four types. */
  correctShare?: number;
  /**
   * `varied` (default): names and objects from word lists, step labels, bare equations, LaTeX,
   * thousands separators, boxed answers (what the bundled demo model is trained on). `plain`: a
   * small closed vocabulary and few sentence forms.
   */
  wording?: Wording;
}

/** Fewest computations in a plan; a solution always has at least two steps (see synthItem). */
const MIN_STEPS = 1;
const MIN_SOLUTION_STEPS = 2;

function plan(r: Rng, w: Wording): Plan {
  for (;;) {
    const p = r.pick(SCENARIOS[w])(r, w);
    if (p.steps.length >= MIN_STEPS && p.steps.length <= MAX_STEPS)
      return w === 'varied'
        ? { ...p, problem: spellNumbers(r, joinSentences(r, p.problem, p.person?.name ?? '')) }
        : p;
  }
}

/**
 * Some problems run a sentence about the same person into the one before, as people write:
 * "Maria has $80. She buys 3 books." -> "Maria has $80 and buys 3 books." Only when the sentence
 * before is about `name` too (`Maria`, `the store` as "A store"), never into one with "and";
 * the question stays.
 */
export function joinSentences(r: Rng, problem: string, name: string, share = 0.3): string {
  if (!name || !r.chance(share)) return problem;
  const subject = name.replace(/^the /, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const about = new RegExp(`^(?:(?:A|An|The) )?${subject}\\b`);
  return problem.replace(/\. (?:He|She|They|It) (?=[a-z])/g, (m, at: number) => {
    const before = problem.slice(problem.lastIndexOf('. ', at - 1) + 1, at).trim();
    return !about.test(before) || / and /.test(before) || !r.chance(0.6) ? m : ' and ';
  });
}

const numbersIn = (text: string): Set<number> => statedNumbers(stripStepLabel(text));

/** True when the mutation really is what its type claims, judged on the rendered text. */
function holds(p: Plan, m: Mutation, out: Rendered): boolean {
  if (m.a === undefined && m.b === undefined) return true;
  const known = new Set(
    [p.problem, ...out.steps.slice(0, out.stepIndex[m.step])].flatMap((t) => [...numbersIn(t)]),
  );
  const orig = evaluate(p.steps.slice(0, m.step));
  const s = p.steps[m.step];
  const base = (o: { given: number } | { ref: number }): number => ('given' in o ? o.given : orig[o.ref]);
  const changed = [
    m.a !== undefined && m.a !== base(s.a) ? m.a : undefined,
    m.b !== undefined && m.b !== base(s.b) ? m.b : undefined,
  ].filter((v): v is number => v !== undefined);
  return changed.length > 0 && changed.some((v) => !known.has(v));
}

/**
 * One record from its own seed.
 *
 * @example
 * synthItem(12345, 'synth-0').label; // -1, or the index of the first wrong step
 */
export function synthItem(
  seed: number,
  id: string,
  correctShare = 0.5,
  wording: Wording = 'varied',
): SynthItem {
  const r = mulberry32(seed);
  const type: ErrorType = r.chance(correctShare) ? 'none' : r.pick(ERROR_TYPES);
  return (
    drawn(r, type, wording, id, (p, m) => render(p, r, m, wording)) ?? synthItem(seed + 1, id, 0, wording)
  );
}

/**
 * A minimal pair from one seed: a record with one mistake and its twin with none, the same
 * problem rendered with the same draws, so the two differ only where the mistake is (training
 * data that shows a model the difference alone; train/prepare.ts --pairs). The wording can part
 * after the mistake when a step's text depends on the value (a number spelt out, say).
 *
 * @example
 * const [wrong, right] = synthPair(12345, 'pair-0');
 * wrong.problem === right.problem; // true; right.label === -1
 */
export function synthPair(seed: number, id: string, wording: Wording = 'varied'): [SynthItem, SynthItem] {
  const r = mulberry32(seed);
  const type = r.pick(ERROR_TYPES);
  let twin: Rendered | null = null;
  const wrong = drawn(r, type, wording, id, (p, m) => {
    const from = r.int(0, 0xffffffff);
    twin = render(p, mulberry32(from), undefined, wording);
    return twin && render(p, mulberry32(from), m, wording);
  });
  if (!wrong || !twin) return synthPair(seed + 1, id, wording);
  const right: Rendered = twin;
  return [
    wrong,
    {
      ...wrong,
      id: `${id}-twin`,
      steps: right.steps,
      label: -1,
      final_answer_correct: true,
      error_type: 'none',
    },
  ];
}

/**
 * The first plan and rendering of type `type` that holds, tried 60 times (null when none did);
 * `show` renders a plan with a mutation (or none) from the caller's draws.
 */
function drawn(
  r: Rng,
  type: ErrorType,
  wording: Wording,
  id: string,
  show: (p: Plan, m: Mutation | undefined) => Rendered | null,
): SynthItem | null {
  for (let attempt = 0; attempt < 60; attempt++) {
    const p = plan(r, wording);
    const truth = evaluate(p.steps);
    const misquote = type === 'unsupported_number' && wording === 'varied' && r.chance(0.2);
    const m = type === 'none' ? undefined : misquote ? { step: 0, misquote } : chooseMutation(p, type, r);
    if (type !== 'none' && !m) continue;
    const out = show(p, m ?? undefined);
    if (!out || out.steps.length < MIN_SOLUTION_STEPS || (m && !holds(p, m, out))) continue;
    if (m?.answer !== undefined && m.answer === out.stated[out.stated.length - 1]) continue;
    return {
      id,
      generator: 'synth',
      problem: p.problem,
      steps: out.steps,
      label: !m ? -1 : m.misquote ? 0 : type === 'final_answer' ? out.answerStep : out.stepIndex[m.step],
      final_answer_correct: out.answer === truth[truth.length - 1],
      error_type: type,
    };
  }
  return null;
}

/**
 * `n` records from `seed`; item i depends only on (seed, i), so a prefix of a larger set is the
 * smaller set.
 *
 * @example
 * const items = synthesize({ n: 1000, seed: 7 });
 * items.filter((x) => x.label === -1).length; // about 500
 */
export function synthesize(options: SynthOptions): SynthItem[] {
  const { n, seed, correctShare = 0.5, wording = 'varied' } = options;
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`synthesize: n must be a whole number >= 0, got ${n}.`);
  if (!Number.isInteger(seed)) throw new RangeError(`synthesize: seed must be an integer, got ${seed}.`);
  if (!(correctShare >= 0 && correctShare <= 1))
    throw new RangeError(`synthesize: correctShare must be between 0 and 1, got ${correctShare}.`);
  return Array.from({ length: n }, (_, i) =>
    synthItem(itemSeed(seed, i), `synth-${seed}-${i}`, correctShare, wording),
  );
}

/**
 * One fresh problem with a solution for the app's "new practice problem" button.
 *
 * @example
 * practiceProblem(Date.now() >>> 0).steps; // ['First, the cost of the pens is 4 × $3 = $12.', ...]
 */
export function practiceProblem(seed: number): SynthItem {
  // The varied wording: what the bundled model is trained on (train/prepare.ts).
  return synthItem(itemSeed(seed >>> 0, 0), `practice-${seed >>> 0}`, 0.5, 'varied');
}
