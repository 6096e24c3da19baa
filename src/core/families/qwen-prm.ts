/**
 * Qwen2.5-Math-PRM: ChatML through the tokenizer's own chat template, the step token after every
 * step (the last one too), scores read at each step token. It does not add a generation prompt:
 * the model card renders the conversation without one.
 */
import type { ModelSpec } from '../types.ts';
import {
  checkInput,
  markedSteps,
  PromptError,
  rejectMarker,
  renderChat,
  stepTokenPositions,
} from './common.ts';
import type { PromptBuilder, PromptPart } from './common.ts';

/**
 * @example
 * createQwenPrm(spec).build(tok, 'What is 1+1?', ['1+1=2.', 'The answer is 2.']).text;
 * // '<|im_start|>system\n...<|im_end|>\n<|im_start|>user\nWhat is 1+1?<|im_end|>\n'
 * //   + '<|im_start|>assistant\n1+1=2.<extra_0>The answer is 2.<extra_0><|im_end|>\n'
 */
export function createQwenPrm(spec: ModelSpec): PromptBuilder {
  return {
    build(tokenizer, problem, steps) {
      checkInput(problem, steps);
      rejectMarker(problem, steps, spec.step_token);
      rejectMarker(problem, steps, spec.step_separator);
      if (typeof tokenizer.applyChatTemplate !== 'function') {
        throw new PromptError(
          `Model "${spec.name}" (family qwen-prm) needs a tokenizer with a chat template; ` +
            'this tokenizer has none. Ship tokenizer_config.json with its chat_template next to the model.',
        );
      }
      const messages: { role: string; parts: PromptPart[] }[] = [];
      if (spec.system_prompt !== null) {
        messages.push({ role: 'system', parts: [{ text: spec.system_prompt }] });
      }
      messages.push({ role: 'user', parts: [{ text: problem, user: true }] });
      messages.push({ role: 'assistant', parts: markedSteps(spec, steps) });
      const { text, userSpans } = renderChat(tokenizer.applyChatTemplate.bind(tokenizer), messages);
      const inputIds = tokenizer.encode(text, { addSpecialTokens: false, userSpans });
      const scorePositions = stepTokenPositions(tokenizer, inputIds, spec.step_token, steps.length);
      return { inputIds, scorePositions, text };
    },
  };
}
