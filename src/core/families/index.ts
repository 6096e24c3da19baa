/**
 * The model-family factory. Each family is one small file that knows how its models want
 * (problem, steps) laid out as tokens; this switch is the only place that lists them.
 *
 * To add a family: add its name to `ModelFamily` (types.ts) and `MODEL_FAMILIES` (spec.ts), its
 * defaults in `defaultSpecFor`, a `create<Family>(spec)` file here, and a case below.
 */
import { stripStepLabel } from '../segment/markers.ts';
import type { ModelSpec } from '../types.ts';
import { MODEL_FAMILIES } from '../spec.ts';
import type { PromptBuilder } from './common.ts';
import { createQwenPrm } from './qwen-prm.ts';
import { reverseNumbers } from './reverse-numbers.ts';
import { createTokenClassification } from './token-classification.ts';
import { createTokenPair } from './token-pair.ts';
import { createUserTurns } from './user-turns.ts';
import { createValueHead } from './value-head.ts';

export type { PromptBuilder } from './common.ts';
export { PromptError } from './common.ts';

/**
 * The prompt builder for a model's family.
 *
 * @example
 * const plan = createFamily(spec).build(tokenizer, problem, ['step one', 'step two']);
 * plan.scorePositions; // one token index per step
 */
export function createFamily(spec: ModelSpec): PromptBuilder {
  const builder = familyBuilder(spec);
  const { strip_step_labels: strip, reverse_numbers: reverse } = spec;
  if (!strip && !reverse) return builder;
  // Both rewrite only what the model reads; checkInput in the family still sees non-strings.
  const text = (s: string): string => {
    const t = strip ? stripStepLabel(s) : s;
    return reverse ? reverseNumbers(t) : t;
  };
  return {
    ...builder,
    build: (tokenizer, problem, steps) =>
      builder.build(
        tokenizer,
        reverse && typeof problem === 'string' ? reverseNumbers(problem) : problem,
        Array.isArray(steps) ? steps.map((s) => (typeof s === 'string' ? text(s) : s)) : steps,
      ),
  };
}

function familyBuilder(spec: ModelSpec): PromptBuilder {
  switch (spec.family) {
    case 'qwen-prm':
      return createQwenPrm(spec);
    case 'value-head':
      return createValueHead(spec);
    case 'token-pair':
      return createTokenPair(spec);
    case 'token-classification':
      return createTokenClassification(spec);
    case 'user-turns':
      return createUserTurns(spec);
    default: {
      const family: never = spec.family;
      throw new Error(
        `Unknown model family ${JSON.stringify(family)}; expected one of ${MODEL_FAMILIES.join(', ')}.`,
      );
    }
  }
}
