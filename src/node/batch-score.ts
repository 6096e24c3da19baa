/**
 * Scoring many solutions with one model run per batch: plan each input with the core
 * (`planSolution`), hand several id lists to the `LogitsRunner` at once, read each item's rewards
 * at its own score positions. `scoreSolution` in src/core/pipeline.ts does the same for one
 * solution; this splits planning from running so the CLI can batch and sort by length.
 *
 * It does not decide batch sizes or order (the caller does), and it holds no model.
 */
import { ContextLengthError, planSolution, type LogitsRunner } from '../core/pipeline.ts';
import { stepRewards } from '../core/rewards.ts';
import type { ModelSpec, TokenizerLike } from '../core/types.ts';

/**
 * Items per model run for `prm eval` and `prm score --input`. On the project's 2-core CPU machine
 * onnxruntime-node gained nothing from batching (CPU ms per item, batch 1/2/4/8, 40 gsm8k items of
 * ~340 tokens on a 192x4 Qwen2 PRM: q4 43/39/44/43, fp32 39/40/39/41; 100 synthetic items of ~130
 * tokens, q4: 14/13/13/14): the matrices of one ~300-token input already fill both cores, and a
 * batch adds padding. So one item per run; `--batch N` remains for backends that do gain.
 */
export const DEFAULT_BATCH = 1;

export interface PlannedInput {
  inputIds: number[];
  scorePositions: number[];
  /** Tokens of the full input (every step), even when truncated. */
  tokenCount: number;
  /** Steps given. */
  totalSteps: number;
  /** True when only the leading steps that fit the context are scored. */
  truncated: boolean;
}

/**
 * Plans one solution; when it is longer than the context, keeps the leading whole steps that fit
 * if `truncate`, else throws `ContextLengthError` (so does a first step that alone is too long).
 *
 * @example
 * const p = planInput(spec, tokenizer, 'What is 2+2?', ['2 + 2 = 4.', 'The answer is 4.'], false);
 * p.scorePositions.length; // 2
 */
export function planInput(
  spec: ModelSpec,
  tokenizer: TokenizerLike,
  problem: string,
  steps: string[],
  truncate: boolean,
): PlannedInput {
  const full = planSolution(spec, tokenizer, problem, steps);
  const base = { tokenCount: full.tokenCount, totalSteps: steps.length };
  if (full.fits)
    return { inputIds: full.inputIds, scorePositions: full.scorePositions, ...base, truncated: false };
  if (!truncate || full.fittingSteps === 0) {
    throw new ContextLengthError(full.tokenCount, spec.context_length, full.fittingSteps, steps.length);
  }
  const part = planSolution(spec, tokenizer, problem, steps.slice(0, full.fittingSteps));
  return { inputIds: part.inputIds, scorePositions: part.scorePositions, ...base, truncated: true };
}

/**
 * Runs planned inputs as one batch and returns each one's step rewards (p(correct) per scored step).
 *
 * @example
 * const [r1, r2] = await scorePlanned(runner, [plan1, plan2]); // r1.length === plan1.scorePositions.length
 */
export async function scorePlanned(runner: LogitsRunner, plans: PlannedInput[]): Promise<number[][]> {
  if (plans.length === 0) return [];
  const outs = await runner.run(plans.map((p) => p.inputIds));
  if (outs.length !== plans.length) {
    throw new Error(
      `The model runner returned ${outs.length} results for a batch of ${plans.length} inputs.`,
    );
  }
  return plans.map((p, i) => stepRewards(outs[i].logits, outs[i].seqLen, p.scorePositions));
}

/**
 * Splits `items` into runs of at most `size`, after ordering by input length so that a batch pads
 * little. Returns index lists into `items`.
 *
 * @example
 * lengthBatches([{ inputIds: [1, 2, 3] }, { inputIds: [1] }, { inputIds: [1, 2] }], 2); // [[1, 2], [0]]
 */
export function lengthBatches(items: { inputIds: number[] }[], size: number): number[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`Batch size must be a positive integer, got ${size}.`);
  const order = items
    .map((_, i) => i)
    .sort((a, b) => items[a].inputIds.length - items[b].inputIds.length || a - b);
  const out: number[][] = [];
  for (let i = 0; i < order.length; i += size) out.push(order.slice(i, i + size));
  return out;
}
