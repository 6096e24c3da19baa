/**
 * The arithmetic checker in the playground (production build in dist/, bundled demo model, WASM):
 * the check row under the PRM row of the heatmap with the checker's verdict per step, its tooltip
 * ("120 - 98 = 22, not 32") on keyboard focus and on hover, the consensus mark per step and the
 * consensus first error, the verdict per solution for Best-of-N, and the same in the JSON, CSV
 * and SVG exports and in a share link opened in a fresh profile.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeArithmetic } from '../../src/core/judge/index.ts';
import { openSession, type BrowserSession } from './harness.ts';

const PROBLEM = 'A bakery makes 24 muffins a day for 5 days. It sells 98 of them. How many muffins are left?';
const STEPS = ['24 × 5 = 120 muffins.', '120 - 98 = 32 muffins.', 'The answer is 32.'];
const SOLUTION = STEPS.join('\n\n');

interface CheckHook {
  cell: string;
  verdict: string;
  consensus: string | null;
  first: boolean;
  name: string;
}

function checkHooks(page: Page): Promise<CheckHook[]> {
  return page.locator('[data-check]').evaluateAll((els) =>
    els.map((e) => ({
      cell: e.getAttribute('data-check')!,
      verdict: e.getAttribute('data-verdict')!,
      consensus: e.getAttribute('data-consensus'),
      first: e.getAttribute('data-consensus-first') === 'true',
      name: e.getAttribute('aria-label')!,
    })),
  );
}

async function save(page: Page, name: string): Promise<string> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name }).click(),
  ]);
  return readFile((await download.path())!, 'utf8');
}

describe('the arithmetic checker beside the PRM (wasm, bundled model)', () => {
  let s: BrowserSession;
  beforeAll(async () => {
    s = await openSession('wasm');
    await s.page.goto(s.url);
    await s.page.getByLabel('Problem').fill(PROBLEM);
    await s.page.getByLabel('Solution', { exact: true }).fill(SOLUTION);
    await s.page.getByRole('button', { name: 'Score' }).click();
    await s.page.locator('[data-check="0-2"]').waitFor({ timeout: 120_000 });
  });
  afterAll(async () => s?.close());

  it('shows a check row under the PRM row: right, wrong, no check, with a consensus mark per step', async () => {
    const hooks = await checkHooks(s.page);
    expect(hooks.map((h) => [h.cell, h.verdict])).toEqual([
      ['0-0', 'right'],
      ['0-1', 'wrong'],
      ['0-2', 'none'],
    ]);
    const rewards = await s.page
      .locator('[data-step-index]')
      .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-reward'))));
    const prmWrong = rewards.map((r) => r <= 0.5);
    expect(hooks[1].consensus).toBe(prmWrong[1] ? 'both-wrong' : 'only-checker');
    expect(hooks[0].consensus).toBe(prmWrong[0] ? 'only-prm' : 'both-fine');
    expect(hooks[1].name).toContain('arithmetic check: wrong: 120 - 98 = 22, not 32');
    const row = await s.page.locator('[data-cell="0-0"]').boundingBox();
    const check = await s.page.locator('[data-check="0-0"]').boundingBox();
    expect(check!.y).toBeGreaterThan(row!.y + row!.height - 2);
    expect(s.errors).toEqual([]);
  });

  it('reaches the check cells from the keyboard and shows the wrong computation on focus and on hover', async () => {
    const page = s.page;
    await page.locator('[data-cell="0-0"]').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate('document.activeElement?.getAttribute("data-check")')).toBe('0-1');
    const tip = page.getByRole('tooltip');
    expect(await tip.innerText()).toContain('120 - 98 = 22, not 32');
    expect(await tip.innerText()).toMatch(/only the checker says wrong|both say wrong/);
    await page.keyboard.press('ArrowUp');
    expect(await page.evaluate('document.activeElement?.getAttribute("data-cell")')).toBe('0-1');
    await page.locator('[data-check="0-0"]').hover();
    expect(await tip.innerText()).toContain('24 × 5 = 120 ✓');
  });

  it('marks the first step both judges call wrong as the consensus first error', async () => {
    await s.page.getByLabel('Threshold').fill('1');
    await expect
      .poll(async () => (await checkHooks(s.page)).map((h) => [h.consensus, h.first]))
      .toEqual([
        ['only-prm', false],
        ['both-wrong', true],
        ['only-prm', false],
      ]);
    expect(await s.page.locator('[data-check="0-1"]').getAttribute('aria-label')).toContain(
      'consensus first error',
    );
    await s.page.getByRole('button', { name: /model default/ }).click();
  });

  it('exports the checker and the consensus in JSON, CSV and SVG', async () => {
    const json = JSON.parse(await save(s.page, 'JSON'));
    expect(json.judge).toEqual([judgeArithmetic(STEPS)]);
    expect(json.consensus.marks[0]).toEqual((await checkHooks(s.page)).map((h) => h.consensus));
    const csv = (await save(s.page, 'CSV')).split('\r\n');
    expect(csv[0]).toBe('solution,step,reward,first_error,aggregate,check,check_claims,consensus,text');
    expect(csv[2]).toContain(',wrong,"120 - 98 = 22, not 32",');
    const svg = await save(s.page, 'SVG');
    expect(svg).toContain('data-check="0-1"');
    expect(svg).toContain('arithmetic check: ✓ right · ✗ wrong · – no check');
  });

  it('gives Best-of-N the checker verdict per solution', async () => {
    await s.page.getByRole('button', { name: 'Add another solution (Best-of-N)' }).click();
    await s.page
      .getByLabel('Solution 2', { exact: true })
      .fill('24 × 5 = 120 muffins.\n\n120 - 98 = 22 muffins.');
    await s.page.getByRole('button', { name: 'Score' }).click();
    await s.page.locator('[data-check="1-1"]').waitFor({ timeout: 120_000 });
    expect(await s.page.locator('[data-check="1-1"]').getAttribute('data-verdict')).toBe('right');
    await expect
      .poll(async () =>
        (await s.page.locator('[data-check-summary]').innerText()).replace(/\s+/g, ' ').trim(),
      )
      .toBe('Arithmetic check: wrong computation in Solution (step 2).');
  });

  it('keeps the checker in a share link opened in a fresh profile', async () => {
    await s.page.getByRole('button', { name: 'Copy share link' }).click();
    const link = await s.page.getByLabel('Share link').inputValue();
    const context = await s.browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(link);
      await expect.poll(() => page.getByLabel('Problem').inputValue()).toBe(PROBLEM);
      await page.getByRole('button', { name: 'Score' }).click();
      await page.locator('[data-check="1-1"]').waitFor({ timeout: 120_000 });
      expect((await checkHooks(page)).map((h) => [h.cell, h.verdict])).toEqual(
        (await checkHooks(s.page)).map((h) => [h.cell, h.verdict]),
      );
    } finally {
      await context.close();
    }
  });
});
