/**
 * RLHFlow generative PRMs (RLHFlow/Llama3.1-8B-PRM-Deepseek-Data, -Mistral-Data): the solution as
 * a chat rendered by the tokenizer's own chat template (Llama 3.1's), each step a user turn that
 * the assistant answers with `step_token` ("+"); the first user turn is `problem + " " + step1`.
 * A step's score is p("+") against "-" at the token that predicts that step's assistant "+", i.e.
 * the token just before it. Source: RLHFlow/RLHF-Reward-Modeling `math-rm/prm_evaluate.py`
 * (`select_sample`: steps stripped, `logits[:, -3, [+, -]]` of each prefix) and `math-rm/README.md`
 * (https://github.com/RLHFlow/RLHF-Reward-Modeling/tree/main/math-rm).
 *
 * RLHFlow's script runs one forward pass per prefix (turns 1..k, each ending in "+<|eot_id|>") and
 * reads the position two before the end. A causal LM's logits at a position depend only on the
 * tokens up to it, and the template renders each message on its own, so the prefix of k turns is
 * a prefix of the whole conversation: one pass over all turns gives the same numbers at every
 * step's position (test/convert/user-turns.test.ts checks both readings against each other).
 *
 * Positions come from construction (the text is cut at each assistant reply), so steps may
 * contain "+" or "-" themselves; no separator string is needed, the turns separate the steps.
 */
import type { ModelSpec, UserSpan } from '../types.ts';
import { checkInput, PromptError, renderChat, singleTokenId } from './common.ts';
import type { PromptBuilder, PromptPart } from './common.ts';

/**
 * @example
 * createUserTurns(spec).build(tok, 'What is 1+1?', ['1+1=2.', 'The answer is 2.']).text;
 * // '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n...<|eot_id|>'
 * //   + '<|start_header_id|>user<|end_header_id|>\n\nWhat is 1+1? 1+1=2.<|eot_id|>'
 * //   + '<|start_header_id|>assistant<|end_header_id|>\n\n+<|eot_id|>' + ... (one pair per step)
 */
export function createUserTurns(spec: ModelSpec): PromptBuilder {
  return {
    build(tokenizer, problem, steps) {
      checkInput(problem, steps);
      if (typeof tokenizer.applyChatTemplate !== 'function') {
        throw new PromptError(
          `Model "${spec.name}" (family user-turns) needs a tokenizer with a chat template; ` +
            'this tokenizer has none. Ship tokenizer_config.json with its chat_template next to the model.',
        );
      }
      const reply = spec.step_token;
      const replyId = singleTokenId(tokenizer, reply);
      // prm_evaluate.py strips each step, and the template trims each message's content.
      const head = problem.trimStart();
      const messages: { role: string; parts: PromptPart[] }[] = [];
      if (spec.system_prompt !== null) {
        messages.push({ role: 'system', parts: [{ text: spec.system_prompt }] });
      }
      // The reply is passed as a marked part so that renderChat reports where it landed.
      const replyIndex: number[] = [];
      let marked = 0;
      steps.forEach((step, i) => {
        const parts: PromptPart[] =
          i === 0 && head
            ? [{ text: head, user: true }, { text: ' ' }, { text: step.trim(), user: true }]
            : [{ text: step.trim(), user: true }];
        marked += parts.filter((p) => p.user).length;
        replyIndex.push(marked++);
        messages.push({ role: 'user', parts }, { role: 'assistant', parts: [{ text: reply, user: true }] });
      });
      const { text, userSpans: marks } = renderChat(tokenizer.applyChatTemplate.bind(tokenizer), messages);
      const replies = replyIndex.map((i) => marks[i]);
      const userSpans = marks.filter((_, i) => !replyIndex.includes(i));

      // Encode the text between replies piece by piece, each reply as its one id; the positions
      // are then known exactly. The whole text must encode to the same ids, else the tokenizer
      // merges the reply with its neighbours and the pieces are not what the model sees.
      const inputIds: number[] = [];
      const scorePositions: number[] = [];
      let from = 0;
      const piece = (end: number) => {
        const spans: UserSpan[] = userSpans
          .filter(([a, b]) => a >= from && b <= end)
          .map(([a, b]) => [a - from, b - from]);
        inputIds.push(
          ...tokenizer.encode(text.slice(from, end), { addSpecialTokens: false, userSpans: spans }),
        );
      };
      for (const [start, end] of replies) {
        piece(start);
        if (inputIds.length === 0) {
          throw new PromptError(
            "The model's chat template puts the assistant's reply first, so no token predicts it; " +
              'use the chat template the model was trained with.',
          );
        }
        scorePositions.push(inputIds.length - 1);
        inputIds.push(replyId);
        from = end;
      }
      piece(text.length);
      const whole = tokenizer.encode(text, { addSpecialTokens: false, userSpans });
      if (whole.length !== inputIds.length || whole.some((id, i) => id !== inputIds[i])) {
        throw new PromptError(
          `The tokenizer merges the assistant's reply ${JSON.stringify(reply)} with the text around it, so the ` +
            "positions that predict it cannot be found. Check step_token in the model's prm.json.",
        );
      }
      return { inputIds, scorePositions, text };
    },
  };
}
