/**
 * Geometry and colours of the Best-of-N heatmap (rows = solutions, columns = steps), computed as
 * plain data so that `Heatmap.svelte` only has to emit SVG with `{#each}` and the layout can be
 * unit-tested. All colours are explicit (no CSS variables): the same SVG is exported as a file
 * and rasterised to PNG, where page styles do not apply.
 *
 * It does not rank (see ranking.ts) or decide the first error (the core's `firstError`); it is
 * given both.
 */
import { formatReward, legendStops, rewardColourScale, textColourOn } from './colour.ts';
import { CHECK_HEIGHT, checkRow, type CheckCell, type CheckRow } from './check-layout.ts';
import type { StepCheck } from '../../core/judge/index.ts';

export type Theme = 'light' | 'dark';

export interface HeatmapRow {
  label: string;
  /** Step rewards of this solution (may be fewer than its steps when only some fit the context). */
  rewards: readonly number[];
  /** Step texts, for tooltips and accessible names. */
  steps: readonly string[];
  /** Index of the first step at or below the threshold, or -1. */
  firstError: number;
  /** Aggregate score, or null when unscored. */
  score: number | null;
  rank: number | null;
  picked: boolean;
  /** The arithmetic checker's verdict per step; adds a check row under the solution when given. */
  checks?: readonly StepCheck[];
}

export interface HeatmapInput {
  rows: readonly HeatmapRow[];
  threshold: number;
  /** Name of the aggregate, shown as the score column's heading. */
  aggregate: string;
  theme: Theme;
}

export interface HeatmapCell {
  row: number;
  col: number;
  x: number;
  y: number;
  reward: number;
  fill: string;
  textFill: string;
  text: string;
  firstError: boolean;
  /** Accessible name, e.g. "Step 3: reward 0.190, first error" (the row header names the solution). */
  name: string;
}

export interface HeatmapLayout {
  width: number;
  height: number;
  cellWidth: number;
  cellHeight: number;
  palette: { background: string; text: string; muted: string; grid: string; mark: string };
  columns: { x: number; label: string }[];
  rows: { y: number; label: string; score: string; rank: string; picked: boolean }[];
  cells: HeatmapCell[];
  /** One per solution with `checks`, in row order (empty when no row has checks). */
  checkRows: (CheckRow | null)[];
  checkCells: CheckCell[];
  /** Where the check row's key goes, or null without check rows. */
  checkLegendY: number | null;
  /** Left edge of the score and rank columns. */
  scoreX: number;
  rankX: number;
  legend: {
    x: number;
    y: number;
    width: number;
    height: number;
    stops: { offset: number; colour: string }[];
    thresholdX: number;
    ticks: { x: number; label: string }[];
  };
}

export const CELL_WIDTH = 50;
export const CELL_HEIGHT = 32;
const LABEL_WIDTH = 96;
const HEADER_HEIGHT = 34;
const SCORE_WIDTH = 70;
const RANK_WIDTH = 92;
const LEGEND_GAP = 22;
const LEGEND_HEIGHT = 10;
const LEGEND_BLOCK = 46;
const LEGEND_WIDTH = 240;

const PALETTES: Record<Theme, HeatmapLayout['palette']> = {
  light: { background: '#ffffff', text: '#1b1b1f', muted: '#5b5b66', grid: '#d0d0d8', mark: '#000000' },
  dark: { background: '#17171c', text: '#ececf1', muted: '#a4a4b0', grid: '#3a3a44', mark: '#ffffff' },
};

const CHECK_LEGEND = 34;
/** Room for the check row's key (two lines of 11px text). */
const CHECK_KEY_WIDTH = 470;

/**
 * Height of the heatmap for `rowCount` solutions (with a check row under each when `checks`):
 * lets the page reserve the space before scores exist.
 */
export function heatmapHeight(rowCount: number, checks = false): number {
  const row = CELL_HEIGHT + (checks ? CHECK_HEIGHT : 0);
  return (
    HEADER_HEIGHT + Math.max(1, rowCount) * row + LEGEND_GAP + LEGEND_BLOCK + (checks ? CHECK_LEGEND : 0)
  );
}

/**
 * Lays out the heatmap.
 *
 * @example
 * const l = heatmapLayout({ rows: [{ label: 'Solution 1', rewards: [0.9, 0.2], steps: ['a', 'b'],
 *   firstError: 1, score: 0.2, rank: 1, picked: true }], threshold: 0.5, aggregate: 'min', theme: 'light' });
 * l.cells[1].firstError // true
 */
export function heatmapLayout(input: HeatmapInput): HeatmapLayout {
  const { rows, threshold, theme } = input;
  const palette = PALETTES[theme];
  const colour = rewardColourScale(threshold);
  const steps = Math.max(1, ...rows.map((r) => Math.max(r.rewards.length, r.steps.length)));
  const gridWidth = steps * CELL_WIDTH;
  const scoreX = LABEL_WIDTH + gridWidth + 10;
  const rankX = scoreX + SCORE_WIDTH;
  const checks = rows.some((r) => r.checks);
  const rowHeight = CELL_HEIGHT + (checks ? CHECK_HEIGHT : 0);
  const legendY = HEADER_HEIGHT + rows.length * rowHeight + LEGEND_GAP;
  const legendWidth = Math.max(LEGEND_WIDTH, Math.min(gridWidth, 360));
  const width = Math.max(rankX + RANK_WIDTH, LABEL_WIDTH + legendWidth + 20, checks ? CHECK_KEY_WIDTH : 0);

  const cells: HeatmapCell[] = rows.flatMap((r, row) =>
    r.rewards.map((reward, col) => {
      const fill = colour(reward);
      const isFirst = col === r.firstError;
      const text = formatReward(reward);
      return {
        row,
        col,
        x: LABEL_WIDTH + col * CELL_WIDTH,
        y: HEADER_HEIGHT + row * rowHeight,
        reward,
        fill,
        textFill: textColourOn(fill),
        text,
        firstError: isFirst,
        name: `Step ${col + 1}: reward ${text}${isFirst ? ', first error' : ''}`,
      };
    }),
  );

  const checked = rows.map((r, row) =>
    r.checks
      ? checkRow(row, HEADER_HEIGHT + row * rowHeight, LABEL_WIDTH, CELL_WIDTH, CELL_HEIGHT, {
          checks: r.checks,
          rewards: r.rewards,
          threshold,
          theme,
        })
      : null,
  );

  return {
    width,
    height: heatmapHeight(rows.length, checks),
    cellWidth: CELL_WIDTH,
    cellHeight: CELL_HEIGHT,
    palette,
    columns: Array.from({ length: steps }, (_, i) => ({
      x: LABEL_WIDTH + i * CELL_WIDTH + CELL_WIDTH / 2,
      label: String(i + 1),
    })),
    rows: rows.map((r, i) => ({
      y: HEADER_HEIGHT + i * rowHeight + CELL_HEIGHT / 2,
      label: r.label,
      score: r.score === null ? '—' : formatReward(r.score),
      rank: r.rank === null ? 'unscored' : `#${r.rank}${r.picked ? ' picked' : ''}`,
      picked: r.picked,
    })),
    cells,
    checkRows: checked.map((c) => c?.row ?? null),
    checkCells: checked.flatMap((c) => c?.cells ?? []),
    checkLegendY: checks ? legendY + LEGEND_BLOCK + 4 : null,
    scoreX,
    rankX,
    legend: {
      x: LABEL_WIDTH,
      y: legendY,
      width: legendWidth,
      height: LEGEND_HEIGHT,
      stops: legendStops(threshold),
      thresholdX: LABEL_WIDTH + legendWidth * Math.min(1, Math.max(0, threshold)),
      ticks: [0, 0.5, 1].map((t) => ({ x: LABEL_WIDTH + legendWidth * t, label: String(t) })),
    },
  };
}
