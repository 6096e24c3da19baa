/**
 * Math-Shepherd style LM-head PRMs reduced to two logits: `"{problem} {step1 ки\nstep2 ки...}"`
 * with the tokenizer's special tokens (bos), scores read at every step tag (model card).
 */
import type { ModelSpec } from '../types.ts';
import { checkInput, joinParts, markedSteps, rejectMarker, stepTokenPositions } from './common.ts';
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
        ...markedSteps(spec, steps),
      ]);
      const inputIds = tokenizer.encode(text, { addSpecialTokens: true, userSpans });
      const scorePositions = stepTokenPositions(tokenizer, inputIds, spec.step_token, steps.length);
      return { inputIds, scorePositions, text };
    },
  };
}
