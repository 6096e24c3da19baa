/**
 * Training-only augmentation (prepare.ts --word-noise): replaces words of solution steps with
 * words drawn from a large English word list, so the model learns that a word it never saw says
 * nothing about whether a step is right. People write verbs and phrasings the generator does not
 * ("She spent 18 + 15 = 33 dollars."), and a model trained on the generator's words alone learned
 * to mark such right steps wrong.
 *
 * A step's label never depends on these words: numbers, operators, `=`, LaTeX commands (`\times`,
 * `\boxed`), words of one or two letters (the `x` operator among them) and the step label
 * (`Step 2:`, which the prompt builder strips) are left as they are. In problems, where
 * whether an operation fits is read ("each", "left", "shared"), only names and counted objects
 * change (renameThings).
 */
import { stripStepLabel } from '../src/core/segment/markers.ts';
import type { Rng } from '../src/core/synth/rng.ts';
import { cap } from '../src/core/synth/kit.ts';

/** Words of three letters or more, not after a backslash or inside another word. */
const WORD = /(?<![\\A-Za-z])[A-Za-z]{3,}(?![A-Za-z])/g;

/**
 * Words that state arithmetic or a quantity: after a result ("= 40 plus") they change what the
 * exact checker and a reader take the computation to be, so they are never drawn.
 */
const MEANINGFUL = new Set(
  (
    'plus minus times equals equal equaled over divided divide multiplied multiply sum less more ' +
    'half halves twice double triple quarter percent dozen dozens zero one two three four five six ' +
    'seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen ' +
    'nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand ' +
    'thousands million millions billion first second third answer total remain left each'
  ).split(' '),
);

/**
 * The replacement pool from a word list file's text: lower-case words of 3 to 10 letters, less
 * the words of MEANINGFUL.
 */
export function noiseWords(listText: string): string[] {
  return [...new Set(listText.split('\n').filter((w) => /^[a-z]{3,10}$/.test(w) && !MEANINGFUL.has(w)))];
}

/** What comes before the unit word of a result. */
const RESULT = /= \$?\d[\d,]* $/;
/** What follows a unit word between a number and an operator or `=`. */
const INSIDE = /^ (?:[+\-−*×x/÷=]|\\times|\\cdot|\\div) /;

/**
 * `step` with `count` of its words (fewer if it has fewer) replaced by words of `pool`, keeping
 * a capital first letter capital.
 */
export function replaceWords(step: string, r: Rng, pool: readonly string[], count: number): string {
  const body = stripStepLabel(step);
  const at = step.lastIndexOf(body);
  if (at < 0 || pool.length === 0) return step;
  // Unit words inside a computation and after its result (`45 minutes × 7 = 315 minutes`) are
  // part of what the checker reads.
  const words = [...body.matchAll(WORD)].filter((m) => {
    const before = body.slice(0, m.index);
    return !(/\d $/.test(before) && INSIDE.test(body.slice(m.index + m[0].length))) && !RESULT.test(before);
  });
  const chosen = new Set<number>();
  for (let i = 0; i < Math.min(count, words.length); i++) {
    let k = r.int(0, words.length - 1);
    while (chosen.has(k)) k = (k + 1) % words.length;
    chosen.add(k);
  }
  let out = '';
  let from = 0;
  words.forEach((m, k) => {
    if (!chosen.has(k)) return;
    const w = r.pick(pool);
    out += body.slice(from, m.index) + (/^[A-Z]/.test(m[0]) ? cap(w) : w);
    from = m.index + m[0].length;
  });
  return step.slice(0, at) + out + body.slice(from);
}

const escape = (w: string): string => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Verbs ending in s that can follow a number ("15 gets off"). */
const VERBS = new Set('does gets gives goes has makes takes sells buys costs needs was'.split(' '));

/** Units whose words carry a rate or money, which the wording of an operation may lean on. */
const UNITS = new Set(
  'dollars dollar cents hours hour minutes days weeks months years km miles metres meters cm kg grams litres'.split(
    ' ',
  ),
);

/**
 * The problem and its steps with people and objects renamed throughout: each of `names` the
 * problem uses, and each plural word right after a number in it ("21 coins") other than units, is with
 * probability 1/2 replaced wherever it occurs by a word of `pool` (capitalised for a name, with a
 * plural `s` for an object). Who buys what never decides a label; people writing problems use
 * names and objects the generator never does.
 */
export function renameThings(
  problem: string,
  steps: readonly string[],
  r: Rng,
  pool: readonly string[],
  names: readonly string[],
): { problem: string; steps: string[] } {
  // Plural nouns only: the word after a number may also be a verb or "and" ("76 are taken").
  const objects = [...problem.matchAll(/\d ([a-z]{2,}s)(?![A-Za-z])/g)]
    .map((m) => m[1])
    .filter((w) => !/(ss|ess|us|is)$/.test(w) && !VERBS.has(w) && !MEANINGFUL.has(w) && !UNITS.has(w));
  const found = [
    ...names.filter((n) => new RegExp(`(?<![A-Za-z])${escape(n)}(?![A-Za-z])`).test(problem)),
    ...new Set(objects),
  ];
  let texts = [problem, ...steps];
  for (const w of found) {
    if (pool.length === 0 || !r.chance(0.5)) continue;
    const fresh = r.pick(pool);
    const to = /^[A-Z]/.test(w) ? cap(fresh) : fresh.endsWith('s') ? fresh : `${fresh}s`;
    const re = new RegExp(`(?<![A-Za-z\\\\])${escape(w)}(?![A-Za-z])`, 'g');
    texts = texts.map((t) => t.replace(re, to));
  }
  return { problem: texts[0], steps: texts.slice(1) };
}

/** Each step, with probability `share`, gets one or two words replaced. */
export function noisySteps(
  steps: readonly string[],
  r: Rng,
  pool: readonly string[],
  share: number,
): string[] {
  return steps.map((s) => (r.chance(share) ? replaceWords(s, r, pool, r.chance(0.3) ? 2 : 1) : s));
}
