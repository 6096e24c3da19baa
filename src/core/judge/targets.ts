/**
 * The checker's figures on a labelled set (ProcessBench format): how many steps it could check,
 * how often it cries wolf on solutions labelled fully correct, and whether the steps it flags lie
 * at or after the labelled first error. Shared by bench/judge-processbench.ts and the gate test.
 */
import type { ProcessBenchItem } from '../types.ts';
import { judgeArithmetic, type Judgement } from './index.ts';

export interface JudgeTargets {
  solutions: number;
  steps: number;
  /** Steps with at least one claim judged right or wrong. */
  checkedSteps: number;
  /** Solutions labelled -1. */
  correct: number;
  /** ...of which the checker flags some step wrong. */
  correctFlagged: number;
  /** Steps flagged wrong in solutions with a labelled error. */
  flagged: number;
  /** ...of which at or after the labelled first error. */
  flaggedAtOrAfter: number;
  /** Solutions with a labelled error whose first flagged step is exactly the label. */
  exact: number;
  /** Every judgement, in item order (for listing the misses). */
  judgements: Judgement[];
}

/**
 * Runs the checker over `items` and counts.
 *
 * @example
 * const t = judgeTargets(items);
 * t.correctFlagged / t.correct; // share of correct solutions it flags (target <= 0.02)
 */
export function judgeTargets(items: readonly ProcessBenchItem[]): JudgeTargets {
  const t: JudgeTargets = {
    solutions: items.length,
    steps: 0,
    checkedSteps: 0,
    correct: 0,
    correctFlagged: 0,
    flagged: 0,
    flaggedAtOrAfter: 0,
    exact: 0,
    judgements: [],
  };
  for (const item of items) {
    const j = judgeArithmetic(item.steps);
    t.judgements.push(j);
    t.steps += j.steps.length;
    t.checkedSteps += j.steps.filter((s) => s.verdict !== 'none').length;
    if (item.label === -1) {
      t.correct++;
      if (j.first_error !== -1) t.correctFlagged++;
      continue;
    }
    if (j.first_error === item.label) t.exact++;
    j.steps.forEach((s, i) => {
      if (s.verdict !== 'wrong') return;
      t.flagged++;
      if (i >= item.label) t.flaggedAtOrAfter++;
    });
  }
  return t;
}
