import { describe, expect, it } from 'vitest';
import { aggregate, aggregateAll, firstError, scoreSteps, stepRewards } from '../../src/core/rewards.ts';
import type { Aggregate } from '../../src/core/types.ts';

describe('stepRewards(logits, seqLen, positions)', () => {
  it.each<[string, number[], number, number[], number[]]>([
    ['equal logits give 0.5', [0, 0], 1, [0], [0.5]],
    ['gap +2 gives sigmoid(2)', [0, 0, 0, 2, 1, -1], 3, [1], [0.8807970779778823]],
    ['gap -2 gives sigmoid(-2)', [0, 0, 0, 2, 1, -1], 3, [2], [0.11920292202211755]],
    [
      'reads several positions in order',
      [0, 0, 0, 2, 1, -1],
      3,
      [2, 0, 1],
      [0.11920292202211755, 0.5, 0.8807970779778823],
    ],
    ['huge gaps neither overflow nor give NaN', [-1000, 1000, 1000, -1000], 2, [0, 1], [1, 0]],
    ['only the difference matters', [100.5, 101], 1, [0], [0.6224593312018546]],
  ])('%s', (_name, logits, seqLen, positions, expected) => {
    expect(stepRewards(logits, seqLen, positions)).toEqual(expected);
  });

  it('accepts a Float32Array (what onnxruntime returns)', () => {
    expect(stepRewards(new Float32Array([0, 0, 3, 1]), 2, [1])).toEqual([0.11920292202211755]);
  });

  it('reproduces the class-1 probabilities of the vLLM Qwen2.5-Math-PRM fixture from their log-probabilities', () => {
    // https://github.com/vllm-project/vllm/blob/main/tests/models/fixtures/qwen2_5_math_prm_reward_step.json
    const pairs = [
      [0.000636, 0.99951],
      [0.81885, 0.18127],
      [0.025543, 0.97461],
      [0.000438, 0.99951],
    ];
    const logits = pairs.flatMap(([a, b]) => [Math.log(a), Math.log(b)]);
    const rewards = stepRewards(logits, 4, [0, 1, 2, 3]);
    rewards.forEach((r, i) => expect(r).toBeCloseTo(pairs[i][1], 3));
    expect(firstError(rewards, 0.5)).toBe(1);
  });

  it.each<[string, number[], number, number[], RegExp]>([
    [
      'a position past the end',
      [0, 0, 0, 0],
      2,
      [2],
      /Score position 2 of step 1 is outside the sequence of 2 tokens/,
    ],
    ['a negative position', [0, 0], 1, [-1], /Score position -1 of step 1/],
    ['logits of the wrong size', [0, 0, 0], 2, [0], /Expected logits of shape \[2, 2\] \(4 numbers\), got 3/],
    ['non-finite logits', [NaN, 0], 1, [0], /non-finite logits \[NaN, 0\] at token 0 \(step 1\)/],
  ])('throws on %s', (_name, logits, seqLen, positions, message) => {
    expect(() => stepRewards(logits, seqLen, positions)).toThrow(message);
  });
});

describe('firstError(rewards, threshold)', () => {
  it.each<[number[], number, number]>([
    [[0.9, 0.8, 0.7], 0.5, -1],
    [[0.9, 0.2, 0.1], 0.5, 1],
    [[0.3, 0.9], 0.5, 0],
    [[0.9, 0.5], 0.5, 1], // at the threshold counts as wrong (p <= 0.5, ProcessBench's argmax rule)
    [[], 0.5, -1],
    [[1.0, 0.1904296875, 0.9765625, 1.0], 0.5, 1], // model-card bf16 rewards for gsm8k-0
  ])('firstError(%j, %d) = %d', (rewards, threshold, expected) => {
    expect(firstError(rewards, threshold)).toBe(expected);
  });
});

describe('aggregate(rewards, how)', () => {
  const r = [0.5, 0.8, 0.2];
  it.each<[Aggregate, number]>([
    ['min', 0.2],
    ['product', 0.08],
    ['last', 0.2],
    ['mean', 0.5],
    ['geomean', Math.cbrt(0.08)],
  ])('aggregate([0.5, 0.8, 0.2], %s) = %d', (how, expected) => {
    expect(aggregate(r, how)).toBeCloseTo(expected, 12);
  });

  it('geomean of a long solution does not underflow to 0', () => {
    expect(aggregate(Array(2000).fill(0.5), 'geomean')).toBeCloseTo(0.5, 12);
  });

  it('geomean with a zero reward is 0', () => {
    expect(aggregate([0.9, 0], 'geomean')).toBe(0);
  });

  it.each<Aggregate>(['min', 'product', 'last', 'mean', 'geomean'])('throws on an empty list (%s)', (how) => {
    expect(() => aggregate([], how)).toThrow(`Cannot aggregate ${how} over zero step rewards.`);
  });

  it('throws on an unknown aggregate', () => {
    expect(() => aggregate([1], 'max' as Aggregate)).toThrow(/Unknown aggregate "max"/);
  });
});

describe('aggregateAll(rewards)', () => {
  it('gives every aggregate at once', () => {
    const all = aggregateAll([0.5, 1]);
    expect(all.min).toBe(0.5);
    expect(all.product).toBe(0.5);
    expect(all.last).toBe(1);
    expect(all.mean).toBe(0.75);
    expect(all.geomean).toBeCloseTo(Math.SQRT1_2, 12);
  });
});

describe('scoreSteps(rewards, threshold)', () => {
  it('bundles rewards, the first error and the threshold', () => {
    expect(scoreSteps([0.9, 0.2, 0.1], 0.5)).toEqual({
      rewards: [0.9, 0.2, 0.1],
      firstError: 1,
      threshold: 0.5,
    });
    expect(scoreSteps([0.9, 0.2], 0.1)).toEqual({ rewards: [0.9, 0.2], firstError: -1, threshold: 0.1 });
  });
});
