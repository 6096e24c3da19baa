/**
 * Two predictions files of the same items side by side: how far one model's step rewards are from
 * another's (a local q4 conversion against the server's bf16 weights, say), per subset and
 * overall, whether they put the first error at the same step, and each one's ProcessBench F1 on
 * the shared items. Items are matched by subset and id; a truncated item is compared on the
 * steps both scored. Pure: `prm eval --preds A --against B` reads the files and prints this.
 */
import { evaluate } from './metrics.ts';
import type { PredictionRecord } from './processbench.ts';

export interface RewardGap {
  subset: string;
  /** Items present in both files. */
  n: number;
  /** Steps compared. */
  steps: number;
  mean_abs: number;
  p95_abs: number;
  max_abs: number;
  /** Share of items whose predicted first error (at each file's threshold) is the same step. */
  same_first_error: number;
  f1_a: number;
  f1_b: number;
}

export interface RewardComparison {
  /** Per subset, in order of first appearance in A, then `all` when there are several. */
  rows: RewardGap[];
  /** Items in only one of the files (left out of every figure). */
  only_a: number;
  only_b: number;
  /** The largest differences, biggest first (none when the rewards are equal). */
  largest: { key: string; step: number; a: number; b: number }[];
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

function gap(subset: string, pairs: [PredictionRecord, PredictionRecord][]): RewardGap {
  const diffs: number[] = [];
  for (const [a, b] of pairs) {
    const k = Math.min(a.rewards.length, b.rewards.length);
    for (let s = 0; s < k; s++) diffs.push(Math.abs(a.rewards[s] - b.rewards[s]));
  }
  const sorted = [...diffs].sort((x, y) => x - y);
  const f1 = (side: 0 | 1) => {
    const ev = evaluate(pairs.map((p) => p[side]));
    return pairs.length === 0 ? NaN : subset === 'all' ? ev.average_f1 : (ev.subsets[0]?.f1 ?? NaN);
  };
  return {
    subset,
    n: pairs.length,
    steps: diffs.length,
    mean_abs: diffs.length ? diffs.reduce((s, d) => s + d, 0) / diffs.length : NaN,
    p95_abs: quantile(sorted, 0.95),
    max_abs: sorted.length ? sorted[sorted.length - 1] : NaN,
    same_first_error: pairs.length
      ? pairs.filter(([a, b]) => a.prediction === b.prediction).length / pairs.length
      : NaN,
    f1_a: f1(0),
    f1_b: f1(1),
  };
}

/**
 * @example
 * const c = compareRewards(q4Lines, bf16Lines);
 * c.rows[0]; // { subset: 'gsm8k', n: 200, steps: 1104, mean_abs: 0.012, ... }
 */
export function compareRewards(a: PredictionRecord[], b: PredictionRecord[], top = 5): RewardComparison {
  const key = (p: PredictionRecord) => `${p.subset}/${p.id}`;
  const inB = new Map(b.map((p) => [key(p), p]));
  const inA = new Set(a.map(key));
  const pairs: [PredictionRecord, PredictionRecord][] = a.flatMap((p) => {
    const q = inB.get(key(p));
    return q ? [[p, q] as [PredictionRecord, PredictionRecord]] : [];
  });
  const subsets = [...new Set(pairs.map(([p]) => p.subset))];
  const rows = subsets.map((s) =>
    gap(
      s,
      pairs.filter(([p]) => p.subset === s),
    ),
  );
  if (subsets.length > 1) rows.push(gap('all', pairs));
  const largest = pairs
    .flatMap(([p, q]) =>
      p.rewards
        .slice(0, Math.min(p.rewards.length, q.rewards.length))
        .map((r, s) => ({ key: key(p), step: s + 1, a: r, b: q.rewards[s] })),
    )
    .filter((x) => x.a !== x.b)
    .sort((x, y) => Math.abs(y.a - y.b) - Math.abs(x.a - x.b))
    .slice(0, top);
  return {
    rows,
    only_a: a.length - pairs.length,
    only_b: b.filter((p) => !inA.has(key(p))).length,
    largest,
  };
}
