/**
 * The Evaluate view's items as rows for `judgedEvaluation` (src/core/judge/consensus.ts): scored
 * items that carry their step texts, each with the arithmetic checker's judgement. Judgements
 * are cached per steps array, so moving the threshold or a run adding rewards does not re-check
 * text that has not changed.
 */
import { judgeArithmetic, type Judgement } from '../../core/judge/index.ts';
import type { ProcessBenchItem } from '../../core/types.ts';
import type { ScoredItem } from './dataset.ts';

const cache = new WeakMap<readonly string[], Judgement>();

/** The checker's judgement of `steps`, computed once per array. */
export function judged(steps: readonly string[]): Judgement {
  let j = cache.get(steps);
  if (!j) cache.set(steps, (j = judgeArithmetic(steps)));
  return j;
}

/**
 * Rows for the consensus metrics; items without step texts (from a predictions file) are left out.
 *
 * @example
 * judgeRows([{ key: 's/1', id: '1', subset: 's', label: -1, steps: ['1 + 1 = 2'], rewards: [0.9] }]).length; // 1
 */
export function judgeRows(
  items: readonly ScoredItem[],
): { item: ProcessBenchItem; rewards: number[]; judgement: Judgement }[] {
  return items.flatMap((it) =>
    it.steps
      ? [
          {
            item: {
              id: it.id,
              subset: it.subset,
              problem: it.problem ?? '',
              steps: it.steps,
              label: it.label,
              final_answer_correct: it.label === -1,
            },
            rewards: it.rewards,
            judgement: judged(it.steps),
          },
        ]
      : [],
  );
}
