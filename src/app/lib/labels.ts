/**
 * Names shown for solutions and strategies. The first solution is "Solution" (the common
 * single-solution case, and a stable accessible name for the field); added ones are
 * "Solution 2", "Solution 3", ... The same names label heatmap rows.
 */
import type { SegmentStrategy } from '../../core/types.ts';

export function solutionLabel(index: number): string {
  return index === 0 ? 'Solution' : `Solution ${index + 1}`;
}

export const STRATEGY_LABELS: Record<SegmentStrategy, string> = {
  auto: 'Auto',
  paragraphs: 'Blank lines',
  markers: 'Step markers ("Step 1:", "1.")',
  lines: 'Lines',
  sentences: 'Sentences',
};
