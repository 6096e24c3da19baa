/**
 * The PRM and the arithmetic checker side by side, as the Lessons paper's consensus filtering
 * argues: per step, whether both say wrong, only one does, or both are fine; per solution, the
 * first error of either judge and the first step both call wrong; over a labelled set, the
 * ProcessBench metrics of each judge and of both combinations, the step agreement matrix and the
 * steps where they disagree. It takes rewards and verdicts the caller already has.
 */
import { evaluate, type Evaluation } from '../metrics.ts';
import type { ProcessBenchItem } from '../types.ts';
import { describeClaim, type Judgement, type Verdict } from './index.ts';

/** One step's consensus: a PRM "wrong" is a reward at or below the threshold. */
export type Mark = 'both-wrong' | 'only-prm' | 'only-checker' | 'both-fine' | 'prm-fine-unchecked';

export const MARK_LABELS: Record<Mark, string> = {
  'both-wrong': 'both say wrong',
  'only-prm': 'only the PRM says wrong',
  'only-checker': 'only the checker says wrong',
  'both-fine': 'both fine',
  'prm-fine-unchecked': 'PRM fine, nothing to check',
};

/**
 * @example
 * consensusMark(0.2, 0.5, 'wrong'); // 'both-wrong'
 * consensusMark(0.9, 0.5, 'none'); // 'prm-fine-unchecked'
 */
export function consensusMark(reward: number | undefined, threshold: number, verdict: Verdict): Mark {
  const prmWrong = reward !== undefined && reward <= threshold;
  if (verdict === 'wrong') return prmWrong ? 'both-wrong' : 'only-checker';
  if (prmWrong) return 'only-prm';
  return verdict === 'right' ? 'both-fine' : 'prm-fine-unchecked';
}

export interface Combined {
  /** First step the PRM scores at or below the threshold. */
  prm: number;
  /** First step with a wrong claim. */
  checker: number;
  /** First step either judge calls wrong. */
  either: number;
  /** First step both judges call wrong (the consensus first error). */
  both: number;
}

/**
 * Each judge's first error and the two combinations; -1 where none.
 *
 * @example
 * combineFirstErrors([0.9, 0.3, 0.2], 0.5, judgeArithmetic(['1 + 1 = 2', '2 + 2 = 4', '4 + 4 = 9']));
 * // { prm: 1, checker: 2, either: 1, both: 2 }
 */
export function combineFirstErrors(rewards: readonly number[], threshold: number, j: Judgement): Combined {
  const marks = j.steps.map((s, i) => consensusMark(rewards[i], threshold, s.verdict));
  const first = (ok: (m: Mark) => boolean): number => marks.findIndex(ok);
  return {
    prm: first((m) => m === 'both-wrong' || m === 'only-prm'),
    checker: j.first_error,
    either: first((m) => m !== 'both-fine' && m !== 'prm-fine-unchecked'),
    both: first((m) => m === 'both-wrong'),
  };
}

export interface Disagreement {
  subset: string;
  id: string;
  step: number;
  label: number;
  reward: number;
  mark: 'only-prm' | 'only-checker';
  /** The checker's wrong claims ("7 × 9 = 63, not 65"), or its right ones where only the PRM objects. */
  claims: string[];
}

export interface JudgedEvaluation {
  /** ProcessBench metrics of the checker alone, the PRM alone, either first error, both agree. */
  metrics: Record<keyof Combined, Evaluation>;
  /** Step counts: PRM wrong / fine against checker wrong / right / no check. */
  matrix: Record<'prm_wrong' | 'prm_fine', Record<Verdict, number>>;
  /** Steps the checker checked where the two judges disagree, in item order. */
  disagreements: Disagreement[];
}

/**
 * Both judges on a labelled set.
 *
 * @example
 * const e = judgedEvaluation(items.map((item, i) => ({ item, rewards: rewards[i], judgement: judgeArithmetic(item.steps) })), 0.5);
 * e.metrics.both.average_f1;
 */
export function judgedEvaluation(
  rows: { item: ProcessBenchItem; rewards: readonly number[]; judgement: Judgement }[],
  threshold: number,
): JudgedEvaluation {
  const preds: Record<keyof Combined, { subset: string; label: number; prediction: number }[]> = {
    prm: [],
    checker: [],
    either: [],
    both: [],
  };
  const zero = (): Record<Verdict, number> => ({ wrong: 0, right: 0, none: 0 });
  const matrix = { prm_wrong: zero(), prm_fine: zero() };
  const disagreements: Disagreement[] = [];
  for (const { item, rewards, judgement } of rows) {
    const subset = item.subset ?? 'data';
    const c = combineFirstErrors(rewards, threshold, judgement);
    for (const k of Object.keys(preds) as (keyof Combined)[])
      preds[k].push({ subset, label: item.label, prediction: c[k] });
    judgement.steps.forEach((s, step) => {
      const reward = rewards[step];
      if (reward === undefined) return;
      matrix[reward <= threshold ? 'prm_wrong' : 'prm_fine'][s.verdict]++;
      const mark = consensusMark(reward, threshold, s.verdict);
      if (mark !== 'only-checker' && !(mark === 'only-prm' && s.verdict === 'right')) return;
      const shown = s.claims.filter((x) => x.verdict === (mark === 'only-checker' ? 'wrong' : 'right'));
      disagreements.push({
        subset,
        id: item.id,
        step,
        label: item.label,
        reward,
        mark,
        claims: shown.map(describeClaim),
      });
    });
  }
  const metrics = {
    prm: evaluate(preds.prm),
    checker: evaluate(preds.checker),
    either: evaluate(preds.either),
    both: evaluate(preds.both),
  };
  return { metrics, matrix, disagreements };
}
