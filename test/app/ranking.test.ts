import { describe, expect, it } from 'vitest';
import { rankSolutions } from '../../src/app/lib/ranking.ts';
import type { Aggregate } from '../../src/core/types.ts';

const ROWS = [
  [0.9, 0.2, 0.95], // min 0.2, product 0.171, last 0.95, mean 0.683
  [0.8, 0.7, 0.6], // min 0.6, product 0.336, last 0.6, mean 0.7
  [0.99, 0.98, 0.5], // min 0.5, product 0.485, last 0.5, mean 0.823
];

describe('rankSolutions(rewards, how)', () => {
  it.each<[Aggregate, (number | null)[], number]>([
    ['min', [3, 1, 2], 1],
    ['product', [3, 2, 1], 2],
    ['last', [1, 2, 3], 0],
    ['mean', [3, 2, 1], 2],
  ])('by %s ranks %j and picks solution %i', (how, ranks, picked) => {
    const out = rankSolutions(ROWS, how);
    expect(out.map((r) => r.rank)).toEqual(ranks);
    expect(out.filter((r) => r.picked).map((r) => r.solution)).toEqual([picked]);
  });

  it('returns the aggregate scores in input order', () => {
    const out = rankSolutions(ROWS, 'product');
    expect(out.map((r) => r.solution)).toEqual([0, 1, 2]);
    expect(out[0].score).toBeCloseTo(0.9 * 0.2 * 0.95, 12);
  });

  it('gives tied solutions the same rank and picks the earliest of them', () => {
    const out = rankSolutions([[0.4], [0.9], [0.9], [0.1]], 'min');
    expect(out.map((r) => r.rank)).toEqual([3, 1, 1, 4]);
    expect(out.map((r) => r.picked)).toEqual([false, true, false, false]);
  });

  it('leaves a solution without scored steps unranked, unscored and never picked', () => {
    const out = rankSolutions([[], [0.3]], 'mean');
    expect(out[0]).toEqual({ solution: 0, score: null, rank: null, picked: false });
    expect(out[1]).toMatchObject({ rank: 1, picked: true });
  });

  it('picks nothing when no solution is scored', () => {
    expect(rankSolutions([[], []], 'min').some((r) => r.picked)).toBe(false);
  });
});
