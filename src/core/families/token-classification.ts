/**
 * TRL `PRMTrainer` token-classification PRMs, built exactly as TRL's `tokenize_row` builds
 * training rows: `[bos if the tokenizer has one] + encode(problem)`, then per step
 * `encode(step) + encode(step_separator)` (each without special tokens), the label sitting on the
 * last token of each step's chunk. The separator must be the one used in training (TRL default
 * "\n").
 *
 * Deliberately not ProcessBench's `run_eval_prm_trl.py` variant, which also puts the separator
 * after the problem: the model never saw that in training. Positions come from construction, so
 * steps may contain the separator text themselves.
 */
import type { ModelSpec } from '../types.ts';
import { checkInput, PromptError, userText } from './common.ts';
import type { PromptBuilder } from './common.ts';

/**
 * @example
 * createTokenClassification(spec).build(tok, 'Q', ['a', 'b']);
 * // inputIds = [...encode('Q'), ...encode('a'), ...encode('\n'), ...encode('b'), ...encode('\n')]
 */
export function createTokenClassification(spec: ModelSpec): PromptBuilder {
  return {
    build(tokenizer, problem, steps) {
      checkInput(problem, steps);
      const separatorIds = tokenizer.encode(spec.step_separator, { addSpecialTokens: false });
      if (separatorIds.length === 0) {
        throw new PromptError(
          `The step separator ${JSON.stringify(spec.step_separator)} encodes to no tokens; check step_separator in prm.json.`,
        );
      }
      const inputIds: number[] = tokenizer.bosId === undefined ? [] : [tokenizer.bosId];
      inputIds.push(...tokenizer.encode(problem, userText(problem)));
      const scorePositions: number[] = [];
      for (const step of steps) {
        inputIds.push(...tokenizer.encode(step, userText(step)), ...separatorIds);
        scorePositions.push(inputIds.length - 1);
      }
      return { inputIds, scorePositions };
    },
  };
}
