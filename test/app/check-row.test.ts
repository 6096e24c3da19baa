import { describe, expect, it } from 'vitest';
import { judgeArithmetic } from '../../src/core/judge/index.ts';
import { checkRow } from '../../src/app/lib/check-layout.ts';
import { nextFocus } from '../../src/app/lib/heatmap-keys.ts';
import { heatmapHeight, heatmapLayout } from '../../src/app/lib/heatmap-layout.ts';

const STEPS = ['3 + 4 = 7.', 'So 7 × 9 = 65.', 'We are done.', '65 - 5 = 60.'];
const checks = judgeArithmetic(STEPS).steps;

describe('checkRow(row, top, left, cellWidth, cellHeight, x)', () => {
  const { row, cells } = checkRow(0, 34, 96, 50, 32, {
    checks,
    rewards: [0.9, 0.2, 0.9, 0.9],
    threshold: 0.5,
    theme: 'light',
  });

  it('gives each step the checker verdict, the consensus mark and the claims in words', () => {
    expect(cells.map((c) => [c.verdict, c.glyph, c.mark, c.markGlyph])).toEqual([
      ['right', '✓', 'both-fine', ''],
      ['wrong', '✗', 'both-wrong', '‼'],
      ['none', '–', 'prm-fine-unchecked', ''],
      ['right', '✓', 'both-fine', ''],
    ]);
    expect(cells[1].lines).toEqual(['7 × 9 = 63, not 65']);
    expect(cells[0].lines).toEqual(['3 + 4 = 7 ✓']);
    expect(cells[2].lines).toEqual(['no computation it could check']);
    expect(cells[1].name).toBe(
      'Step 2 arithmetic check: wrong: 7 × 9 = 63, not 65; both say wrong; consensus first error',
    );
  });

  it('marks the consensus first error and sums the solution up for the rank column', () => {
    expect(cells.map((c) => c.consensusFirst)).toEqual([false, true, false, false]);
    expect(row).toMatchObject({ summary: '✗ step 2', consensusFirstError: 1 });
  });

  it('marks a disagreement with ≠ and leaves the consensus empty when only one judge objects', () => {
    const r = checkRow(0, 0, 0, 50, 32, {
      checks,
      rewards: [0.2, 0.9, 0.9, 0.9],
      threshold: 0.5,
      theme: 'dark',
    });
    expect(r.cells.slice(0, 2).map((c) => [c.mark, c.markGlyph])).toEqual([
      ['only-prm', '≠'],
      ['only-checker', '≠'],
    ]);
    expect(r.row.consensusFirstError).toBe(-1);
  });

  it('has no consensus before the PRM has scored', () => {
    const r = checkRow(0, 0, 0, 50, 32, { checks, rewards: [], threshold: 0.5, theme: 'light' });
    expect(r.cells.every((c) => c.mark === null)).toBe(true);
    expect(r.row.consensusFirstError).toBeNull();
  });
});

describe('heatmapLayout with checks', () => {
  it('puts a check row under each solution and makes room for its key', () => {
    const row = {
      label: 'Solution 1',
      rewards: [0.9, 0.2, 0.9, 0.9],
      steps: STEPS,
      firstError: 1,
      score: 0.2,
      rank: 1,
      picked: true,
      checks,
    };
    const l = heatmapLayout({
      rows: [row, { ...row, label: 'Solution 2' }],
      threshold: 0.5,
      aggregate: 'min',
      theme: 'light',
    });
    expect(l.checkCells).toHaveLength(8);
    expect(l.checkCells[4].y).toBeGreaterThan(l.cells[4].y);
    expect(l.cells[4].y).toBeGreaterThan(l.checkCells[0].y);
    expect(l.height).toBe(heatmapHeight(2, true));
    expect(l.checkLegendY).not.toBeNull();
  });
});

describe('nextFocus(at, key, prm, check)', () => {
  it.each([
    [{ row: 0, col: 2, check: false }, 'ArrowDown', { row: 0, col: 2, check: true }],
    [{ row: 0, col: 2, check: true }, 'ArrowDown', { row: 1, col: 1, check: false }],
    [{ row: 1, col: 0, check: false }, 'ArrowUp', { row: 0, col: 0, check: true }],
    [{ row: 0, col: 0, check: false }, 'ArrowUp', { row: 0, col: 0, check: false }],
    [{ row: 1, col: 1, check: true }, 'ArrowDown', { row: 1, col: 1, check: true }],
    [{ row: 0, col: 2, check: true }, 'ArrowRight', { row: 0, col: 3, check: true }],
    [{ row: 0, col: 1, check: false }, 'End', { row: 0, col: 2, check: false }],
  ])('%j + %s -> %j', (at, key, to) => {
    expect(nextFocus(at, key, [3, 2], [4, 2])).toEqual(to);
  });
  it('returns null for keys that do not move', () =>
    expect(nextFocus({ row: 0, col: 0, check: false }, 'a', [1], [1])).toBeNull());
});
