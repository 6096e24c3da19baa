/**
 * Figures for the step renderer (src/app/lib/markup.ts): milliseconds to render one text of
 * 25 KB to 200 KB of several shapes (prices with `$`, inline formulas, unclosed delimiters, many
 * lines), cold (first render) and per keystroke (one character added, KaTeX output cached), with
 * KaTeX loaded, and the app's keystroke path (segmentation, then the steps on view). Median of
 * `--repeats` (default 5). Prints a Markdown table; judges nothing (the linear-cost check is
 * test/hostile/app-markup-linear.test.ts, which needs no clock).
 *
 *   npx tsx bench/markup.ts [--repeats 5] [--sizes 25,50,100,200] [--module path/to/other/markup.ts]
 */
import { resolve } from 'node:path';
import * as current from '../src/app/lib/markup.ts';
import { segment } from '../src/core/segment.ts';
import { fillText as fill } from '../test/support/fill-text.ts';

const arg = (name: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : null;
const repeats = Number(arg('--repeats')) || 5;
const sizes = (arg('--sizes') ?? '25,50,100,200').split(',').map(Number);
// `--module PATH` times another copy of markup.ts (e.g. the previous version, for comparison).
const modulePath = arg('--module');
const markup = (modulePath ? await import(resolve(modulePath)) : current) as typeof current;
const { loadMath, renderMarkup } = markup;
const lazyHead = markup.lazyHead ?? ((t: string) => t);

const SHAPES: Record<string, (i: number) => string> = {
  'prices ($5 and $6)': (i) => `It costs $${i} and $${i + 1} more. `,
  'inline formulas': (i) => `so $x_{${i}} = ${i}$ then `,
  'unclosed \\( and $$': (i) => (i % 2 ? String.raw`\( a ` : '$$ b '),
  'one step a line': (i) => `Step ${i}: costs $${i}, so $y = ${i}$.\n`,
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

await loadMath();
console.log(`| text | KB | first render (ms) | keystroke, whole text (ms) | keystroke, app path (ms) |`);
console.log(`| --- | --- | --- | --- | --- |`);
for (const [name, unit] of Object.entries(SHAPES)) {
  for (const kb of sizes) {
    const text = fill(unit, kb * 1024);
    const cold: number[] = [];
    const key: number[] = [];
    const steps: number[] = [];
    for (let r = 0; r < repeats; r++) {
      // A fresh string each time, so nothing is reused but KaTeX's cached formulas.
      cold.push(time(() => renderMarkup(`${r} ${text}`)));
      key.push(time(() => renderMarkup(`${r} ${text}x`)));
    }
    // The app's keystroke: segment, then render the steps on view (StepList shows 200, each step's
    // head of LAZY_CHARS until asked for all of it). Once unmeasured, as the page did before the key.
    const appKey = (t: string) =>
      segment(t, 'auto')
        .slice(0, 200)
        .forEach((s) => renderMarkup(lazyHead(s.text)));
    appKey(text);
    for (let r = 0; r < repeats; r++) steps.push(time(() => appKey(`${text}${r}`)));
    console.log(
      `| ${name} | ${kb} | ${median(cold).toFixed(0)} | ${median(key).toFixed(0)} | ${median(steps).toFixed(0)} |`,
    );
  }
}
