/**
 * Milliseconds per keystroke in the built playground (dist/, `npm run build` first) with a long
 * solution: the page is loaded in headless Chromium (WASM mode), the Solution field is filled with
 * about `--kb` KB of text of each shape, then `--keys` characters are typed one at a time at the
 * end and in the middle (an insertText edit at the caret, as a key press makes); each keystroke is
 * timed in the page from the edit to the end of the page's reaction (Svelte's updates flushed,
 * layout forced). Prints median and worst per
 * shape; judges nothing.
 *
 *   npm run build && npx tsx bench/editor.ts [--kb 100] [--keys 15]
 */
import { fillText } from '../test/support/fill-text.ts';
import { openSession } from '../test/browser/harness.ts';

const arg = (name: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : null;
const kb = Number(arg('--kb')) || 100;
const keys = Number(arg('--keys')) || 15;

const SHAPES: Record<string, (i: number) => string> = {
  'prices ($5 and $6), one paragraph': (i) => `It costs $${i} and $${i + 1} more. `,
  'one step a line, with formulas': (i) => `Step ${i}: costs $${i}, so $y = ${i}$.\n`,
  'paragraph steps, with formulas': (i) => `So $x_{${i}} = ${i}$ and the total is ${i * 2}.\n\n`,
};

const s = await openSession('wasm');
try {
  console.log(`| text (${kb} KB) | median ms / keystroke | worst ms |`);
  console.log('| --- | --- | --- |');
  for (const [name, unit] of Object.entries(SHAPES)) {
    await s.page.goto(s.url);
    await s.page.getByLabel('Problem').fill('A long solution.');
    // Set directly (as a paste does): Playwright's fill() of a many-line text is itself slow.
    await s.page.evaluate(`(() => {
      const area = document.getElementById('solution-input-0');
      area.value = ${JSON.stringify(fillText(unit, kb * 1024))};
      area.dispatchEvent(new Event('input', { bubbles: true }));
    })()`);
    await s.page.waitForTimeout(1500);
    // A string, so the Node-side type check needs no DOM types.
    const times = (await s.page.evaluate(`(async () => {
      const area = document.getElementById('solution-input-0');
      const out = [];
      for (let k = 0; k < ${keys}; k++) {
        const at = k % 2 ? area.value.length : Math.floor(area.value.length / 2);
        const t0 = performance.now();
        // An edit at the caret, as a typed key makes (setting .value would re-lay out all of it).
        area.focus();
        area.setSelectionRange(at, at);
        document.execCommand('insertText', false, 'x');
        await new Promise((r) => setTimeout(r, 0));
        void document.body.offsetHeight;
        out.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 30));
      }
      return out;
    })()`)) as number[];
    const sorted = [...times].sort((a, b) => a - b);
    console.log(
      `| ${name} | ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} | ${sorted.at(-1)!.toFixed(0)} |`,
    );
  }
} finally {
  await s.close();
}
