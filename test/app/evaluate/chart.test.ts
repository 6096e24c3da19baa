import { describe, expect, it } from 'vitest';
import { sweepThreshold } from '../../../src/core/metrics.ts';
import { THRESHOLDS, formatPercent, linePath, sweepSeries } from '../../../src/app/evaluate/chart.ts';

describe('THRESHOLDS', () => {
  it('holds the 101 slider positions, so a slider value is exactly a sweep point', () => {
    expect(THRESHOLDS).toHaveLength(101);
    expect(THRESHOLDS.indexOf(Number('0.07'))).toBe(7);
    expect(THRESHOLDS.indexOf(Number((0.5).toFixed(2)))).toBe(50);
  });
});

describe('sweepSeries(sweep, subset)', () => {
  const items = [
    { subset: 'a', label: 1, rewards: [0.9, 0.3] },
    { subset: 'a', label: -1, rewards: [0.8, 0.6] },
    { subset: 'b', label: 0, rewards: [0.4] },
  ];
  const sweep = sweepThreshold(items, [0.2, 0.5, 0.7]);

  it('gives F1, Acc_error and Acc_correct of one subset per threshold', () => {
    const [f1, accError, accCorrect] = sweepSeries(sweep, 'a');
    expect(accError.points.map((p) => p.v)).toEqual([0, 1, 1]);
    expect(accCorrect.points.map((p) => p.v)).toEqual([1, 1, 0]);
    expect(f1.points.map((p) => p.v)).toEqual([0, 1, 0]);
    expect(f1.points.map((p) => p.t)).toEqual([0.2, 0.5, 0.7]);
  });

  it('uses the average F1 and the mean accuracies over subsets for all subsets', () => {
    const [f1, accError, accCorrect] = sweepSeries(sweep, null);
    expect(f1.points.map((p) => p.v)).toEqual(sweep.map((r) => r.average_f1));
    expect(accError.points[1].v).toBe(1); // a: 1, b: 1
    expect(accCorrect.points[1].v).toBeNaN(); // b has no correct samples
  });

  it('gives NaN for a subset that is not in the sweep', () => {
    expect(sweepSeries(sweep, 'zzz')[0].points.every((p) => Number.isNaN(p.v))).toBe(true);
  });
});

describe('linePath(points, x, y)', () => {
  it.each([
    [[], ''],
    [[{ t: 0, v: 1 }], 'M0,10'],
    [
      [
        { t: 0, v: 1 },
        { t: 1, v: 0.5 },
      ],
      'M0,10L10,5',
    ],
    [
      [
        { t: 0, v: 1 },
        { t: 1, v: NaN },
        { t: 2, v: 0 },
        { t: 3, v: 1 },
      ],
      'M0,10M20,0L30,10',
    ],
    [[{ t: 0.123, v: 0.4567 }], 'M1.2,4.6'],
  ])('linePath(%j) = %s', (points, d) => {
    expect(
      linePath(
        points,
        (t) => t * 10,
        (v) => v * 10,
      ),
    ).toBe(d);
  });
});

describe('formatPercent(v)', () => {
  it.each([
    [0.8243, '82.4'],
    [1, '100.0'],
    [0, '0.0'],
    [NaN, '—'],
  ])('formatPercent(%d) = %s', (v, text) => {
    expect(formatPercent(v)).toBe(text);
  });
});
