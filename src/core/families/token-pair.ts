/**
 * Math-Shepherd style LM-head PRMs reduced to two logits: `"{problem} {step1 ки\nstep2 ки...}"`
 * with the tokenizer's special tokens (bos), scores read at every step tag (model card).
 */
import type { ModelSpec } from '../types.ts';
import {
  checkInput,
  checkPositionCount,
  joinParts,
  positionsOf,
  rejectMarker,
  singleTokenId,
} from './common.ts';
import type { PromptBuilder } from './common.ts';

/**
 * @example
 * createTokenPair(spec).build(tok, 'Q', ['a', 'b']).text; // 'Q a ки\nb ки'
 */
export function createTokenPair(spec: ModelSpec): PromptBuilder {
  return {
    build(tokenizer, problem, steps) {
      checkInput(problem, steps);
      rejectMarker(problem, steps, spec.step_token);
      rejectMarker(problem, steps, spec.step_separator.trim());
      const { text, userSpans } = joinParts([
        { text: problem, user: true },
        { text: ' ' },
        ...steps.flatMap((s, i) => [
          ...(i > 0 ? [{ text: spec.step_joiner }] : []),
          { text: s, user: true },
          { text: spec.step_separator },
        ]),
      ]);
      const inputIds = tokenizer.encode(text, { addSpecialTokens: true, userSpans });
      const scorePositions = positionsOf(inputIds, singleTokenId(tokenizer, spec.step_token));
      checkPositionCount(scorePositions.length, steps.length, spec.step_token);
      return { inputIds, scorePositions, text };
    },
  };
}
