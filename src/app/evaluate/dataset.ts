/**
 * The Evaluate view's dataset: ProcessBench items keyed by `subset/id`, each with the step rewards
 * once scored (by the model here, or read from a `prm eval --out` file). Everything the view shows
 * is derived from these rewards at a threshold, so moving the slider never re-runs the model.
 *
 * Merging is all-or-nothing: a file that conflicts with what is loaded throws before anything
 * changes, so nothing the user loaded is lost to a bad file. Plain data, no I/O.
 */
import { DataError, type PredictionRecord } from '../../core/processbench.ts';
import { firstError } from '../../core/rewards.ts';
import type { ProcessBenchItem } from '../../core/types.ts';

export interface EvalItem {
  /** `subset/id`, unique in a dataset. */
  key: string;
  id: string;
  subset: string;
  /** 0-based earliest wrong step, -1 when every step is correct. */
  label: number;
  /** Present when the item came from a ProcessBench file (needed to run it or open it). */
  problem?: string;
  steps?: string[];
  /** p(correct) per scored step; absent until scored. */
  rewards?: number[];
  /** Scored on its leading steps only (longer than the model's context). */
  truncated?: boolean;
}

export type ScoredItem = EvalItem & { rewards: number[] };

export type MissKind = 'false-alarm' | 'missed-error' | 'wrong-position';

export const MISS_KINDS: readonly { kind: MissKind; label: string; help: string }[] = [
  { kind: 'false-alarm', label: 'False alarm', help: 'a correct solution flagged as wrong' },
  { kind: 'missed-error', label: 'Missed error', help: 'a wrong solution passed as correct' },
  { kind: 'wrong-position', label: 'Wrong position', help: 'an error found, but at another step' },
];

export const keyOf = (subset: string, id: string): string => `${subset}/${id}`;

const sameSteps = (a: string[] | undefined, b: string[]) =>
  a !== undefined && a.length === b.length && a.every((s, i) => s === b[i]);

/**
 * Adds ProcessBench items. An item already present with the same problem, steps and label keeps
 * its rewards; one whose text or label changed is replaced and loses them (they scored other text).
 *
 * @example
 * mergeProcessBench([], [{ id: 'a', subset: 's', problem: 'p', steps: ['x'], label: -1, final_answer_correct: true }]);
 * // [{ key: 's/a', id: 'a', subset: 's', label: -1, problem: 'p', steps: ['x'] }]
 */
export function mergeProcessBench(
  current: readonly EvalItem[],
  items: readonly ProcessBenchItem[],
): EvalItem[] {
  const out = [...current];
  const index = new Map(out.map((it, i) => [it.key, i]));
  for (const it of items) {
    const subset = it.subset ?? 'data';
    const key = keyOf(subset, it.id);
    const fresh: EvalItem = { key, id: it.id, subset, label: it.label, problem: it.problem, steps: it.steps };
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, out.length);
      out.push(fresh);
      continue;
    }
    const old = out[at];
    const unchanged =
      old.label === it.label &&
      (old.problem === undefined || (old.problem === it.problem && sameSteps(old.steps, it.steps)));
    const rewardsFit = old.rewards === undefined || old.rewards.length <= it.steps.length;
    out[at] = unchanged && rewardsFit ? { ...fresh, rewards: old.rewards, truncated: old.truncated } : fresh;
  }
  return out;
}

/**
 * Adds the rewards of a predictions file. A prediction for an item already loaded must agree on
 * the label and have no more rewards than the item has steps; otherwise this throws `DataError`
 * (naming the record) and changes nothing. The file's `prediction` is not kept: it is re-derived
 * from the rewards at the view's threshold.
 *
 * @example
 * mergePredictions([], [{ id: 'a', subset: 's', label: 0, prediction: 0, rewards: [0.2] }], 'p.jsonl')[0].rewards; // [0.2]
 */
export function mergePredictions(
  current: readonly EvalItem[],
  preds: readonly PredictionRecord[],
  sourceName: string,
): EvalItem[] {
  const out = [...current];
  const index = new Map(out.map((it, i) => [it.key, i]));
  preds.forEach((p, i) => {
    const key = keyOf(p.subset, p.id);
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, out.length);
      out.push({ key, id: p.id, subset: p.subset, label: p.label, rewards: p.rewards });
      return;
    }
    const old = out[at];
    const where = `${sourceName} record ${i + 1} (${key})`;
    if (old.label !== p.label) {
      throw new DataError(
        `${where}: label ${p.label} disagrees with the loaded item's label ${old.label}; is this the same dataset?`,
      );
    }
    if (old.steps && p.rewards.length > old.steps.length) {
      throw new DataError(
        `${where}: ${p.rewards.length} rewards for an item with ${old.steps.length} steps; the predictions were made on other steps.`,
      );
    }
    out[at] = {
      ...old,
      rewards: p.rewards,
      truncated: old.steps ? p.rewards.length < old.steps.length : undefined,
    };
  });
  return out;
}

/**
 * Items with text but no rewards, less the keys in `skip` (found too long to score): what a run
 * would score.
 *
 * @example
 * unscoredItems(items, ['gsm8k/12']).length;
 */
export function unscoredItems(items: readonly EvalItem[], skip: readonly string[] = []): EvalItem[] {
  const skipped = new Set(skip);
  return items.filter((it) => it.rewards === undefined && it.steps !== undefined && !skipped.has(it.key));
}

/**
 * The items with newly scored rewards put in, by key (a run's results arrive in batches).
 *
 * @example
 * withRewards(items, [{ key: 'gsm8k/0', rewards: [0.9, 0.1], truncated: false }]);
 */
export function withRewards(
  items: readonly EvalItem[],
  results: readonly { key: string; rewards: number[]; truncated: boolean }[],
): EvalItem[] {
  const byKey = new Map(results.map((r) => [r.key, r]));
  return items.map((it) => {
    const r = byKey.get(it.key);
    return r ? { ...it, rewards: r.rewards, truncated: r.truncated || undefined } : it;
  });
}

/**
 * Items and scored items per subset, in order of first appearance.
 *
 * @example
 * subsetCounts(items); // [{ subset: 'gsm8k', n: 400, scored: 120 }]
 */
export function subsetCounts(items: readonly EvalItem[]): { subset: string; n: number; scored: number }[] {
  const counts = new Map<string, { subset: string; n: number; scored: number }>();
  for (const it of items) {
    let c = counts.get(it.subset);
    if (!c) counts.set(it.subset, (c = { subset: it.subset, n: 0, scored: 0 }));
    c.n++;
    if (it.rewards) c.scored++;
  }
  return [...counts.values()];
}

/** The items that have rewards. */
export function scoredItems(items: readonly EvalItem[]): ScoredItem[] {
  return items.filter((it): it is ScoredItem => it.rewards !== undefined);
}

/**
 * Kind of miss, or null for a hit.
 *
 * @example
 * missKind(-1, 2); // 'false-alarm'
 * missKind(3, -1); // 'missed-error'
 * missKind(3, 1); // 'wrong-position'
 */
export function missKind(label: number, prediction: number): MissKind | null {
  if (label === prediction) return null;
  if (label === -1) return 'false-alarm';
  return prediction === -1 ? 'missed-error' : 'wrong-position';
}

export interface Miss {
  item: ScoredItem;
  prediction: number;
  kind: MissKind;
}

/**
 * The items the model gets wrong at `threshold`, optionally of one subset and one kind, in
 * dataset order.
 *
 * @example
 * misses(items, 0.5, { kind: 'missed-error' }).map((m) => m.item.id);
 */
export function misses(
  items: readonly ScoredItem[],
  threshold: number,
  filter: { subset?: string; kind?: MissKind } = {},
): Miss[] {
  const out: Miss[] = [];
  for (const item of items) {
    if (filter.subset !== undefined && item.subset !== filter.subset) continue;
    const prediction = firstError(item.rewards, threshold);
    const kind = missKind(item.label, prediction);
    if (kind === null || (filter.kind !== undefined && kind !== filter.kind)) continue;
    out.push({ item, prediction, kind });
  }
  return out;
}

/**
 * The thresholds at which `firstError(rewards, t)` reproduces every stored prediction, as
 * `[lo, hi)`; null when no single threshold does (e.g. a file mixing runs). A prediction p needs
 * rewards[p] <= t and every earlier reward > t.
 *
 * @example
 * consistentThresholds([{ prediction: 1, rewards: [0.9, 0.3] }, { prediction: -1, rewards: [0.8] }]); // { lo: 0.3, hi: 0.8 }
 */
export function consistentThresholds(
  preds: readonly { prediction: number; rewards: number[] }[],
): { lo: number; hi: number } | null {
  let lo = 0;
  let hi = 1;
  for (const { prediction, rewards } of preds) {
    const before = prediction === -1 ? rewards : rewards.slice(0, prediction);
    for (const r of before) hi = Math.min(hi, r);
    if (prediction >= 0) lo = Math.max(lo, rewards[prediction]);
  }
  // t must be >= lo and < hi; with lo == hi no t exists.
  return lo < hi ? { lo, hi } : null;
}

/**
 * A slider position (two decimals) that reproduces the stored predictions: `preferred` when it
 * does, else the two-decimal value in `[lo, hi)` nearest to it, else `lo` itself.
 *
 * @example
 * thresholdFor({ lo: 0.3, hi: 0.8 }, 0.5); // 0.5
 * thresholdFor({ lo: 0.61, hi: 0.9 }, 0.5); // 0.61
 */
export function thresholdFor(range: { lo: number; hi: number }, preferred: number): number {
  if (preferred >= range.lo && preferred < range.hi) return preferred;
  const up = Math.ceil(range.lo * 100 - 1e-9) / 100;
  const down = Math.floor((range.hi - 1e-9) * 100) / 100;
  if (preferred < range.lo && up < range.hi) return up;
  if (preferred >= range.hi && down >= range.lo) return down;
  return range.lo;
}

/**
 * One `prm eval --out` line per scored item, so a browser run can be read by the CLI tools.
 *
 * @example
 * predictionLines([{ key: 's/a', id: 'a', subset: 's', label: 0, rewards: [0.2] }], 0.5);
 * // '{"id":"a","subset":"s","label":0,"prediction":0,"rewards":[0.2]}\n'
 */
export function predictionLines(items: readonly EvalItem[], threshold: number): string {
  return scoredItems(items)
    .map((it) => {
      const line: Record<string, unknown> = {
        id: it.id,
        subset: it.subset,
        label: it.label,
        prediction: firstError(it.rewards, threshold),
        rewards: it.rewards,
      };
      if (it.truncated) line.truncated = true;
      return JSON.stringify(line) + '\n';
    })
    .join('');
}

/** Subset names in order of first appearance. */
export function subsetNames(items: readonly { subset: string }[]): string[] {
  return [...new Set(items.map((it) => it.subset))];
}
