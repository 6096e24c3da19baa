/**
 * Turning an evaluated item into a playground draft: the item's own steps become hand-set step
 * boundaries, so the playground scores exactly the steps the benchmark labels (ProcessBench
 * steps can hold blank lines that automatic segmentation would split). No I/O.
 */
import { stepsFromTexts } from '../../core/segment.ts';
import type { Draft } from '../lib/draft.ts';

/** What the Evaluate view hands the playground. */
export interface OpenItem {
  problem: string;
  steps: string[];
  /** The Evaluate view's threshold, so the playground marks the same first error. */
  threshold?: number;
  /** A line for the playground's message, e.g. which item and how the model missed it. */
  note?: string;
}

/**
 * A draft holding one solution with the item's steps as fixed boundaries. Blank steps are
 * dropped (a step boundary needs text).
 *
 * @example
 * draftForItem({ problem: '1+1?', steps: ['1+1=2.', 'So 2.'] }, { strategy: 'auto', aggregate: 'min' }).solutions[0].text;
 * // '1+1=2.\n\nSo 2.'
 */
export function draftForItem(item: OpenItem, base: Pick<Draft, 'strategy' | 'aggregate'>): Draft {
  const texts = item.steps.filter((s) => s.trim() !== '');
  if (texts.length === 0) {
    return {
      problem: item.problem,
      solutions: [{ text: '', steps: null }],
      strategy: base.strategy,
      threshold: item.threshold ?? null,
      aggregate: base.aggregate,
    };
  }
  const { source, steps } = stepsFromTexts(texts);
  return {
    problem: item.problem,
    solutions: [{ text: source, steps }],
    strategy: base.strategy,
    threshold: item.threshold ?? null,
    aggregate: base.aggregate,
  };
}
