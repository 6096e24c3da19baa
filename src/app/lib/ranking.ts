/**
 * Best-of-N ranking: one score per solution from its step rewards (min, product, last, mean,
 * geomean via the core's `aggregate`), the rank each score implies, and the solution a reranker
 * would pick. Ties share a rank ("1, 1, 3") and the earliest of the tied solutions is picked,
 * the same rule as taking the first maximum.
 *
 * A solution with no scored steps has no score: it is listed last, unranked, and never picked.
 * This module does no rendering.
 */
import { aggregate } from '../../core/rewards.ts';
import type { Aggregate } from '../../core/types.ts';

export interface RankedSolution {
  /** Index of the solution in input order. */
  solution: number;
  /** The aggregate, or null when the solution has no scored steps. */
  score: number | null;
  /** 1 = best; null when unscored. */
  rank: number | null;
  picked: boolean;
}

/**
 * Ranks solutions by `how`, returned in input order.
 *
 * @example
 * rankSolutions([[0.9, 0.2], [0.8, 0.7]], 'min').map((r) => r.rank) // [2, 1]
 */
export function rankSolutions(rewards: readonly (readonly number[])[], how: Aggregate): RankedSolution[] {
  const scores = rewards.map((r) => (r.length ? aggregate([...r], how) : null));
  const order = scores
    .map((score, solution) => ({ score, solution }))
    .filter((x): x is { score: number; solution: number } => x.score !== null && !Number.isNaN(x.score))
    .sort((a, b) => b.score - a.score || a.solution - b.solution);
  const rank = new Map<number, number>();
  order.forEach((x, i) => {
    const prev = order[i - 1];
    rank.set(x.solution, prev && prev.score === x.score ? rank.get(prev.solution)! : i + 1);
  });
  const pickedIndex = order[0]?.solution ?? -1;
  return scores.map((score, solution) => ({
    solution,
    score: rank.has(solution) ? score : null,
    rank: rank.get(solution) ?? null,
    picked: solution === pickedIndex,
  }));
}

/** Human names of the aggregates, for pickers and legends. */
export const AGGREGATE_LABELS: Record<Aggregate, string> = {
  min: 'min (weakest step)',
  product: 'product (all steps right)',
  last: 'last step',
  mean: 'mean',
  geomean: 'geometric mean',
};
