/**
 * Nothing typed is lost, in the page (production build in dist/, WASM mode): a text over the size
 * limits stays reachable across reloads, two tabs keep their own drafts, replaced work is in the
 * draft history, a link the app would not open is never offered, and with storage blocked (reading
 * `localStorage` throws, as with cookies blocked or a third-party frame) the page works and says
 * nothing will be saved. The storage logic itself: test/hostile/app-drafts.test.ts.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TEXT } from '../../src/app/lib/draft.ts';
import { openSession, type BrowserSession } from './harness.ts';

const PROBLEM = 'Tom has 3 bags of 4 apples. He eats 2. How many apples are left?';
const SOLUTION = '3 x 4 = 12 apples.\n\nHe eats 2, so 12 - 2 = 10.\n\nThe answer is 10.';
/** Longer than the autosave debounce. */
const SETTLE_MS = 700;

async function typeInput(page: Page, problem: string, solution: string): Promise<void> {
  await page.getByLabel('Problem').fill(problem);
  await page.getByLabel(/^Solution( 1)?$/).fill(solution);
}

async function openDrafts(page: Page) {
  const menu = page.locator('[data-drafts]');
  if ((await menu.getAttribute('open')) === null) await menu.locator('summary').click();
  return menu;
}

describe('nothing typed is lost (wasm)', () => {
  let s: BrowserSession;
  beforeAll(async () => {
    s = await openSession('wasm');
  });
  afterAll(async () => s?.close());

  it('keeps a text over the size limit reachable across reloads, and says so', async () => {
    await s.page.goto(s.url);
    const huge = `Start of the huge one. ${'x'.repeat(MAX_TEXT)}`;
    await typeInput(s.page, 'A problem with a huge solution', huge);
    await expect
      .poll(() => s.page.locator('body').innerText())
      .toMatch(/Solution 1 has 200,023 characters; the limit is 200,000/);
    await s.page.waitForTimeout(SETTLE_MS);
    for (let reload = 0; reload < 2; reload++) {
      await s.page.reload();
      await expect
        .poll(() => s.page.locator('body').innerText())
        .toMatch(/was not reopened: .*kept in Drafts/);
      expect(await s.page.getByLabel(/^Solution( 1)?$/).inputValue()).toBe('');
      const menu = await openDrafts(s.page);
      const item = menu.locator('li', { hasText: 'Cannot be opened' });
      await expect.poll(() => item.count()).toBe(1);
      expect(await item.innerText()).toMatch(/A problem with a huge solution Start of the huge one/);
      const [download] = await Promise.all([
        s.page.waitForEvent('download'),
        item.getByRole('button', { name: /^Download the text of the draft from/ }).click(),
      ]);
      const text = await readFile((await download.path())!, 'utf8');
      expect(text).toContain(huge);
      expect(text).toMatch(/^Problem:\nA problem with a huge solution\n\nSolution 1:\nStart of the huge one/);
    }
    expect(s.errors).toEqual([]);
  });

  it('refuses to make a share link the app would not open, and points to Export → JSON', async () => {
    await s.page.goto(s.url);
    await typeInput(s.page, 'Huge', 'y'.repeat(MAX_TEXT + 1));
    await s.page.getByRole('button', { name: 'Copy share link' }).click();
    const status = s.page.locator('[data-share-status]');
    await expect
      .poll(() => status.innerText())
      .toMatch(/No link made: Solution 1 has 200,001 characters.*Export → JSON/);
    expect(await status.innerText()).not.toMatch(/copied/i);
    expect(await s.page.getByLabel('Share link').count()).toBe(0);
  });

  it('keeps the work an example replaced in the history, across a reload', async () => {
    await s.page.goto(s.url);
    await typeInput(s.page, PROBLEM, SOLUTION);
    await s.page.waitForTimeout(SETTLE_MS);
    const examples = s.page.getByLabel('Load an example');
    const first = await examples.locator('option').nth(1).getAttribute('value');
    await examples.selectOption(first!);
    await expect.poll(() => s.page.getByLabel('Problem').inputValue()).not.toBe(PROBLEM);
    await s.page.reload();
    const menu = await openDrafts(s.page);
    const mine = menu.locator('li', { hasText: 'Tom has 3 bags of 4 apples' });
    await expect.poll(() => mine.count()).toBeGreaterThan(0);
    // Keyboard: the Open button is focusable and named by time and first words.
    const open = mine.first().getByRole('button', { name: /^Open the draft from .*: Tom has 3 bags/ });
    if (await open.isEnabled()) {
      await open.focus();
      await s.page.keyboard.press('Enter');
    }
    await expect.poll(() => s.page.getByLabel('Problem').inputValue()).toBe(PROBLEM);
    expect(await s.page.getByLabel(/^Solution( 1)?$/).inputValue()).toBe(SOLUTION);
  });

  it('two tabs keep their own drafts: neither overwrites the other', async () => {
    const context = await s.browser.newContext();
    try {
      const a = await context.newPage();
      const b = await context.newPage();
      await a.goto(s.url);
      await b.goto(s.url);
      await typeInput(a, 'Problem typed in tab A', 'Solution A.');
      await typeInput(b, 'Problem typed in tab B', 'Solution B.');
      await a.waitForTimeout(SETTLE_MS);
      await a.getByLabel(/^Solution( 1)?$/).fill('Solution A, edited after B typed.');
      await a.waitForTimeout(SETTLE_MS);
      await a.reload();
      await b.reload();
      await expect.poll(() => a.getByLabel('Problem').inputValue()).toBe('Problem typed in tab A');
      expect(await a.getByLabel(/^Solution( 1)?$/).inputValue()).toBe('Solution A, edited after B typed.');
      await expect.poll(() => b.getByLabel('Problem').inputValue()).toBe('Problem typed in tab B');
      const menu = await openDrafts(b);
      await expect.poll(() => menu.locator('li').count()).toBe(2);
      expect(await menu.locator('li.current').innerText()).toMatch(/this tab[\s\S]*Problem typed in tab B/);
    } finally {
      await context.close();
    }
  });

  it('works with storage blocked (reading localStorage throws) and says nothing will be saved', async () => {
    const context = await s.browser.newContext();
    const errors: string[] = [];
    try {
      await context.addInitScript(`
        for (const name of ['localStorage', 'sessionStorage', 'indexedDB']) {
          Object.defineProperty(window, name, {
            configurable: true,
            get() { throw new DOMException('The operation is insecure.', 'SecurityError'); },
          });
        }
      `);
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(s.url);
      await expect.poll(() => page.locator('body').innerText()).toMatch(/nothing you type will be saved/);
      await typeInput(page, PROBLEM, SOLUTION);
      await expect.poll(() => page.locator('[data-step-index]').count()).toBe(3);
      expect(await page.locator('[data-drafts] summary').innerText()).toBe('Drafts (not saved)');
      await page.getByRole('button', { name: 'Copy share link' }).click();
      await expect.poll(() => page.getByLabel('Share link').count()).toBe(1);
      // The Evaluate view keeps its runs in IndexedDB, blocked too: it opens all the same.
      await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
      await expect.poll(() => page.locator('main').innerText()).toMatch(/A ProcessBench subset/);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
