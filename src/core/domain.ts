/**
 * Whether a solution lies inside a demo model's training domain (`prm.json` `domain`), so the app
 * and the CLI can say when its scores mean nothing instead of showing a confident heatmap. Four
 * measures, each with its limit in the domain: the share of words the training text never uses,
 * the share of steps with no `a op b = c` computation, non-whole numbers (decimals, fractions of
 * numbers, powers) and the prompt's length in tokens. A step has a computation when the arithmetic
 * checker (./judge) finds a claim in it; whether the claim is right does not matter here.
 */
import { checkStep } from './judge/index.ts';
import type { ModelDomain, ModelSpec } from './types.ts';

/** The notice shown next to the scores of a solution outside the domain. */
export const OUTSIDE_DOMAIN_NOTICE =
  'this demo model was not trained on text like this; its scores are not meaningful - load a real PRM';

export interface DomainMeasure {
  /** Words (lower-case letter runs of 2+ letters) in the problem and the steps. */
  words: number;
  /** Share of those words not in the domain's word list. */
  unknownWordShare: number;
  /** Up to 8 of those words, first seen first. */
  unknownWords: string[];
  /** Share of steps without an `a op b = c` computation (a last step that only states the answer counts as having one). */
  stepsWithoutComputation: number;
  /** A decimal number, a fraction of numbers or a power appears. */
  nonWholeNumbers: boolean;
  /** Prompt tokens, when the caller knows them. */
  tokens?: number;
}

export interface DomainCheck extends DomainMeasure {
  inside: boolean;
  /** Why it is outside, one short phrase per limit passed; empty when inside. */
  reasons: string[];
}

const WORD = /\p{L}{2,}/gu;
const NON_WHOLE = /\d\.\d|\d\s*\/\s*\d+\s*(?![\d,]*\s*=)|\^|\\sqrt|\\frac\{[^}]*[^\d\s,}$\\][^}]*\}/u;
const ANSWER_ONLY = /\d/;

/** The four measures of `problem` + `steps` (`tokens`: the prompt's token count, if known). */
export function measureDomain(
  domain: ModelDomain,
  problem: string,
  steps: string[],
  tokens?: number,
): DomainMeasure {
  const known = new Set(domain.words);
  const all = [problem, ...steps].join('\n').toLowerCase().match(WORD) ?? [];
  const unknown = all.filter((w) => !known.has(w));
  const withoutComputation = steps.filter(
    (s, i) => checkStep(s).claims.length === 0 && !(i === steps.length - 1 && i > 0 && ANSWER_ONLY.test(s)),
  ).length;
  const text = [problem, ...steps].join('\n');
  return {
    words: all.length,
    unknownWordShare: all.length ? unknown.length / all.length : 0,
    unknownWords: [...new Set(unknown)].slice(0, 8),
    stepsWithoutComputation: steps.length ? withoutComputation / steps.length : 0,
    nonWholeNumbers: NON_WHOLE.test(text),
    ...(tokens === undefined ? {} : { tokens }),
  };
}

/**
 * Measures a solution against the domain and says whether it lies inside.
 *
 * @example
 * checkDomain(spec.domain, 'Find all real x with x^2 = 2.', ['x = 1.414']).inside; // false
 */
export function checkDomain(
  domain: ModelDomain,
  problem: string,
  steps: string[],
  tokens?: number,
): DomainCheck {
  const m = measureDomain(domain, problem, steps, tokens);
  const reasons: string[] = [];
  if (m.unknownWordShare > domain.max_unknown_word_share)
    reasons.push(`${Math.round(m.unknownWordShare * 100)}% of its words never occur in the training text`);
  if (m.stepsWithoutComputation > domain.max_steps_without_computation)
    reasons.push(
      `${Math.round(m.stepsWithoutComputation * 100)}% of its steps have no a op b = c computation`,
    );
  if (domain.whole_numbers_only && m.nonWholeNumbers) reasons.push('it uses numbers that are not whole');
  if (m.tokens !== undefined && m.tokens > domain.max_tokens)
    reasons.push(`it is ${m.tokens} tokens long (training prompts stay under ${domain.max_tokens})`);
  return { ...m, inside: reasons.length === 0, reasons };
}

/** What callers show beside the scores: absent for models without a domain (real PRMs). */
export interface DomainNotice {
  inside: boolean;
  reasons: string[];
  /** `OUTSIDE_DOMAIN_NOTICE` when outside, else absent. */
  notice?: string;
}

/**
 * The domain verdict for one scored solution, or undefined when the model declares no domain.
 *
 * @example
 * domainNotice(spec, problem, steps, 212)?.notice; // 'this demo model was not trained on ...'
 */
export function domainNotice(
  spec: Pick<ModelSpec, 'domain'>,
  problem: string,
  steps: string[],
  tokens?: number,
): DomainNotice | undefined {
  if (!spec.domain) return undefined;
  const c = checkDomain(spec.domain, problem, steps, tokens);
  return c.inside
    ? { inside: true, reasons: [] }
    : { inside: false, reasons: c.reasons, notice: OUTSIDE_DOMAIN_NOTICE };
}

/**
 * How many items of a dataset lie outside the domain, among those with text (prediction-only items
 * have none). The prompt length is not known here, so the token limit is not applied.
 *
 * @example
 * datasetOutsideDomain(spec.domain, gsm8kItems); // { outside: 400, total: 400 }
 */
export function datasetOutsideDomain(
  domain: ModelDomain,
  items: readonly { problem?: string; steps?: readonly string[] }[],
): { outside: number; total: number } {
  const texts = items.filter((x) => x.problem !== undefined && x.steps !== undefined);
  const outside = texts.filter((x) => !checkDomain(domain, x.problem!, [...x.steps!]).inside).length;
  return { outside, total: texts.length };
}
