import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import Heatmap from '../../src/app/components/Heatmap.svelte';
import { heatmapHeight, heatmapLayout, type HeatmapRow } from '../../src/app/lib/heatmap-layout.ts';
import { rankSolutions } from '../../src/app/lib/ranking.ts';
import { firstError } from '../../src/core/rewards.ts';

// Fixed scores: a Best-of-3 where solution 2 goes wrong at step 2 and solution 3 only at the end.
const REWARDS = [
  [0.998, 0.991, 0.97, 0.985],
  [0.995, 0.19, 0.42, 0.61],
  [0.99, 0.93, 0.88, 0.31],
];
const STEPS = REWARDS.map((r, i) =>
  r.map((_, k) => `Solution ${i + 1}, step ${k + 1}: 12 x 4 = 48 & <b>ok</b>`),
);

function rows(threshold: number): HeatmapRow[] {
  const ranked = rankSolutions(REWARDS, 'min');
  return REWARDS.map((r, i) => ({
    label: i === 0 ? 'Solution' : `Solution ${i + 1}`,
    rewards: r,
    steps: STEPS[i],
    firstError: firstError(r, threshold),
    score: ranked[i].score,
    rank: ranked[i].rank,
    picked: ranked[i].picked,
  }));
}

/**
 * The <svg> element of Svelte's SSR output, without hydration comments and scoped-style classes,
 * so each snapshot is a standalone SVG file (viewable as a gallery in any browser).
 */
function svgOf(props: Parameters<typeof Heatmap>[1]): string {
  const { body } = render(Heatmap, { props });
  const svg = /<svg[\s\S]*<\/svg>/.exec(body.replace(/<!--[\s\S]*?-->/g, ''));
  if (!svg) throw new Error('Heatmap rendered no <svg>');
  return svg[0].replace(/ class="svelte-[a-z0-9]+"/g, '') + '\n';
}

describe('heatmapLayout(input)', () => {
  it('places one cell per step reward, row by row, with the first error flagged', () => {
    const l = heatmapLayout({ rows: rows(0.5), threshold: 0.5, aggregate: 'min', theme: 'light' });
    expect(l.cells).toHaveLength(12);
    expect(l.cells.filter((c) => c.firstError).map((c) => [c.row, c.col])).toEqual([
      [1, 1],
      [2, 3],
    ]);
    expect(l.cells[5]).toMatchObject({
      row: 1,
      col: 1,
      text: '0.190',
      name: 'Step 2: reward 0.190, first error',
    });
    expect(l.columns.map((c) => c.label)).toEqual(['1', '2', '3', '4']);
    expect(l.rows.map((r) => r.rank)).toEqual(['#1 picked', '#3', '#2']);
    expect(l.height).toBe(heatmapHeight(3));
  });

  it('moves the first error and the colours with the threshold, from the same rewards', () => {
    const low = heatmapLayout({ rows: rows(0.1), threshold: 0.1, aggregate: 'min', theme: 'light' });
    const high = heatmapLayout({ rows: rows(0.95), threshold: 0.95, aggregate: 'min', theme: 'light' });
    expect(low.cells.some((c) => c.firstError)).toBe(false);
    expect(high.cells.filter((c) => c.firstError).map((c) => [c.row, c.col])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    // 0.93 is right at threshold 0.1 (purple: blue > red) and wrong at 0.95 (orange: red > blue).
    const cell = (l: typeof low) => l.cells.find((c) => c.row === 2 && c.col === 1)!.fill;
    expect(cell(low)).not.toBe(cell(high));
  });

  it('shows unscored rows without cells and marks them unscored', () => {
    const r = rows(0.5);
    r[1] = { ...r[1], rewards: [], firstError: -1, score: null, rank: null, picked: false };
    const l = heatmapLayout({ rows: r, threshold: 0.5, aggregate: 'min', theme: 'light' });
    expect(l.cells.filter((c) => c.row === 1)).toEqual([]);
    expect(l.rows[1]).toMatchObject({ score: '—', rank: 'unscored' });
  });

  it('uses explicit palette colours per theme (the SVG is exported without page styles)', () => {
    const light = heatmapLayout({ rows: rows(0.5), threshold: 0.5, aggregate: 'min', theme: 'light' });
    const dark = heatmapLayout({ rows: rows(0.5), threshold: 0.5, aggregate: 'min', theme: 'dark' });
    expect(light.palette.background).toBe('#ffffff');
    expect(dark.palette.background).toBe('#17171c');
    expect(light.cells.map((c) => c.fill)).toEqual(dark.cells.map((c) => c.fill));
  });
});

describe('<Heatmap> rendered on the server', () => {
  it('matches the light SVG snapshot for fixed scores', async () => {
    const svg = svgOf({ rows: rows(0.5), threshold: 0.5, aggregate: 'min', theme: 'light', selected: 1 });
    await expect(svg).toMatchFileSnapshot('__snapshots__/heatmap-light.svg');
  });

  it('matches the dark SVG snapshot at threshold 0.95', async () => {
    const svg = svgOf({ rows: rows(0.95), threshold: 0.95, aggregate: 'min', theme: 'dark' });
    await expect(svg).toMatchFileSnapshot('__snapshots__/heatmap-dark.svg');
  });

  it('emits the automation hooks and accessible names on cells', () => {
    const svg = svgOf({ rows: rows(0.5), threshold: 0.5, aggregate: 'min', theme: 'light' });
    expect(svg.match(/role="gridcell" tabindex="0"/g)).toHaveLength(1);
    expect(svg).toContain('data-value="0.19"');
    expect(svg.match(/data-error="first"/g)).toHaveLength(2);
    // The step list owns data-reward / data-first-error; the heatmap must not duplicate them.
    expect(svg).not.toMatch(/data-reward|data-first-error/);
    expect(svg).toContain('aria-label="Step 2: reward 0.190, first error"');
    expect(svg).toContain('★ #1 picked');
  });

  it('escapes step text: it is never part of the SVG markup', () => {
    const svg = svgOf({ rows: rows(0.5), threshold: 0.5, aggregate: 'min', theme: 'light' });
    expect(svg).not.toContain('<b>');
  });
});
