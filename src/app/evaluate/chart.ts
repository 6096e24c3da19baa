/**
 * Data for the threshold chart: the sweep grid, one series per metric (for one subset or the
 * mean over subsets), and SVG path strings that break at undefined (NaN) values rather than
 * drawing them as zero. Scales come from d3-scale in the component; this module only maps
 * numbers, it does not draw.
 */
import type { ThresholdResult } from '../../core/metrics.ts';

/** 0, 0.01, ..., 1: the slider's positions, so the chart and the table agree exactly. */
export const THRESHOLDS: readonly number[] = Array.from({ length: 101 }, (_, i) => i / 100);

export type MetricKey = 'f1' | 'acc_error' | 'acc_correct';

export const METRICS: readonly { key: MetricKey; label: string }[] = [
  { key: 'f1', label: 'F1' },
  { key: 'acc_error', label: 'Acc_error' },
  { key: 'acc_correct', label: 'Acc_correct' },
];

export interface Series {
  key: MetricKey;
  label: string;
  points: { t: number; v: number }[];
}

const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, x) => a + x, 0) / xs.length);

/**
 * One series per metric from a sweep. `subset` null means all subsets: F1 is the ProcessBench
 * average F1, the accuracies are plain means over subsets.
 *
 * @example
 * sweepSeries(sweepThreshold(items, THRESHOLDS as number[]), 'gsm8k')[0].points[50]; // { t: 0.5, v: 0.82 }
 */
export function sweepSeries(sweep: readonly ThresholdResult[], subset: string | null): Series[] {
  return METRICS.map(({ key, label }) => ({
    key,
    label,
    points: sweep.map((r) => {
      if (subset === null) {
        return { t: r.threshold, v: key === 'f1' ? r.average_f1 : mean(r.subsets.map((s) => s[key])) };
      }
      const s = r.subsets.find((x) => x.subset === subset);
      return { t: r.threshold, v: s ? s[key] : NaN };
    }),
  }));
}

/**
 * An SVG path through the points, starting a new segment after each NaN.
 *
 * @example
 * linePath([{ t: 0, v: 1 }, { t: 1, v: NaN }, { t: 2, v: 0 }, { t: 3, v: 1 }], (t) => t * 10, (v) => v * 10);
 * // 'M0,10M20,0L30,10'
 */
export function linePath(
  points: readonly { t: number; v: number }[],
  x: (t: number) => number,
  y: (v: number) => number,
): string {
  let d = '';
  let pen = false;
  for (const p of points) {
    if (!Number.isFinite(p.v)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${round(x(p.t))},${round(y(p.v))}`;
    pen = true;
  }
  return d;
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * A metric as a percentage with one decimal, or an em dash when undefined (an empty side).
 *
 * @example
 * formatPercent(0.8243); // '82.4'
 * formatPercent(NaN); // '—'
 */
export function formatPercent(v: number): string {
  return Number.isFinite(v) ? (v * 100).toFixed(1) : '—';
}
