/**
 * The arithmetic checker in the playground (production build in dist/, bundled demo model, WASM):
 * the check row under the PRM row of the heatmap with the checker's verdict per step, its tooltip
 * ("120 - 98 = 22, not 32") on keyboard focus and on hover, the consensus mark per step and the
 * consensus first error, the verdict per solution for Best-of-N, and the same in the JSON, CSV
 * and SVG exports and in a share link opened in a fresh profile; and the Evaluate view's
 * comparison of both judges, equal to `prm eval --judge arithmetic --json` on the same items.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../src/app/lib/export.ts';
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
    await s.page.getByLabel(/^Solution( 1)?$/).fill(SOLUTION);
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
    expect(await s.page.locator('[data-step-index="1"] [data-slip]').innerText()).toContain(
      'arithmetic check: 120 - 98 = 22, not 32',
    );
    expect(await s.page.locator('[data-slip]').count()).toBe(1);
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
    await s.page.getByRole('button', { name: /model's default/ }).click();
  });

  it('exports the checker and the consensus in JSON, CSV and SVG', async () => {
    const json = JSON.parse(await save(s.page, 'JSON'));
    expect(json.judge).toEqual([judgeArithmetic(STEPS)]);
    expect(json.consensus.marks[0]).toEqual((await checkHooks(s.page)).map((h) => h.consensus));
    const csv = (await save(s.page, 'CSV')).split('\r\n');
    expect(csv[0]).toBe(CSV_COLUMNS.join(','));
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
      .toBe('Arithmetic check: wrong computation in Solution 1 (step 2).');
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

describe('Evaluate: the PRM beside the checker (wasm, bundled model)', () => {
  const root = resolve(import.meta.dirname, '../..');
  const GSM8K = resolve(root, '../shared/processbench/gsm8k.json');

  it('shows the combinations and the agreement matrix that prm eval --judge arithmetic prints', async () => {
    const items = JSON.parse(readFileSync(GSM8K, 'utf8')).slice(0, 8);
    const dir = await mkdtemp(join(tmpdir(), 'prm-judge-eval-'));
    const s = await openSession('wasm');
    try {
      const data = join(dir, 'gsm8k.json');
      await writeFile(data, JSON.stringify(items));
      const cli = JSON.parse(
        execFileSync('node', ['bin/prm.js', 'eval', '--data', data, '--judge', 'arithmetic', '--json'], {
          cwd: root,
          stdio: ['ignore', 'pipe', 'pipe'],
        }).toString(),
      ).judge;
      await s.page.goto(s.url);
      await s.page
        .getByRole('navigation', { name: 'Views' })
        .getByRole('button', { name: 'Evaluate' })
        .click();
      const view = s.page.locator('[data-view="evaluate"]');
      await view.getByLabel('Load an evaluation file').setInputFiles({
        name: 'gsm8k.json',
        mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify(items)),
      });
      await view.getByRole('button', { name: 'Score 8 items' }).click();
      const panel = view.locator('[data-judge-panel]');
      await panel.locator('[data-judge-table]').waitFor({ timeout: 150_000 });
      await expect.poll(() => view.locator('[data-run-progress]').count(), { timeout: 150_000 }).toBe(0);
      const f1 = async (k: string) =>
        Number(
          await panel.locator(`tr[data-judge="${k}"] [data-metric="f1"]`).first().getAttribute('data-value'),
        );
      for (const k of ['checker', 'prm', 'either', 'both']) {
        const want = cli.combinations[k].subsets.gsm8k.f1;
        if (want === null) expect(await f1(k)).toBeNaN();
        else expect(await f1(k)).toBeCloseTo(want, 12);
      }
      const matrix = await panel
        .locator('[data-agreement] tbody tr')
        .evaluateAll((rows) =>
          rows.map((r) => [...r.querySelectorAll('td')].map((td) => Number(td.textContent))),
        );
      expect(matrix).toEqual([
        [cli.agreement.prm_wrong.wrong, cli.agreement.prm_wrong.right, cli.agreement.prm_wrong.none],
        [cli.agreement.prm_fine.wrong, cli.agreement.prm_fine.right, cli.agreement.prm_fine.none],
      ]);
      expect(await panel.innerText()).toContain(
        `${cli.disagreements.length} checked steps where they disagree`,
      );
      expect(s.errors).toEqual([]);
    } finally {
      await s.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
