/**
 * ProcessBench and Best-of-N metrics over predictions the caller already has.
 *
 * Definitions mirror ProcessBench's `code/run_eval_prm_trl.py` (QwenLM/ProcessBench):
 * `acc_error` = share of label != -1 samples whose prediction equals the label, `acc_correct` =
 * share of label == -1 samples predicted -1, `f1` = 2ab/(a+b), `average_f1` = plain mean of the
 * subset F1s. Accuracies are fractions in [0, 1], not percentages. Where a side is empty the
 * reference's `np.mean([])` gives NaN, and so do we (and F1 is NaN). Where both accuracies are 0
 * the reference divides 0 by 0 (NaN); we return 0, the limit of the harmonic mean, so one dead
 * subset does not turn the average into NaN.
 */
import { aggregate, firstError } from './rewards.ts';
import type { Aggregate } from './types.ts';

export interface SubsetMetrics {
  subset: string;
  n: number;
  n_error: number;
  n_correct: number;
  acc_error: number;
  acc_correct: number;
  f1: number;
}

export interface Evaluation {
  /** In order of first appearance in the input. */
  subsets: SubsetMetrics[];
  average_f1: number;
}

export interface LabelledPrediction {
  subset: string;
  label: number;
  prediction: number;
}

/**
 * Harmonic mean of the two accuracies, as ProcessBench's F1.
 *
 * @example
 * f1Score(0.72, 0.964); // 0.8243...
 */
export function f1Score(accError: number, accCorrect: number): number {
  if (Number.isNaN(accError) || Number.isNaN(accCorrect)) return NaN;
  if (accError + accCorrect === 0) return 0;
  return (2 * accError * accCorrect) / (accError + accCorrect);
}

function checkPosition(what: string, v: number, i: number): void {
  if (!Number.isInteger(v) || v < -1) {
    throw new Error(
      `Record ${i}: ${what} must be an integer >= -1 (-1 = no error), got ${JSON.stringify(v)}.`,
    );
  }
}

/**
 * Per-subset ProcessBench metrics and their average F1.
 *
 * @example
 * evaluate([{ subset: 'gsm8k', label: 1, prediction: 1 }, { subset: 'gsm8k', label: -1, prediction: 0 }]);
 * // { subsets: [{ subset: 'gsm8k', n: 2, n_error: 1, n_correct: 1, acc_error: 1, acc_correct: 0, f1: 0 }], average_f1: 0 }
 */
export function evaluate(preds: LabelledPrediction[]): Evaluation {
  const groups = new Map<
    string,
    { n_error: number; hit_error: number; n_correct: number; hit_correct: number }
  >();
  preds.forEach((p, i) => {
    checkPosition('label', p.label, i);
    checkPosition('prediction', p.prediction, i);
    let g = groups.get(p.subset);
    if (!g) groups.set(p.subset, (g = { n_error: 0, hit_error: 0, n_correct: 0, hit_correct: 0 }));
    const hit = p.prediction === p.label ? 1 : 0;
    if (p.label === -1) {
      g.n_correct++;
      g.hit_correct += hit;
    } else {
      g.n_error++;
      g.hit_error += hit;
    }
  });
  const subsets = [...groups].map(([subset, g]): SubsetMetrics => {
    const acc_error = g.n_error === 0 ? NaN : g.hit_error / g.n_error;
    const acc_correct = g.n_correct === 0 ? NaN : g.hit_correct / g.n_correct;
    return {
      subset,
      n: g.n_error + g.n_correct,
      n_error: g.n_error,
      n_correct: g.n_correct,
      acc_error,
      acc_correct,
      f1: f1Score(acc_error, acc_correct),
    };
  });
  const average_f1 = subsets.length === 0 ? NaN : subsets.reduce((a, s) => a + s.f1, 0) / subsets.length;
  return { subsets, average_f1 };
}

export interface ThresholdResult extends Evaluation {
  threshold: number;
}

/**
 * Re-derives predictions from stored rewards at each threshold (a step is wrong when its reward
 * is <= threshold) and evaluates them. Steps beyond the stored rewards are treated as unscored.
 *
 * @example
 * sweepThreshold(items, [0.3, 0.5, 0.7]).map((r) => r.average_f1);
 */
export function sweepThreshold(
  items: { subset: string; label: number; rewards: number[] }[],
  thresholds: number[],
): ThresholdResult[] {
  return thresholds.map((threshold) => ({
    threshold,
    ...evaluate(
      items.map((it) => ({
        subset: it.subset,
        label: it.label,
        prediction: firstError(it.rewards, threshold),
      })),
    ),
  }));
}

/**
 * The sweep entry with the highest F1, on the average or on one subset (ProcessBench tunes scalar
 * PRMs on gsm8k). Ties keep the earlier threshold; NaN F1s never win.
 *
 * @example
 * bestThreshold(sweepThreshold(items, [0.3, 0.5]), 'gsm8k').threshold;
 */
export function bestThreshold(sweep: ThresholdResult[], by: 'average' | string = 'average'): ThresholdResult {
  let best: ThresholdResult | undefined;
  let bestF1 = -Infinity;
  for (const r of sweep) {
    const f1 = by === 'average' ? r.average_f1 : r.subsets.find((s) => s.subset === by)?.f1;
    if (f1 === undefined) throw new Error(`No subset named ${JSON.stringify(by)} in the sweep.`);
    if (f1 > bestF1) {
      best = r;
      bestF1 = f1;
    }
  }
  if (!best) throw new Error('No threshold in the sweep has a defined F1.');
  return best;
}

/**
 * Why no threshold should be recommended from a sweep, or null when one may be: every F1 is 0 or
 * undefined (the model never gets a first error right), or F1 hardly moves with the threshold
 * (within `flat`), so the "best" one is an accident of ties.
 *
 * @example
 * noBestThreshold(sweepThreshold(items, [0.3, 0.5])); // 'F1 is 0 at every threshold'
 */
export function noBestThreshold(
  sweep: ThresholdResult[],
  by: 'average' | string = 'average',
  flat = 0.01,
): string | null {
  const f1s = sweep
    .map((r) => (by === 'average' ? r.average_f1 : r.subsets.find((s) => s.subset === by)?.f1))
    .filter((f): f is number => f !== undefined && Number.isFinite(f));
  if (f1s.length === 0 || Math.max(...f1s) === 0) return 'F1 is 0 at every threshold';
  if (Math.max(...f1s) - Math.min(...f1s) < flat) return 'F1 is flat: it hardly changes with the threshold';
  return null;
}

export interface Confusion {
  /** Bucket positions: -1 (no error), 0, 1, ..., the last bucket also holds every larger position. */
  positions: number[];
  /** counts[t][p]: samples with true position positions[t] and predicted position positions[p]. */
  counts: number[][];
}

/**
 * Histogram of predicted versus true first-error positions. Positions above `maxPosition` are
 * folded into the last bucket.
 *
 * @example
 * firstErrorConfusion([{ label: 1, prediction: 0 }], 2).counts[2][1]; // 1 (true 1, predicted 0)
 */
export function firstErrorConfusion(
  items: { label: number; prediction: number }[],
  maxPosition?: number,
): Confusion {
  items.forEach((it, i) => {
    checkPosition('label', it.label, i);
    checkPosition('prediction', it.prediction, i);
  });
  const seenMax = items.reduce((m, it) => Math.max(m, it.label, it.prediction), -1);
  const top = maxPosition === undefined ? seenMax : Math.max(-1, Math.min(seenMax, maxPosition));
  const positions = Array.from({ length: top + 2 }, (_, i) => i - 1);
  const counts = positions.map(() => positions.map(() => 0));
  const bucket = (v: number) => Math.min(v, top) + 1;
  for (const it of items) counts[bucket(it.label)][bucket(it.prediction)]++;
  return { positions, counts };
}

/**
 * Share of solutions whose lowest step score sits on the final step (Lessons paper, section 5).
 * Ties go to the earliest step, as numpy's argmin does, so the final step counts only when it is
 * strictly lower than every earlier step. Single-step solutions are left out (`n` counts the rest):
 * their only step is trivially the final one.
 *
 * @example
 * finalStepMinShare([[0.9, 0.2], [0.1, 0.5], [0.3]]); // { share: 0.5, final: 1, n: 2 }
 */
export function finalStepMinShare(rewardsList: number[][]): { share: number; final: number; n: number } {
  let final = 0;
  let n = 0;
  for (const rewards of rewardsList) {
    if (rewards.length < 2) continue;
    n++;
    const last = rewards[rewards.length - 1];
    if (rewards.slice(0, -1).every((r) => last < r)) final++;
  }
  return { share: n === 0 ? NaN : final / n, final, n };
}

export interface Candidate {
  rewards: number[];
  correct: boolean;
  answer?: string;
}

export interface CandidateGroup {
  problemId: string;
  candidates: Candidate[];
}

export interface GroupPickResult {
  accuracy: number;
  /** Index of the picked candidate per group. */
  picks: number[];
}

function checkGroups(groups: CandidateGroup[]): void {
  if (groups.length === 0) throw new Error('Best-of-N needs at least one problem.');
  for (const g of groups) {
    if (g.candidates.length === 0) throw new Error(`Problem ${g.problemId} has no candidate solutions.`);
  }
}

/**
 * Best-of-N: per problem, pick the candidate with the highest aggregated PRM score (ties keep the
 * first candidate); accuracy = share of problems whose pick is correct.
 *
 * @example
 * bestOfN([{ problemId: 'p', candidates: [{ rewards: [0.2], correct: false }, { rewards: [0.9], correct: true }] }], 'min');
 * // { accuracy: 1, picks: [1] }
 */
export function bestOfN(groups: CandidateGroup[], how: Aggregate): GroupPickResult {
  checkGroups(groups);
  const picks = groups.map((g) => {
    let best = 0;
    let bestScore = -Infinity;
    g.candidates.forEach((c, i) => {
      const score = aggregate(c.rewards, how);
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    });
    return best;
  });
  const hits = picks.filter((p, i) => groups[i].candidates[p].correct).length;
  return { accuracy: hits / groups.length, picks };
}

/**
 * Majority vote (maj@N) over final answers: the most frequent answer wins, ties go to the answer
 * that appears first; the group scores if the first candidate with that answer is correct. Every
 * candidate needs `answer`.
 *
 * @example
 * majorityVote([{ problemId: 'p', candidates: [{ rewards: [], correct: false, answer: '3' }, { rewards: [], correct: true, answer: '4' }, { rewards: [], correct: true, answer: '4' }] }]);
 * // { accuracy: 1, picks: [1] }
 */
export function majorityVote(groups: CandidateGroup[]): GroupPickResult {
  checkGroups(groups);
  const picks = groups.map((g) => {
    const votes = new Map<string, { count: number; first: number }>();
    g.candidates.forEach((c, i) => {
      if (typeof c.answer !== 'string') {
        throw new Error(
          `Majority vote needs a final answer for every candidate; problem ${g.problemId} candidate ${i} has none.`,
        );
      }
      const v = votes.get(c.answer);
      if (v) v.count++;
      else votes.set(c.answer, { count: 1, first: i });
    });
    let winner = { count: 0, first: 0 };
    for (const v of votes.values()) if (v.count > winner.count) winner = v;
    return winner.first;
  });
  const hits = picks.filter((p, i) => groups[i].candidates[p].correct).length;
  return { accuracy: hits / groups.length, picks };
}

/**
 * pass@N: share of problems with at least one correct candidate (the ceiling for any picker).
 *
 * @example
 * passAtN([{ problemId: 'p', candidates: [{ rewards: [1], correct: false }, { rewards: [0], correct: true }] }]); // 1
 */
export function passAtN(groups: CandidateGroup[]): number {
  checkGroups(groups);
  return groups.filter((g) => g.candidates.some((c) => c.correct)).length / groups.length;
}
