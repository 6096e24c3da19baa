/**
 * Issue 20 in Chromium, on the bundled model, in one SwiftShader browser (its only WebGPU adapter
 * is a software one): the backend Auto picks there and the override; share links and "Open in
 * playground" that carry scores; self-describing exports; the phone layout.
 * Screenshots go to PRM_SHOTS (a folder) when it is set, to be looked at by hand.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
      await scoreAndWait(page);
      await expect.poll(() => badge(page).getAttribute('data-backend')).toBe('webgpu');
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
});
