/**
 * From model logits to step rewards, the first error and solution scores.
 *
 * Every family's graph emits logits `[seq, 2]` with class 1 = "step correct" (the converter
 * writes each head that way), so one softmax serves them all. This module does not run models or know
 * about tokens beyond the positions it is given.
 */
import type { Aggregate, StepScores } from './types.ts';

export const AGGREGATES: readonly Aggregate[] = ['min', 'product', 'last', 'mean', 'geomean'];

/** p(class 1) of a 2-way softmax, without overflow for large logit gaps. */
function probCorrect(l0: number, l1: number): number {
  const d = l1 - l0;
  if (d >= 0) return 1 / (1 + Math.exp(-d));
  const e = Math.exp(d);
  return e / (1 + e);
}

/**
 * Step rewards from flat row-major logits `[seqLen, 2]`, read at `positions`.
 *
 * @example
 * stepRewards([0, 0, 0, 2, 1, -1], 3, [1, 2]); // [0.8807970779778823, 0.11920292202211755]
 */
export function stepRewards(logits: Float32Array | number[], seqLen: number, positions: number[]): number[] {
  if (!Number.isInteger(seqLen) || seqLen < 0)
    throw new Error(`seqLen must be a non-negative integer, got ${seqLen}.`);
  if (logits.length !== seqLen * 2) {
    throw new Error(
      `Expected logits of shape [${seqLen}, 2] (${seqLen * 2} numbers), got ${logits.length}; ` +
        'the model must output 2 logits per token.',
    );
  }
  return positions.map((p, i) => {
    if (!Number.isInteger(p) || p < 0 || p >= seqLen) {
      throw new Error(`Score position ${p} of step ${i + 1} is outside the sequence of ${seqLen} tokens.`);
    }
    const l0 = logits[2 * p];
    const l1 = logits[2 * p + 1];
    if (!Number.isFinite(l0) || !Number.isFinite(l1)) {
      throw new Error(
        `The model returned non-finite logits [${l0}, ${l1}] at token ${p} (step ${i + 1}); ` +
          'an fp16 overflow is the usual cause: try the fp32 or q4 variant.',
      );
    }
    return probCorrect(l0, l1);
  });
}

/**
 * Index of the first step with reward at or below `threshold`, or -1 when every step passes.
 *
 * @example
 * firstError([0.99, 0.19, 0.97], 0.5); // 1
 */
export function firstError(rewards: number[], threshold: number): number {
  return rewards.findIndex((r) => r <= threshold);
}

/**
 * One solution score from step rewards, for Best-of-N ranking. An empty list throws: a solution
 * without scored steps has no score, and 1 (empty product) or NaN would rank it silently.
 *
 * @example
 * aggregate([0.9, 0.5], 'product'); // 0.45
 */
export function aggregate(rewards: number[], how: Aggregate): number {
  if (rewards.length === 0) throw new Error(`Cannot aggregate ${how} over zero step rewards.`);
  switch (how) {
    case 'min':
      return Math.min(...rewards);
    case 'product':
      return rewards.reduce((a, r) => a * r, 1);
    case 'last':
      return rewards[rewards.length - 1];
    case 'mean':
      return rewards.reduce((a, r) => a + r, 0) / rewards.length;
    case 'geomean':
      // Through logs so long solutions do not underflow; log(0) = -Infinity gives 0 as it should.
      return Math.exp(rewards.reduce((a, r) => a + Math.log(r), 0) / rewards.length);
    default: {
      const never: never = how;
      throw new Error(
        `Unknown aggregate ${JSON.stringify(never)}; expected one of ${AGGREGATES.join(', ')}.`,
      );
    }
  }
}

/**
 * Every aggregate at once.
 *
 * @example
 * aggregateAll([0.5, 1]).min; // 0.5
 */
export function aggregateAll(rewards: number[]): Record<Aggregate, number> {
  return Object.fromEntries(AGGREGATES.map((how) => [how, aggregate(rewards, how)])) as Record<
    Aggregate,
    number
  >;
}

/**
 * Rewards with their first error under `threshold`.
 *
 * @example
 * scoreSteps([0.9, 0.2], 0.5); // { rewards: [0.9, 0.2], firstError: 1, threshold: 0.5 }
 */
export function scoreSteps(rewards: number[], threshold: number): StepScores {
  return { rewards: [...rewards], firstError: firstError(rewards, threshold), threshold };
}
