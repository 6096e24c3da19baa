import { describe, expect, it } from 'vitest';
import { interpolateRdYlGn } from 'd3-scale-chromatic';
import {
  contrastRatio,
  formatReward,
  legendStops,
  luminance,
  parseColour,
  rewardColourScale,
  textColourOn,
} from '../../src/app/lib/colour.ts';

// Colour-vision-deficiency simulation, Machado, Oliveira & Fernandes 2009, severity 1.0, applied
// in linear RGB. Used to check the claim in colour.ts that wrong and right stay apart.
const CVD: Record<string, number[][]> = {
  protanopia: [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
  ],
  deuteranopia: [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ],
  tritanopia: [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.3039],
  ],
};

const toLinear = (v: number) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};
const toSrgb = (c: number) => 255 * (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055);

function simulate(colour: string, m: number[][]): number[] {
  const lin = parseColour(colour).map(toLinear);
  return m.map((row) =>
    toSrgb(Math.min(1, Math.max(0, row[0] * lin[0] + row[1] * lin[1] + row[2] * lin[2]))),
  );
}

const distance = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

describe('rewardColourScale(threshold)', () => {
  it.each([0.5, 0.3, 0.8])('maps the threshold %s itself to the pale midpoint of PuOr', (t) => {
    expect(rewardColourScale(t)(t)).toBe('rgb(243, 238, 234)');
  });

  it('maps reward 0 to the orange end and reward 1 to the purple end', () => {
    const c = rewardColourScale(0.5);
    expect(c(0)).toBe('rgb(127, 59, 8)');
    expect(c(1)).toBe('rgb(45, 0, 75)');
  });

  it('clamps rewards outside 0..1 and greys out non-finite ones', () => {
    const c = rewardColourScale(0.5);
    expect(c(-1)).toBe(c(0));
    expect(c(2)).toBe(c(1));
    expect(c(NaN)).toBe('#888888');
  });

  it('keeps both halves of the scale at the extreme thresholds 0 and 1', () => {
    expect(rewardColourScale(0)(0.5)).not.toBe(rewardColourScale(0)(1));
    expect(rewardColourScale(1)(0)).not.toBe(rewardColourScale(1)(0.5));
  });

  it('colours below the threshold orange (red > blue) and above it purple (blue > red)', () => {
    const c = rewardColourScale(0.6);
    for (const r of [0, 0.2, 0.5]) {
      const [red, , blue] = parseColour(c(r));
      expect(red).toBeGreaterThan(blue);
    }
    for (const r of [0.7, 0.9, 1]) {
      const [red, , blue] = parseColour(c(r));
      expect(blue).toBeGreaterThan(red);
    }
  });

  it.each(Object.keys(CVD))('keeps a clear wrong step and a clear right step apart under %s', (kind) => {
    const c = rewardColourScale(0.5);
    const gap = distance(simulate(c(0.1), CVD[kind]), simulate(c(0.9), CVD[kind]));
    expect(gap).toBeGreaterThan(100);
  });

  it('is safer than the red-green scheme it replaces (the same check fails for RdYlGn under deuteranopia)', () => {
    const gap = distance(
      simulate(interpolateRdYlGn(0.25), CVD.deuteranopia),
      simulate(interpolateRdYlGn(0.75), CVD.deuteranopia),
    );
    expect(gap).toBeLessThan(100);
  });
});

describe('textColourOn(background)', () => {
  it.each<[string, string]>([
    ['rgb(45, 0, 75)', '#ffffff'],
    ['rgb(127, 59, 8)', '#ffffff'],
    ['rgb(243, 238, 234)', '#000000'],
    ['#ffffff', '#000000'],
    ['#000000', '#ffffff'],
  ])('%s gets %s', (bg, fg) => {
    expect(textColourOn(bg)).toBe(fg);
  });

  it('gives at least 4.5:1 contrast (WCAG AA) for every reward colour', () => {
    const c = rewardColourScale(0.5);
    for (let r = 0; r <= 1.0001; r += 0.05) {
      const bg = c(r);
      expect(contrastRatio(bg, textColourOn(bg))).toBeGreaterThanOrEqual(4.5);
    }
  });
});

describe('contrastRatio(a, b) and luminance(colour)', () => {
  it('gives 21 for black on white and 1 for equal colours', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 6);
    expect(contrastRatio('rgb(10, 20, 30)', '#0a141e')).toBe(1);
    expect(luminance('#ffffff')).toBeCloseTo(1, 9);
  });

  it('parseColour throws a clear error on a colour it cannot read', () => {
    expect(() => parseColour('red')).toThrow(/cannot read "red"; expected rgb\(r, g, b\) or #rrggbb/);
  });
});

describe('formatReward(reward)', () => {
  it.each<[number, string]>([
    [0.19042, '0.190'],
    [0.5, '0.500'],
    [1, '1.000'],
    [0, '0.000'],
    [0.99996, '>0.999'],
    [0.00001, '<0.001'],
    [NaN, '—'],
  ])('%s -> %s', (r, text) => {
    expect(formatReward(r)).toBe(text);
  });
});

describe('legendStops(threshold, count)', () => {
  it('spans 0..1 evenly and puts the midpoint colour at the threshold offset when it falls on a stop', () => {
    const stops = legendStops(0.5, 11);
    expect(stops).toHaveLength(11);
    expect(stops[0].offset).toBe(0);
    expect(stops[10].offset).toBe(1);
    expect(stops[5].colour).toBe('rgb(243, 238, 234)');
  });
});
