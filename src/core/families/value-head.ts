/**
 * Skywork-o1-Open-PRM style value heads: no chat template; `bos + problem + "\n"`, then each step
 * tokenised on its own with the step token's id appended, the score read at that appended id
 * (SkyworkAI/skywork-o1-prm-inference `prepare_input`).
 *
 * Positions come from construction, not from searching for the token, so a step may contain
 * newlines of its own (many ProcessBench steps do); those inner newlines are not score positions.
 */
import type { ModelSpec } from '../types.ts';
import { checkInput, singleTokenId, userText } from './common.ts';
import type { PromptBuilder } from './common.ts';

/**
 * @example
 * createValueHead(spec).build(tok, 'Q', ['a', 'b']);
 * // inputIds = [bos, ...encode('Q\n'), ...encode('a'), nl, ...encode('b'), nl]; scores at each nl
 */
export function createValueHead(spec: ModelSpec): PromptBuilder {
  return {
    build(tokenizer, problem, steps) {
      checkInput(problem, steps);
      const stepId = singleTokenId(tokenizer, spec.step_token);
      const inputIds: number[] = tokenizer.bosId === undefined ? [] : [tokenizer.bosId];
      inputIds.push(
        ...tokenizer.encode(problem + '\n', { addSpecialTokens: false, userSpans: [[0, problem.length]] }),
      );
      const scorePositions: number[] = [];
      for (const step of steps) {
        inputIds.push(...tokenizer.encode(step, userText(step)), stepId);
        scorePositions.push(inputIds.length - 1);
      }
      return { inputIds, scorePositions };
    },
  };
}
