/**
 * Issue 20 in Chromium, on the bundled model, in one SwiftShader browser (its only WebGPU adapter
 * is a software one): the backend Auto picks there and the override; share links and "Open in
 * playground" that carry scores; self-describing exports; the phone layout.
 * Screenshots go to PRM_SHOTS (a folder) when it is set, to be looked at by hand.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../src/app/lib/export.ts';
import { readCsv } from '../support/csv.ts';
import { bundled, scoreAndWait, stepHooks, typeInput } from './app-hooks.ts';
import { closeBrowser, launchBrowser, startPreview } from './harness.ts';
import type { Browser } from 'playwright-core';

const PROBLEM = 'A bakery makes 24 muffins a day for 5 days. It sells 98 of them. How many muffins are left?';
const SOLUTION = '24 × 5 = 120 muffins.\n\n120 - 98 = 32 muffins.\n\nThe answer is 32.';
const shots = process.env.PRM_SHOTS;

async function shot(page: Page, name: string): Promise<void> {
  if (!shots) return;
  await mkdir(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

const badge = (page: Page) => page.locator('header [data-backend]');

describe.skipIf(!bundled)('results that travel, on SwiftShader (software WebGPU)', () => {
  let browser: Browser;
  let url: string;
  let closePreview: () => Promise<void>;
  beforeAll(async () => {
    const preview = await startPreview();
    url = preview.url;
    closePreview = preview.close;
    browser = await launchBrowser('webgpu');
  });
  afterAll(async () => {
    if (browser) await closeBrowser(browser);
    await closePreview?.();
  });

  it('Auto runs WASM and says why; the override switches to WebGPU and is remembered', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(url);
      await expect.poll(() => badge(page).getAttribute('data-backend'), { timeout: 30_000 }).toBe('wasm');
      await badge(page).focus();
      const reason = page.locator('[data-backend-reason]');
      await expect.poll(() => reason.isVisible()).toBe(true);
      expect(await reason.textContent()).toMatch(/software one \(it is SwiftShader.*so running on WASM/);
      await typeInput(page, PROBLEM, SOLUTION);
      await scoreAndWait(page);
      expect(await badge(page).textContent()).toMatch(/· q4 · WASM/);
      await shot(page, 'backend-auto');

      await page.locator('[data-backend-choice]').selectOption('webgpu');
      // The WASM scores stay on the page (still true for this text) until the new ones arrive.
      await page.getByRole('button', { name: 'Score', exact: true }).click();
      await expect
        .poll(() => page.locator('[data-scored-by]').textContent(), { timeout: 120_000 })
        .toMatch(/on WebGPU in \d+ ms/);
      expect(await badge(page).getAttribute('data-backend')).toBe('webgpu');
      expect(await badge(page).textContent()).toMatch(/· q4 · WebGPU/);
      await badge(page).focus();
      expect(await reason.textContent()).toMatch(/WebGPU was requested \(it is SwiftShader/);

      // Remembered in this browser; `?backend=wasm` forces the other one for that page only.
      const second = await context.newPage();
      await second.goto(url);
      await expect.poll(() => badge(second).getAttribute('data-backend'), { timeout: 30_000 }).toBe('webgpu');
      await second.goto(`${url}/?backend=wasm`);
      await expect.poll(() => badge(second).getAttribute('data-backend'), { timeout: 30_000 }).toBe('wasm');
      expect(await second.locator('[data-backend-choice]').inputValue()).toBe('wasm');
      await second.goto(url);
      await expect.poll(() => badge(second).getAttribute('data-backend'), { timeout: 30_000 }).toBe('webgpu');
      expect((await stepHooks(page)).length).toBe(3);
    } finally {
      await context.close();
    }
  });

  it('a share link carries the scores: a fresh profile shows them at once, from elsewhere, by the model named', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${url}/?backend=wasm`);
      await typeInput(page, PROBLEM, SOLUTION);
      await scoreAndWait(page);
      const sent = await stepHooks(page);
      const model = (await badge(page).textContent())!.split(' · ')[0];
      await page.getByRole('button', { name: 'Copy share link' }).click();
      // The status is written once the clipboard write settles (copied or refused: both say it).
      await expect
        .poll(() => page.locator('[data-share-status]').textContent())
        .toContain(`and the scores by ${model}`);
      const link = await page.getByLabel('Share link').inputValue();
      expect(link).not.toContain('backend=');

      const fresh = await browser.newContext();
      try {
        const other = await fresh.newPage();
        // Block the worker's model files: the scores must show without any model loading.
        await other.route(/\/models\/.*\.onnx/, (r) => r.abort());
        await other.goto(link);
        await expect
          .poll(() => stepHooks(other).then((h) => h.map((x) => x.reward !== null)))
          .toEqual([true, true, true]);
        const got = await stepHooks(other);
        expect(got.map((h) => h.firstError)).toEqual(sent.map((h) => h.firstError));
        got.forEach((h, i) => expect(Math.abs(h.reward! - sent[i].reward!)).toBeLessThanOrEqual(5e-6));
        const origin = other.locator('[data-scores-origin]');
        expect(await origin.getAttribute('data-scores-origin')).toBe('a shared link');
        expect(await origin.textContent()).toMatch(
          new RegExp(`Scores from a shared link, computed elsewhere, by ${model} \\(q4, WASM\\)`),
        );
        await expect.poll(() => other.locator('[data-summary]').textContent()).toMatch(/step|No step/);
        await shot(other, 'share-received');
      } finally {
        await fresh.close();
      }
    } finally {
      await context.close();
    }
  });

  it('"Open in playground" from Evaluate carries the item\'s scores and lands at the results', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${url}/?backend=wasm`);
      await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Evaluate' }).click();
      const view = page.locator('[data-view="evaluate"]');
      const items = [
        { id: 'a', problem: PROBLEM, steps: SOLUTION.split('\n\n'), label: 0, final_answer_correct: false },
        {
          id: 'b',
          problem: PROBLEM,
          steps: ['24 × 5 = 120 muffins.', '120 - 98 = 22 muffins.'],
          label: 1,
          final_answer_correct: false,
        },
      ];
      await view.getByLabel('Load an evaluation file').setInputFiles({
        name: 'mini.json',
        mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify(items)),
      });
      await view.getByRole('button', { name: 'Score 2 items' }).click();
      const open = view.getByRole('button', { name: 'Open in playground' }).first();
      await open.waitFor({ timeout: 120_000 });
      await page.setViewportSize({ width: 1280, height: 600 });
      await open.scrollIntoViewIfNeeded();
      await open.click();
      const origin = page.locator('[data-scores-origin]');
      await origin.waitFor();
      expect(await origin.getAttribute('data-scores-origin')).toBe('the Evaluate view');
      expect((await stepHooks(page)).every((h) => h.reward !== null)).toBe(true);
      // The results are at the top of the window.
      const top = await page.locator('#results').evaluate((e) => e.getBoundingClientRect().top);
      expect(Math.abs(top)).toBeLessThan(40);
      await shot(page, 'evaluate-open');
    } finally {
      await context.close();
    }
  });

  it('every export names the model, dtype, backend and threshold: JSON, CSV (read back), SVG text, PNG', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    try {
      await page.goto(`${url}/?backend=wasm`);
      await typeInput(page, PROBLEM, SOLUTION);
      await scoreAndWait(page);
      const model = (await badge(page).textContent())!.split(' · ')[0];
      const save = async (name: string): Promise<Buffer> => {
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByRole('group', { name: 'Export' }).getByRole('button', { name }).click(),
        ]);
        return readFile((await download.path())!);
      };
      const json = JSON.parse((await save('JSON')).toString('utf8'));
      expect(json).toMatchObject({ model: { name: model, dtype: 'q4' }, backend: 'wasm', threshold: 0.5 });

      const csv = readCsv((await save('CSV')).toString('utf8'));
      const head = csv[0];
      expect(head).toEqual([...CSV_COLUMNS]);
      expect(csv.length).toBe(4);
      for (const row of csv.slice(1)) {
        expect(row[head.indexOf('model')]).toBe(model);
        expect(row[head.indexOf('dtype')]).toBe('q4');
        expect(row[head.indexOf('backend')]).toBe('wasm');
        expect(row[head.indexOf('threshold')]).toBe('0.5');
        expect(row[head.indexOf('problem')]).toBe(PROBLEM);
      }

      const svg = (await save('SVG')).toString('utf8');
      // Read by the browser's own XML parser (a string: the Node-side type check has no DOM types).
      const caption = (await page.evaluate(`(() => {
        const doc = new DOMParser().parseFromString(${JSON.stringify(svg)}, 'image/svg+xml');
        if (doc.querySelector('parsererror')) return null;
        return [...doc.querySelectorAll('[data-caption] text')].map((t) => t.textContent);
      })()`)) as string[] | null;
      expect(caption![0]).toMatch(
        new RegExp(`^Scored by ${model} \\(q4\\) on WASM, \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC`),
      );
      expect(caption![1]).toMatch(/^Threshold 0\.50 .*min/);
      // The problem wraps onto a second line (indented two spaces) at this width.
      expect(`${caption![2]} ${caption![3].trim()}`).toBe(`Problem: ${PROBLEM}`);
      // Each step's line carries the reward the page shows (and ✗ on the first error).
      const hooks = await stepHooks(page);
      const mark = hooks[1].firstError ? ' ✗' : '  ';
      expect(caption).toContain(`  2. ${hooks[1].reward!.toFixed(3)}${mark} 120 - 98 = 32 muffins.`);

      const png = await save('PNG');
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      // Height (big-endian at byte 20), at 2x: the heatmap plus the caption block.
      const svgHeight = Number(/<svg[^>]* height="(\d+)"/.exec(svg)![1]);
      expect(png.readUInt32BE(20)).toBe(svgHeight * 2);
      await shot(page, 'exports');
      if (shots) await writeFile(join(shots, 'export.png'), png);
    } finally {
      await context.close();
    }
  });

  it('on a phone (390x844, touch): the heatmap shows its scroll cue, a touch hint, a results jump', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      hasTouch: true,
      isMobile: true,
    });
    const page = await context.newPage();
    try {
      await page.goto(`${url}/?backend=wasm`);
      expect(await page.locator('[data-score-hint]').textContent()).toBe('Tap to score every step');
      await typeInput(page, PROBLEM, SOLUTION);
      await scoreAndWait(page);
      const cue = page.locator('[data-scroll-cue]');
      await expect.poll(() => cue.isVisible()).toBe(true);
      expect(await cue.textContent()).toMatch(/Scroll sideways for more columns/);
      await shot(page, 'phone');
      // Nothing but the heatmap's own box scrolls sideways: the page fits the phone.
      expect(await page.evaluate('document.scrollingElement.scrollWidth')).toBeLessThanOrEqual(390);
      const jump = page.locator('[data-results-jump]');
      expect(await jump.isVisible()).toBe(true);
      await jump.tap();
      if (shots) await page.screenshot({ path: join(shots, 'phone-jump.png') });
      await expect
        .poll(() =>
          // Relative to what the phone shows (the visual viewport), not the layout viewport.
          page.evaluate(
            `Math.round(document.getElementById('results').getBoundingClientRect().top - visualViewport.offsetTop)`,
          ),
        )
        .toBeLessThan(40);
      // Scrolled to its end, the heatmap says where the first columns went.
      await page.locator('[data-scroll-cue]').evaluate((e) => {
        const box = e.previousElementSibling!.firstElementChild!;
        box.scrollLeft = box.scrollWidth;
      });
      await expect.poll(() => cue.textContent()).toMatch(/Scroll back for the first columns/);
    } finally {
      await context.close();
    }
  });

  it('small things: the Examples menu names the example, "Solution 1", the tab is remembered', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${url}/?backend=wasm`);
      const examples = page.getByLabel('Load an example');
      await examples.selectOption('shopping-best-of-3');
      await expect.poll(() => page.getByLabel('Problem').inputValue()).toContain('Ravi buys 7 shirts');
      expect(await examples.inputValue()).toBe('shopping-best-of-3');
      expect(await page.getByLabel('Solution 1', { exact: true }).count()).toBe(1);
      expect(await page.getByLabel('Solution', { exact: true }).count()).toBe(0);
      // At the model's default the threshold's reset is plain text, not a disabled button.
      expect(await page.locator('[data-threshold-default]').count()).toBe(1);
      await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Evaluate' }).click();
      await page.locator('[data-view="evaluate"]').waitFor();
      await page.reload();
      await page.locator('[data-view="evaluate"]').waitFor();
    } finally {
      await context.close();
    }
  });
});
