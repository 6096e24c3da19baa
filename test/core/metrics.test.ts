import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bestOfN,
  bestThreshold,
  evaluate,
  noBestThreshold,
  f1Score,
  finalStepMinShare,
  firstErrorConfusion,
  majorityVote,
  passAtN,
  sweepThreshold,
  type CandidateGroup,
} from '../../src/core/metrics.ts';
import { parseProcessBench } from '../../src/core/processbench.ts';
import type { Aggregate } from '../../src/core/types.ts';

const p = (subset: string, label: number, prediction: number) => ({ subset, label, prediction });

describe('f1Score(accError, accCorrect)', () => {
  // Published Qwen2.5-Math-PRM-7B accuracies and F1 (ProcessBench paper, https://arxiv.org/abs/2412.06559).
  it.each([
    ['gsm8k', 0.72, 0.964, 0.824],
    ['math', 0.68, 0.904, 0.776],
    ['olympiadbench', 0.557, 0.855, 0.675],
    ['omnimath', 0.552, 0.83, 0.663],
  ])('reproduces the published %s F1 from its accuracies', (_s, a, b, f1) => {
    expect(f1Score(a, b)).toBeCloseTo(f1, 3);
  });

  it.each([
    [0, 0, 0],
    [1, 0, 0],
    [1, 1, 1],
    [NaN, 1, NaN],
    [0.5, NaN, NaN],
  ])('f1Score(%d, %d) = %d', (a, b, f1) => {
    expect(f1Score(a, b)).toBe(f1);
  });
});

describe('evaluate(preds)', () => {
  it('computes acc_error, acc_correct and F1 per subset by hand', () => {
    const r = evaluate([
      p('gsm8k', 2, 2), // error sample, right position
      p('gsm8k', 0, 0), // error sample, right position
      p('gsm8k', 1, -1), // error sample, missed
      p('gsm8k', -1, -1), // correct sample, right
      p('gsm8k', -1, 3), // correct sample, false alarm
    ]);
    const [{ f1, ...rest }] = r.subsets;
    expect(rest).toEqual({
      subset: 'gsm8k',
      n: 5,
      n_error: 3,
      n_correct: 2,
      acc_error: 2 / 3,
      acc_correct: 0.5,
    });
    expect(f1).toBeCloseTo(4 / 7, 15);
    expect(r.average_f1).toBe(f1);
  });

  it('counts a wrong position on an error sample as a miss, even when an error was flagged', () => {
    const r = evaluate([p('math', 2, 1), p('math', -1, -1)]);
    expect(r.subsets[0].acc_error).toBe(0);
    expect(r.subsets[0].f1).toBe(0);
  });

  it('gives NaN accuracy and F1 for a subset without error samples, as np.mean([]) does', () => {
    const r = evaluate([p('easy', -1, -1), p('easy', -1, -1), p('hard', 0, 0), p('hard', -1, -1)]);
    expect(r.subsets[0]).toEqual({
      subset: 'easy',
      n: 2,
      n_error: 0,
      n_correct: 2,
      acc_error: NaN,
      acc_correct: 1,
      f1: NaN,
    });
    expect(r.subsets[1].f1).toBe(1);
    expect(r.average_f1).toBeNaN();
  });

  it('gives NaN acc_correct for a subset without correct samples', () => {
    const r = evaluate([p('s', 0, 0)]);
    expect(r.subsets[0].acc_correct).toBeNaN();
    expect(r.subsets[0].acc_error).toBe(1);
  });

  it('averages subset F1s plainly, not weighted by size, in order of first appearance', () => {
    const r = evaluate([
      p('b', 0, 0),
      p('b', -1, -1),
      p('a', 0, 1),
      p('a', -1, -1),
      p('a', 1, 1),
      p('a', -1, -1),
    ]);
    expect(r.subsets.map((s) => s.subset)).toEqual(['b', 'a']);
    const fa = f1Score(0.5, 1);
    expect(r.subsets[1].f1).toBe(fa);
    expect(r.average_f1).toBe((1 + fa) / 2);
  });

  it('returns no subsets and NaN average for no predictions', () => {
    expect(evaluate([])).toEqual({ subsets: [], average_f1: NaN });
  });

  it.each([
    [p('s', -2, 0), /Record 0: label must be an integer >= -1/],
    [p('s', 0, 0.5), /Record 0: prediction must be an integer >= -1/],
  ])('rejects %j', (pred, message) => {
    expect(() => evaluate([pred])).toThrow(message);
  });

  it('on the real gsm8k labels: a perfect predictor scores F1 1, "always correct" scores F1 0', () => {
    const items = parseProcessBench(
      readFileSync(new URL('../../../shared/processbench/gsm8k.json', import.meta.url), 'utf8'),
      'gsm8k.json',
    );
    const perfect = evaluate(items.map((it) => p('gsm8k', it.label, it.label)));
    expect(perfect.subsets[0]).toEqual({
      subset: 'gsm8k',
      n: 400,
      n_error: 207,
      n_correct: 193,
      acc_error: 1,
      acc_correct: 1,
      f1: 1,
    });
    const lazy = evaluate(items.map((it) => p('gsm8k', it.label, -1)));
    expect(lazy.subsets[0]).toMatchObject({ acc_error: 0, acc_correct: 1, f1: 0 });
  });
});

describe('sweepThreshold(items, thresholds)', () => {
  const items = [
    { subset: 's', label: 1, rewards: [0.9, 0.4, 0.1] },
    { subset: 's', label: -1, rewards: [0.8, 0.6, 0.7] },
    { subset: 's', label: 0, rewards: [0.3, 0.2] },
  ];

  it('re-derives first errors from stored rewards at each threshold', () => {
    const sweep = sweepThreshold(items, [0.05, 0.35, 0.5, 0.65]);
    // 0.05: predictions [-1, -1, -1] -> acc_error 0/2, acc_correct 1/1
    // 0.35: [2, -1, 0] -> acc_error 1/2, acc_correct 1
    // 0.5:  [1, -1, 0] -> acc_error 2/2, acc_correct 1
    // 0.65: [1, 1, 0]  -> acc_error 2/2, acc_correct 0
    expect(sweep.map((r) => [r.threshold, r.subsets[0].acc_error, r.subsets[0].acc_correct])).toEqual([
      [0.05, 0, 1],
      [0.35, 0.5, 1],
      [0.5, 1, 1],
      [0.65, 1, 0],
    ]);
    expect(sweep.map((r) => r.average_f1)).toEqual([0, 2 / 3, 1, 0]);
  });

  it('bestThreshold(sweep) picks the highest average F1, the earlier threshold on ties', () => {
    const sweep = sweepThreshold(items, [0.05, 0.35, 0.5, 0.55, 0.65]);
    expect(bestThreshold(sweep).threshold).toBe(0.5);
    expect(bestThreshold(sweep, 's').threshold).toBe(0.5);
    expect(() => bestThreshold(sweep, 'gsm8k')).toThrow('No subset named "gsm8k" in the sweep.');
  });

  it('noBestThreshold(sweep) refuses to recommend when F1 is 0 everywhere or flat, and not otherwise', () => {
    expect(noBestThreshold(sweepThreshold(items, [0.05, 0.35, 0.5, 0.65]))).toBeNull();
    expect(noBestThreshold(sweepThreshold(items, [0.05, 0.65]))).toBe('F1 is 0 at every threshold');
    expect(noBestThreshold(sweepThreshold(items, [0.5, 0.55]))).toBe(
      'F1 is flat: it hardly changes with the threshold',
    );
  });
});

describe('firstErrorConfusion(items, maxPosition)', () => {
  it('counts true (rows) against predicted (columns) positions', () => {
    const c = firstErrorConfusion([
      { label: -1, prediction: -1 },
      { label: 1, prediction: 0 },
      { label: 1, prediction: 1 },
      { label: 1, prediction: 1 },
    ]);
    expect(c.positions).toEqual([-1, 0, 1]);
    expect(c.counts).toEqual([
      [1, 0, 0],
      [0, 0, 0],
      [0, 1, 2],
    ]);
  });

  it('folds positions above maxPosition into the last bucket', () => {
    const c = firstErrorConfusion(
      [
        { label: 5, prediction: 9 },
        { label: 2, prediction: -1 },
      ],
      2,
    );
    expect(c.positions).toEqual([-1, 0, 1, 2]);
    expect(c.counts[3]).toEqual([1, 0, 0, 1]);
  });

  it('is a 1x1 table for no errors anywhere', () => {
    expect(firstErrorConfusion([{ label: -1, prediction: -1 }])).toEqual({ positions: [-1], counts: [[1]] });
  });
});

describe('finalStepMinShare(rewardsList)', () => {
  it.each<[string, number[][], { share: number; final: number; n: number }]>([
    ['final step strictly lowest', [[0.9, 0.2]], { share: 1, final: 1, n: 1 }],
    ['an earlier step lowest', [[0.1, 0.5]], { share: 0, final: 0, n: 1 }],
    ['a tie goes to the earlier step (numpy argmin)', [[0.3, 0.9, 0.3]], { share: 0, final: 0, n: 1 }],
    ['single-step solutions are left out', [[0.3], [0.9, 0.2], [0.1, 0.5]], { share: 0.5, final: 1, n: 2 }],
    ['nothing eligible gives NaN', [[0.3]], { share: NaN, final: 0, n: 0 }],
  ])('%s', (_name, list, expected) => {
    expect(finalStepMinShare(list)).toEqual(expected);
  });
});

describe('bestOfN(groups, how), majorityVote(groups), passAtN(groups)', () => {
  // A: strong last step after a weak start; B: steady. Only "last" prefers A.
  const groups: CandidateGroup[] = [
    {
      problemId: 'p1',
      candidates: [
        { rewards: [0.2, 0.99], correct: false, answer: '5' },
        { rewards: [0.7, 0.7], correct: true, answer: '6' },
        { rewards: [0.1, 0.1], correct: true, answer: '6' },
      ],
    },
    {
      problemId: 'p2',
      candidates: [
        { rewards: [0.4], correct: false, answer: '1' },
        { rewards: [0.4], correct: true, answer: '2' },
      ],
    },
  ];

  it.each<[Aggregate, number[], number]>([
    ['min', [1, 0], 0.5],
    ['product', [1, 0], 0.5],
    ['mean', [1, 0], 0.5],
    ['geomean', [1, 0], 0.5],
    ['last', [0, 0], 0],
  ])('bestOfN(groups, %s) picks %j (ties keep the first)', (how, picks, accuracy) => {
    expect(bestOfN(groups, how)).toEqual({ accuracy, picks });
  });

  it('majorityVote picks the most frequent answer, ties to the answer seen first', () => {
    expect(majorityVote(groups)).toEqual({ accuracy: 0.5, picks: [1, 0] });
  });

  it('majorityVote throws when a candidate has no answer', () => {
    const g: CandidateGroup[] = [{ problemId: 'q', candidates: [{ rewards: [1], correct: true }] }];
    expect(() => majorityVote(g)).toThrow(
      'Majority vote needs a final answer for every candidate; problem q candidate 0 has none.',
    );
  });

  it('passAtN is the share of problems with any correct candidate', () => {
    expect(passAtN(groups)).toBe(1);
    expect(passAtN([{ problemId: 'x', candidates: [{ rewards: [1], correct: false }] }, ...groups])).toBe(
      2 / 3,
    );
  });

  it.each([
    [[], 'Best-of-N needs at least one problem.'],
    [[{ problemId: 'e', candidates: [] }], 'Problem e has no candidate solutions.'],
  ])('rejects %j', (g, message) => {
    expect(() => bestOfN(g, 'min')).toThrow(message);
    expect(() => passAtN(g)).toThrow(message);
  });
});
