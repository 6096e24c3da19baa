/**
 * Colours for step rewards. One diverging scale, centred on the threshold: steps judged wrong
 * (reward <= threshold) are orange, steps judged right are purple, and the closer a reward is to
 * the threshold the paler its colour. Moving the threshold slider re-centres the scale, so the
 * colour always agrees with the "first error" verdict.
 *
 * Why purple-orange: ColorBrewer's PuOr is marked safe for the common colour-vision
 * deficiencies (deuteranopia, protanopia, tritanopia) at every class count, unlike red-green
 * schemes and RdYlBu, whose mid-range yellows and light blues collapse for some viewers. Colour is
 * never the only cue: numbers and the words "first error" always accompany it.
 *
 * This module computes colours only; it does not draw.
 */
import { scaleDiverging } from 'd3-scale';
import { interpolatePuOr } from 'd3-scale-chromatic';

/** The interpolator, oriented so 0 (wrong) is orange and 1 (right) is purple. */
export const rewardInterpolator = (t: number): string => interpolatePuOr(1 - t);

/** Keeps the scale's midpoint strictly inside (0, 1) so both halves exist. */
function centre(threshold: number): number {
  if (!Number.isFinite(threshold)) return 0.5;
  return Math.min(0.999, Math.max(0.001, threshold));
}

/**
 * A function from reward (0..1) to a CSS colour, centred on `threshold`.
 *
 * @example
 * rewardColourScale(0.5)(0.5) // 'rgb(243, 238, 234)' (the pale midpoint)
 */
export function rewardColourScale(threshold: number): (reward: number) => string {
  const scale = scaleDiverging<string>(rewardInterpolator)
    .domain([0, centre(threshold), 1])
    .clamp(true);
  return (reward) => (Number.isFinite(reward) ? scale(reward) : '#888888');
}

/** Parses `rgb(r, g, b)` (what d3 interpolators return) or `#rrggbb`. */
export function parseColour(colour: string): [number, number, number] {
  const rgb = /^rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(colour);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
  if (hex) return [parseInt(hex[1], 16), parseInt(hex[2], 16), parseInt(hex[3], 16)];
  throw new Error(`parseColour: cannot read ${JSON.stringify(colour)}; expected rgb(r, g, b) or #rrggbb`);
}

/** WCAG relative luminance of a colour, 0 (black) to 1 (white). */
export function luminance(colour: string): number {
  const [r, g, b] = parseColour(colour).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio between two colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * Black or white, whichever reads better on `background`.
 *
 * @example
 * textColourOn('rgb(45, 0, 75)') // '#ffffff'
 */
export function textColourOn(background: string): '#000000' | '#ffffff' {
  return contrastRatio(background, '#000000') >= contrastRatio(background, '#ffffff') ? '#000000' : '#ffffff';
}

/** Evenly spaced colour stops for a legend gradient (offsets 0..1 along the reward axis). */
export function legendStops(threshold: number, count = 11): { offset: number; colour: string }[] {
  const scale = rewardColourScale(threshold);
  return Array.from({ length: count }, (_, i) => {
    const offset = i / (count - 1);
    return { offset, colour: scale(offset) };
  });
}

/**
 * A reward as shown in a cell: three decimals, with `<0.001` / `>0.999` instead of a rounded
 * 0.000 / 1.000 that would claim certainty the model did not express.
 *
 * @example
 * formatReward(0.19042) // '0.190'
 * formatReward(0.99996) // '>0.999'
 */
export function formatReward(reward: number): string {
  if (!Number.isFinite(reward)) return '—';
  if (reward > 0 && reward < 0.0005) return '<0.001';
  if (reward < 1 && reward >= 0.9995) return '>0.999';
  return reward.toFixed(3);
}
