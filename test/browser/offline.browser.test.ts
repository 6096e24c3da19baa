/**
 * The offline app on a plain static host (issue 21), in Chromium without WebGPU (WASM).
 * Two production builds with the sub-path base `/prm-playground/` (differing only in their build
 * id) are served by test/browser/static-server.ts, which sends no COOP/COEP. One browser profile
 * goes through a visitor's life:
 * 1. first load: not cross-origin isolated (1 thread), the service worker stores the build, the
 *    bundled model scores;
 * 2. reload: the service worker serves the page with COOP/COEP, so it is isolated by the service
 *    worker and ORT gets `wasmThreads(true, cores)` threads; it scores;
 * 3. host unreachable and the context offline: a reload still opens the page and scores;
 * 4. build B deployed over A: a reload still runs A and shows the update prompt; accepting it
 *    reloads into B.
 * Every score is checked against `prm score --json` (onnxruntime-node) on the same text.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wasmThreads } from '../../src/engine/backend.ts';
import {
  bundled,
  chooseBundled,
  cliScore,
  inlineScriptRuns,
  scoreAndWait,
  stepHooks,
  typeInput,
} from './app-hooks.ts';
import { closeBrowser, launchBrowser, step } from './harness.ts';
import { serveStatic, type StaticSite } from './static-server.ts';

const root = resolve(import.meta.dirname, '../..');
const BASE = '/prm-playground/';
const PROBLEM = 'Tom has 3 bags of 4 apples. He eats 2. How many apples are left?';
/** One solution per scoring, so a score restored by the autosave is never taken for a new one. */
const SOLUTIONS = [
  '3 x 4 = 12 apples.\n\nHe eats 2, so 12 - 2 = 10.\n\nThe answer is 10.',
  '3 x 4 = 12 apples.\n\nHe eats 2, so 12 - 2 = 9.\n\nThe answer is 9.',
  '3 + 4 = 7 apples.\n\nHe eats 2, so 7 - 2 = 5.\n\nThe answer is 5.',
];

/** A production build of the app under BASE into `outDir`, shown as build `id`. */
async function buildSite(outDir: string, id: string): Promise<void> {
  // Vitest sets NODE_ENV=test, which would make Vite (and the Workbox build) a development build.
  const env = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: resolve(root, 'vite.config.ts'),
      root,
      base: BASE,
      define: { __PRM_BUILD__: JSON.stringify(id) },
      logLevel: 'error',
      build: { outDir, emptyOutDir: true, sourcemap: false },
    });
  } finally {
    process.env.NODE_ENV = env;
  }
}

const threadsLine = (page: Page) => page.locator('[data-threads]');

describe.skipIf(bundled === undefined)(
  `offline app under ${BASE} on a static host without COOP/COEP${bundled ? '' : ' (skipped: models/ has no bundled model)'}`,
  () => {
    let dir: string;
    let site: StaticSite;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    const errors: string[] = [];
    let expected: Awaited<ReturnType<typeof cliScore>>[];

    /** Types solution `i`, scores it with the bundled model and checks every reward against the CLI. */
    async function scoreSolution(i: number): Promise<void> {
      await chooseBundled(page, bundled!);
      await typeInput(page, PROBLEM, SOLUTIONS[i]);
      await scoreAndWait(page);
      const hooks = await stepHooks(page);
      expect(hooks).toHaveLength(expected[i].steps.length);
      hooks.forEach((h, k) => expect(Math.abs(h.reward! - expected[i].rewards[k])).toBeLessThan(1e-4));
    }

    // Two builds at most (the machine is small and shared), each in its own hook and step.
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'prm-offline-'));
      await step(`vite build of build a under ${BASE}`, () => buildSite(join(dir, 'a'), 'offline-test-a'));
    });
    beforeAll(() =>
      step(`vite build of build b under ${BASE}`, () => buildSite(join(dir, 'b'), 'offline-test-b')),
    );
    beforeAll(async () => {
      expected = await Promise.all(SOLUTIONS.map((s) => cliScore(PROBLEM, s)));
      site = await serveStatic(join(dir, 'a'), BASE);
      browser = await launchBrowser('wasm');
      context = await browser.newContext();
      page = await context.newPage();
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
    });
    afterAll(async () => {
      if (browser) await closeBrowser(browser);
      await site?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('first load: not isolated (1 thread), stores the build for offline use, and scores', async () => {
      await page.goto(site.url);
      await expect.poll(() => threadsLine(page).getAttribute('data-isolation')).toBe('none');
      expect(await threadsLine(page).getAttribute('data-threads')).toBe('1');
      expect(await page.evaluate('crossOriginIsolated')).toBe(false);
      await scoreSolution(0);
      // The worker finished precaching; the panel offers the reload that isolates the page.
      await step(
        'page: the service worker stores the build (data-offline="ready")',
        () =>
          expect
            .poll(() => page.locator('[data-offline]').getAttribute('data-offline'), { timeout: 120_000 })
            .toBe('ready'),
        130_000,
      );
      await expect.poll(() => threadsLine(page).getByRole('button', { name: 'reload' }).count()).toBe(1);
      // The conversion's worker chunks, the nested quantizing one too, are precached: a page the
      // service worker serves converts without the site's host.
      const cached = (await page.evaluate(`caches.keys().then((names) => Promise.all(names.map((n) =>
        caches.open(n).then((c) => c.keys()).then((rs) => rs.map((r) => r.url))))).then((u) => u.flat())`)) as string[];
      for (const chunk of ['convert-worker', 'quantize-worker']) {
        expect(
          cached.some((u) => new RegExp(`/assets/${chunk}-[\\w-]+\\.js`).test(u)),
          chunk,
        ).toBe(true);
      }
      expect(await page.locator('[data-build]').getAttribute('data-build')).toBe('offline-test-a');
      const scope = await page.evaluate('navigator.serviceWorker.ready.then((r) => r.scope)');
      expect(scope).toBe(site.url);
      expect(errors).toEqual([]);
    });

    it('after a reload: cross-origin isolated by the service worker, WASM on threads, scores', async () => {
      await threadsLine(page).getByRole('button', { name: 'reload' }).click();
      await page.waitForLoadState('load');
      await expect.poll(() => page.evaluate('crossOriginIsolated')).toBe(true);
      await expect.poll(() => threadsLine(page).getAttribute('data-isolation')).toBe('service-worker');
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      const threads = wasmThreads(true, cores);
      expect(threads).toBeGreaterThan(cores > 1 ? 1 : 0);
      await expect.poll(() => threadsLine(page).getAttribute('data-threads')).toBe(String(threads));
      await scoreSolution(1);
      // The CSP <meta> still governs the page the service worker served: inline script stays blocked.
      expect(await inlineScriptRuns(page)).toBe(false);
      // Only the CSP violation report from the probe above, no other error.
      expect(errors.filter((e) => !/Content Security Policy/.test(e))).toEqual([]);
    });

    it('offline (host unreachable, context offline): a reload opens the page and scores', async () => {
      site.down = true;
      await context.setOffline(true);
      try {
        await page.reload();
        await expect.poll(() => threadsLine(page).getAttribute('data-isolation')).toBe('service-worker');
        expect(await page.locator('[data-build]').getAttribute('data-build')).toBe('offline-test-a');
        await scoreSolution(2);
        expect(await page.locator('[data-message="error"]').count()).toBe(0);
      } finally {
        await context.setOffline(false);
        site.down = false;
      }
    });

    it('a new deploy: the old build keeps running with an update prompt; Reload runs the new one', async () => {
      site.deploy(join(dir, 'b'));
      await page.reload();
      // The page still comes from build A's precache (no mix of files), and the prompt appears
      // once build B's service worker has installed.
      expect(await page.locator('[data-build]').getAttribute('data-build')).toBe('offline-test-a');
      const prompt = page.locator('[data-update-prompt]');
      await step(
        "page: build b's service worker installs and the update prompt appears",
        () => prompt.waitFor({ timeout: 120_000 }),
        130_000,
      );
      expect(await prompt.innerText()).toMatch(/Update available/);
      await Promise.all([page.waitForEvent('load'), prompt.getByRole('button', { name: 'Reload' }).click()]);
      await expect
        .poll(() => page.locator('[data-build]').getAttribute('data-build'), { timeout: 30_000 })
        .toBe('offline-test-b');
      await expect.poll(() => threadsLine(page).getAttribute('data-isolation')).toBe('service-worker');
      expect(await page.locator('[data-update-prompt]').count()).toBe(0);
      const scripts = await page
        .locator('script[src]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('src') ?? ''));
      const indexB = await readFile(join(dir, 'b', 'index.html'), 'utf8');
      expect(scripts.length).toBeGreaterThan(0);
      for (const src of scripts) expect(indexB).toContain(src);
    });
  },
);
