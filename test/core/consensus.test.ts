import { describe, expect, it } from 'vitest';
import { judgeArithmetic } from '../../src/core/judge/index.ts';
import { combineFirstErrors, consensusMark, judgedEvaluation } from '../../src/core/judge/consensus.ts';
import type { ProcessBenchItem } from '../../src/core/types.ts';

describe('consensusMark(reward, threshold, verdict)', () => {
  it.each([
    [0.2, 'wrong', 'both-wrong'],
    [0.9, 'wrong', 'only-checker'],
    [0.2, 'right', 'only-prm'],
    [0.2, 'none', 'only-prm'],
    [0.9, 'right', 'both-fine'],
    [0.9, 'none', 'prm-fine-unchecked'],
    [0.5, 'wrong', 'both-wrong'],
    [undefined, 'wrong', 'only-checker'],
  ] as const)('reward %s, checker %s -> %s', (r, v, mark) => {
    expect(consensusMark(r, 0.5, v)).toBe(mark);
  });
});

describe('combineFirstErrors(rewards, threshold, judgement)', () => {
  it.each([
    [[0.9, 0.3, 0.2], ['1 + 1 = 2', '2 + 2 = 4', '4 + 4 = 9'], { prm: 1, checker: 2, either: 1, both: 2 }],
    [[0.9, 0.9, 0.9], ['1 + 1 = 2', '2 + 2 = 5', 'done'], { prm: -1, checker: 1, either: 1, both: -1 }],
    [[0.9, 0.1, 0.9], ['1 + 1 = 2', '2 + 2 = 5', 'done'], { prm: 1, checker: 1, either: 1, both: 1 }],
    [[0.9, 0.9], ['a', 'b'], { prm: -1, checker: -1, either: -1, both: -1 }],
  ])('%j on %j', (rewards, steps, expected) => {
    expect(combineFirstErrors(rewards, 0.5, judgeArithmetic(steps))).toEqual(expected);
  });
});

describe('judgedEvaluation(rows, threshold)', () => {
  const item = (id: string, steps: string[], label: number): ProcessBenchItem => ({
    id,
    problem: 'p',
    steps,
    label,
    final_answer_correct: label === -1,
    subset: 's',
  });
  const rows = [
    { item: item('a', ['1 + 1 = 2', '2 + 2 = 5'], 1), rewards: [0.9, 0.9] },
    { item: item('b', ['1 + 1 = 2', 'so 2.'], -1), rewards: [0.2, 0.9] },
    { item: item('c', ['3 × 3 = 9', '9 - 1 = 7'], 1), rewards: [0.9, 0.1] },
  ].map((r) => ({ ...r, judgement: judgeArithmetic(r.item.steps) }));

  it('gives each combination its ProcessBench metrics', () => {
    const e = judgedEvaluation(rows, 0.5);
    // checker: a->1, b->-1, c->1; PRM: a->-1, b->0, c->1; either: 1, 0, 1; both: -1, -1, 1.
    expect(e.metrics.checker.subsets[0]).toMatchObject({ acc_error: 1, acc_correct: 1 });
    expect(e.metrics.prm.subsets[0]).toMatchObject({ acc_error: 0.5, acc_correct: 0 });
    expect(e.metrics.either.subsets[0]).toMatchObject({ acc_error: 1, acc_correct: 0 });
    expect(e.metrics.both.subsets[0]).toMatchObject({ acc_error: 0.5, acc_correct: 1 });
  });

  it('counts steps in the agreement matrix and lists the checked disagreements', () => {
    const e = judgedEvaluation(rows, 0.5);
    expect(e.matrix).toEqual({
      prm_wrong: { wrong: 1, right: 1, none: 0 },
      prm_fine: { wrong: 1, right: 2, none: 1 },
    });
    expect(e.disagreements).toEqual([
      {
        subset: 's',
        id: 'a',
        step: 1,
        label: 1,
        reward: 0.9,
        mark: 'only-checker',
        claims: ['2 + 2 = 4, not 5'],
      },
      { subset: 's', id: 'b', step: 0, label: -1, reward: 0.2, mark: 'only-prm', claims: ['1 + 1 = 2'] },
    ]);
  });
});
