/**
 * The heatmap's second row per solution: the exact arithmetic checker's verdict on every step
 * (✓ right, ✗ wrong, – nothing it could check), the consensus of checker and PRM on that step
 * (‼ both say wrong, ≠ only one does) and the consensus first error (⚑, the first step both
 * call wrong). Plain data, like heatmap-layout.ts, so the SVG export and PNG carry the same marks.
 * It does not check anything itself: verdicts come from src/core/judge.
 */
import { combineFirstErrors, consensusMark, MARK_LABELS, type Mark } from '../../core/judge/consensus.ts';
import { describeClaim, type StepCheck, type Verdict } from '../../core/judge/index.ts';
import type { Theme } from './heatmap-layout.ts';

export interface CheckCell {
  row: number;
  col: number;
  x: number;
  y: number;
  verdict: Verdict;
  /** Null where the PRM has not scored this step. */
  mark: Mark | null;
  glyph: string;
  /** `‼`, `≠` or '' in the cell's corner. */
  markGlyph: string;
  fill: string;
  textFill: string;
  consensusFirst: boolean;
  /** Each claim in words: "7 × 9 = 63, not 65" for a wrong one, "3 + 4 = 7 ✓" for a right one. */
  lines: string[];
  /** Accessible name. */
  name: string;
}

export interface CheckRow {
  y: number;
  /** The checker's verdict on the solution, for the rank column: "✗ step 3", "✓ all checked", "no check". */
  summary: string;
  /** First step both judges call wrong, -1 for none, null when unscored. */
  consensusFirstError: number | null;
}

export const CHECK_HEIGHT = 22;

const GLYPHS: Record<Verdict, string> = { right: '✓', wrong: '✗', none: '–' };
const FILLS: Record<Theme, Record<Verdict, string>> = {
  light: { right: '#e3f1e0', wrong: '#b2182b', none: '#f3f3f6' },
  dark: { right: '#1f3a26', wrong: '#d6604d', none: '#22222a' },
};
const TEXT: Record<Theme, Record<Verdict, string>> = {
  light: { right: '#1b5e20', wrong: '#ffffff', none: '#5b5b66' },
  dark: { right: '#b8e0b0', wrong: '#ffffff', none: '#a4a4b0' },
};

/** `≠` only where the checker has a verdict to disagree with; a step it could not check shows none. */
function markGlyph(mark: Mark | null, verdict: Verdict): string {
  if (mark === 'both-wrong') return '‼';
  return (mark === 'only-prm' && verdict === 'right') || mark === 'only-checker' ? '≠' : '';
}

/**
 * Lays out the check row of solution `row`, whose PRM row starts at `top`.
 *
 * @example
 * checkRow(0, 34, 96, 50, 32, { checks, rewards: [0.9, 0.1], threshold: 0.5, theme: 'light' }).cells[1].mark; // 'both-wrong'
 */
export function checkRow(
  row: number,
  top: number,
  left: number,
  cellWidth: number,
  cellHeight: number,
  x: { checks: readonly StepCheck[]; rewards: readonly number[]; threshold: number; theme: Theme },
): { row: CheckRow; cells: CheckCell[] } {
  const y = top + cellHeight;
  const scored = x.rewards.length > 0;
  const consensus = scored
    ? combineFirstErrors(x.rewards, x.threshold, {
        name: 'arithmetic',
        first_error: x.checks.findIndex((s) => s.verdict === 'wrong'),
        steps: [...x.checks],
      }).both
    : null;
  const cells = x.checks.map((s, col): CheckCell => {
    const mark = col < x.rewards.length ? consensusMark(x.rewards[col], x.threshold, s.verdict) : null;
    const lines = s.claims
      .filter((c) => c.verdict !== 'none')
      .map((c) => (c.verdict === 'wrong' ? describeClaim(c) : `${c.text} ✓`));
    const first = consensus === col;
    const what =
      s.verdict === 'wrong'
        ? `wrong: ${lines.filter((l) => !l.endsWith('✓')).join('; ')}`
        : s.verdict === 'right'
          ? 'right'
          : 'no check';
    return {
      row,
      col,
      x: left + col * cellWidth,
      y,
      verdict: s.verdict,
      mark,
      glyph: GLYPHS[s.verdict],
      markGlyph: markGlyph(mark, s.verdict),
      fill: FILLS[x.theme][s.verdict],
      textFill: TEXT[x.theme][s.verdict],
      consensusFirst: first,
      lines: lines.length ? lines : ['no computation it could check'],
      name: `Step ${col + 1} arithmetic check: ${what}${mark ? `; ${MARK_LABELS[mark]}` : ''}${first ? '; consensus first error' : ''}`,
    };
  });
  const firstWrong = x.checks.findIndex((s) => s.verdict === 'wrong');
  const summary =
    firstWrong >= 0
      ? `✗ step ${firstWrong + 1}`
      : x.checks.some((s) => s.verdict === 'right')
        ? '✓ no slip'
        : 'no check';
  return { row: { y: y + CHECK_HEIGHT / 2, summary, consensusFirstError: consensus }, cells };
}
