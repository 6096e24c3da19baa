/**
 * The playground page in Chromium, WebGPU (SwiftShader) and WASM modes.
 *
 * 1. The production build in dist/ (harness `openSession`): typing into the labelled fields, live
 *    segmentation, pasted HTML shown as text, the CSP really blocking inline script, autosave
 *    across a reload, a share link opened in a fresh browser profile, JSON export, no console errors.
 * 2. Scoring, on the engine's tiny fixture model (test/browser/fixtures/models.ts, random weights)
 *    added as a bundled model to a temp build of the app, served with public/_headers' headers
 *    (CSP included, so the worker runs under it): every `data-reward` must equal
 *    `prm score --model <same folder> --json` within 1e-4 and `data-first-error` must mark the same
 *    step at the same threshold; the slider moves the first error without re-running; a context
 *    overflow asks first and then matches `prm score --truncate`; a broken model's error keeps the
 *    text; scores survive a reload; the exported JSON carries the rewards, model and backend.
 * 3. The bundled demo model against `prm score` with the CLI's default model. Needs a model in
 *    models/; skipped, with the reason in its name, while there is none.
 */
import { cp, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wasmThreads } from '../../src/engine/backend.ts';
import { makeFixtureModels, type FixtureModels } from './fixtures/models.ts';
import {
  closeBrowser,
  launchBrowser,
  openSession,
  pageUrl,
  step,
  watchServer,
  type BrowserMode,
  type BrowserSession,
} from './harness.ts';
import {
  bundled,
  chooseBundled,
  cliScore,
  expectRewardsLikeCli,
  inlineScriptRuns,
  scoreAndWait,
  stepHooks,
  typeInput,
} from './app-hooks.ts';

const root = resolve(import.meta.dirname, '../..');

const PROBLEM = 'Tom has 3 bags of 4 apples. He eats 2. How many apples are left?';
const SOLUTION = '3 x 4 = 12 apples.\n\nHe eats 2, so 12 - 2 = 10.\n\nThe answer is 10.';

/** A threshold on the slider's 0.01 grid that is far from every reward and leaves a first error. */
function safeThreshold(rewards: number[]): number {
  let best = { t: 0.5, gap: -1 };
  for (let i = 1; i < 100; i++) {
    const t = i / 100;
    const gap = Math.min(...rewards.map((r) => Math.abs(r - t)));
    if (rewards.some((r) => r <= t) && gap > best.gap) best = { t, gap };
  }
  return best.t;
}

describe.each<BrowserMode>(['webgpu', 'wasm'])('playground, production build in dist/ (%s)', (mode) => {
  let s: BrowserSession;
  beforeAll(async () => {
    s = await openSession(mode);
  });
  afterAll(async () => s?.close());

  it('segments what is typed into the Problem and Solution fields, live', async () => {
    await s.page.goto(s.url);
    await typeInput(s.page, PROBLEM, SOLUTION);
    await expect
      .poll(() => stepHooks(s.page))
      .toEqual([
        { index: 0, reward: null, firstError: false },
        { index: 1, reward: null, firstError: false },
        { index: 2, reward: null, firstError: false },
      ]);
    await expect
      .poll(() => s.page.locator('[data-step-index="1"]').innerText())
      .toContain('He eats 2, so 12 - 2 = 10.');
    await s.page.getByLabel('Split steps by').selectOption('lines');
    await expect.poll(async () => (await stepHooks(s.page)).length).toBe(3);
    await s.page.getByRole('button', { name: 'Merge with next (step 1 and 2)' }).click();
    await expect.poll(async () => (await stepHooks(s.page)).length).toBe(2);
    await s.page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(async () => (await stepHooks(s.page)).length).toBe(3);
    expect(s.errors).toEqual([]);
  });

  it('renders math with KaTeX, fetched only once a text holds math', async () => {
    const katexRequests: string[] = [];
    const onRequest = (r: { url(): string }) => {
      if (/katex/i.test(r.url()) && /\.m?js(\?|$)/.test(r.url())) katexRequests.push(r.url());
    };
    s.page.on('request', onRequest);
    try {
      await s.page.goto(s.url);
      await typeInput(s.page, 'Tom has 12 apples.', 'He eats 2, so 12 - 2 = 10.\n\nThe answer is 10.');
      await expect.poll(async () => (await stepHooks(s.page)).length).toBe(2);
      expect(katexRequests).toEqual([]);
      await typeInput(s.page, 'Find $x$.', 'We have $x^2 = 4$.\n\nSo $x = 2$.');
      await expect.poll(() => s.page.locator('[data-step-index="0"] .katex').count()).toBeGreaterThan(0);
      expect(await s.page.locator('[data-step-index] .math-pending').count()).toBe(0);
      // KaTeX is its own chunk, fetched on demand (it would be ~75 kB gzip of the first load).
      expect(katexRequests.length).toBeGreaterThan(0);
    } finally {
      s.page.off('request', onRequest);
    }
  });

  it('loads an example and reveals the truth of each of its solutions', async () => {
    await s.page.goto(s.url);
    await s.page.getByLabel('Load an example').selectOption('shopping-best-of-3');
    await expect.poll(() => s.page.getByLabel('Problem').inputValue()).toContain('Ravi buys 7 shirts');
    const truth = s.page.locator('[data-truth]');
    await truth.locator('summary').click();
    expect(await truth.innerText()).toMatch(
      /Solution 1: no error, every step is right\.\s+Solution 2: step 2 is the first wrong step\.\s+Solution 3: step 4 is the first wrong step\./,
    );
  });

  it('shows the backend in data-backend', async () => {
    await s.page.goto(s.url);
    await expect
      .poll(() => s.page.locator('[data-backend]').getAttribute('data-backend'), { timeout: 30_000 })
      .toBe(mode);
  });

  it("says vite preview's COOP/COEP headers isolate the page (data-isolation), with threads", async () => {
    await s.page.goto(s.url);
    await expect.poll(() => s.page.locator('[data-threads]').getAttribute('data-isolation')).toBe('host');
    const cores = Number(await s.page.evaluate('navigator.hardwareConcurrency'));
    expect(await s.page.locator('[data-threads]').getAttribute('data-threads')).toBe(
      String(wasmThreads(true, cores)),
    );
  });

  it('shows pasted HTML and script as text: nothing runs, no element is created', async () => {
    const dialogs: string[] = [];
    s.page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await s.page.goto(s.url);
    await typeInput(
      s.page,
      'x',
      'Look: <img src=x onerror=alert(1)>\n\n<script>alert(2)</script>\n\n$\\href{javascript:alert(3)}{x}$',
    );
    const step0 = s.page.locator('[data-step-index="0"]');
    await expect.poll(() => step0.innerText()).toContain('<img src=x onerror=alert(1)>');
    await expect
      .poll(() => s.page.locator('[data-step-index="1"]').innerText())
      .toContain('<script>alert(2)</script>');
    expect(
      await s.page.locator('[data-step-index] img, [data-step-index] script, [data-step-index] a').count(),
    ).toBe(0);
    await s.page.waitForTimeout(300);
    expect(dialogs).toEqual([]);
  });

  it('ships a CSP that blocks inline script', async () => {
    await s.page.goto(s.url);
    const csp = await s.page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain(
      "connect-src 'self' blob: data: https://huggingface.co https://*.huggingface.co https://*.hf.co http://127.0.0.1:* http://localhost:*",
    );
    expect(await inlineScriptRuns(s.page)).toBe(false);
  });

  it('keeps the text across a reload (autosave)', async () => {
    await s.page.goto(s.url);
    await typeInput(s.page, PROBLEM, SOLUTION);
    await s.page.waitForTimeout(600);
    await s.page.reload();
    await expect.poll(() => s.page.getByLabel('Problem').inputValue()).toBe(PROBLEM);
    expect(await s.page.getByLabel(/^Solution( 1)?$/).inputValue()).toBe(SOLUTION);
  });

  it('opens a share link in a fresh browser profile with the same text and steps', async () => {
    await s.page.goto(s.url);
    await typeInput(s.page, PROBLEM, SOLUTION);
    await s.page.getByRole('button', { name: 'Add another solution (Best-of-N)' }).click();
    await s.page.getByLabel('Solution 2', { exact: true }).fill('12 - 2 = 10.\n\nSo 10.');
    await s.page.getByRole('button', { name: 'Copy share link' }).click();
    const link = await s.page.getByLabel('Share link').inputValue();
    expect(link).toMatch(/#[zj]=[A-Za-z0-9_-]+$/);
    const context = await s.browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(link);
      await expect.poll(() => page.getByLabel('Problem').inputValue()).toBe(PROBLEM);
      expect(await page.getByLabel('Solution 1', { exact: true }).inputValue()).toBe(SOLUTION);
      expect(await page.getByLabel('Solution 2', { exact: true }).inputValue()).toBe(
        '12 - 2 = 10.\n\nSo 10.',
      );
      // The link was read into the page; the address bar no longer carries it.
      expect(new URL(page.url()).hash).toBe('');
    } finally {
      await context.close();
    }
  });

  it('exports the inputs and steps as JSON (rewards null before scoring)', async () => {
    await s.page.goto(s.url);
    await s.page.getByRole('button', { name: 'Clear' }).click();
    await s.page.getByRole('dialog').getByRole('button', { name: 'Clear' }).click();
    await typeInput(s.page, PROBLEM, SOLUTION);
    const [download] = await Promise.all([
      s.page.waitForEvent('download'),
      s.page.getByRole('button', { name: 'JSON' }).click(),
    ]);
    const json = JSON.parse(await readFile((await download.path())!, 'utf8'));
    expect(json).toMatchObject({
      inputs: { problem: PROBLEM, solutions: [SOLUTION], strategy: 'auto' },
      steps: [['3 x 4 = 12 apples.', 'He eats 2, so 12 - 2 = 10.', 'The answer is 10.']],
      rewards: [null],
      model: null,
      backend: null,
    });
  });
});

/**
 * A production build of the app with extra bundled models, served by `vite preview` (which sends
 * the response headers of public/_headers, see vite.config.ts), so the worker runs under the header CSP too (a <meta> CSP
 * binds only the document).
 */
async function appSite(
  models: Record<string, string>,
): Promise<{ url: string; outDir: string; close(): Promise<void> }> {
  const outDir = await mkdtemp(join(tmpdir(), 'prm-app-site-'));
  await step('vite build of the app with the fixture models', () =>
    build({
      configFile: resolve(root, 'vite.config.ts'),
      root,
      logLevel: 'error',
      build: { outDir, emptyOutDir: true, sourcemap: false },
    }),
  );
  const manifestPath = join(outDir, 'models', 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
    models: { id: string; files: { path: string; size: number }[] }[];
  };
  const walk = async (dir: string): Promise<string[]> =>
    (
      await Promise.all(
        (await readdir(dir, { withFileTypes: true })).map((e) =>
          e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
        ),
      )
    ).flat();
  for (const [id, dir] of Object.entries(models)) {
    await cp(dir, join(outDir, 'models', id), { recursive: true });
    const files = await Promise.all(
      (await walk(dir)).map(async (f) => ({
        path: relative(dir, f).split('\\').join('/'),
        size: (await stat(f)).size,
      })),
    );
    manifest.models.unshift({ id, files });
  }
  await writeFile(manifestPath, JSON.stringify(manifest));
  const server: PreviewServer = await step('start vite preview of the app with the fixture models', () =>
    preview({
      configFile: resolve(root, 'vite.config.ts'),
      root,
      build: { outDir },
      preview: { port: 0, host: '127.0.0.1', strictPort: false, open: false },
      logLevel: 'silent',
    }),
  );
  const closeServer = watchServer(
    server.httpServer as Server,
    'vite preview of the app with the fixture models',
  );
  const close = async () => {
    await closeServer();
    await rm(outDir, { recursive: true, force: true });
  };
  const url = server.resolvedUrls?.local[0]?.replace(/\/$/, '');
  if (!url) {
    await close();
    throw new Error('vite preview reported no local URL');
  }
  return { url, outDir, close };
}

describe('playground scoring on the fixture model', () => {
  let fx: FixtureModels;
  let site: Awaited<ReturnType<typeof appSite>>;
  let fxRoot: string;
  beforeAll(async () => {
    fxRoot = await mkdtemp(join(tmpdir(), 'prm-app-models-'));
    fx = await step('convert the fixture models', () => makeFixtureModels(fxRoot));
    site = await appSite({ 'tiny-qwen': fx.qwen, 'truncated-data': fx.bad.truncatedData });
  });
  afterAll(async () => {
    await site?.close();
    await rm(fxRoot, { recursive: true, force: true });
  });

  describe.each<BrowserMode>(['webgpu', 'wasm'])('%s', (mode) => {
    let browser: Browser;
    let page: Page;
    const errors: string[] = [];
    beforeAll(async () => {
      browser = await launchBrowser(mode);
      page = await browser.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
    });
    afterAll(async () => {
      if (browser) await closeBrowser(browser);
    });

    it('matches `prm score --json` on every data-reward and on data-first-error', async () => {
      await page.goto(pageUrl(site.url, mode));
      await chooseBundled(page, 'tiny-qwen');
      await typeInput(page, PROBLEM, SOLUTION);
      await scoreAndWait(page);
      const cli = await cliScore(PROBLEM, SOLUTION, ['--model', fx.qwen]);
      await expectRewardsLikeCli(page, cli);
      await expect.poll(() => page.locator('[data-backend]').getAttribute('data-backend')).toBe(mode);
      // All of this ran under the CSP header (worker included) without a violation.
      const response = await page.request.get(site.url);
      expect(response.headers()['content-security-policy']).toContain("worker-src 'self' blob:");

      // The same first error at a threshold no reward is near (the fixture's rewards are noise).
      const t = safeThreshold(cli.rewards);
      const atT = await cliScore(PROBLEM, SOLUTION, ['--model', fx.qwen, '--threshold', String(t)]);
      await page.getByLabel('Threshold').fill(String(t));
      const marked = (await stepHooks(page)).filter((h) => h.firstError).map((h) => h.index);
      expect(marked).toEqual(atT.first_error < 0 ? [] : [atT.first_error]);
      expect(errors).toEqual([]);
    });

    it('moves the first error with the threshold slider, without re-running the model', async () => {
      const before = (await stepHooks(page)).map((h) => h.reward);
      await page.getByLabel('Threshold').fill('0');
      expect((await stepHooks(page)).some((h) => h.firstError)).toBe(false);
      await page.getByLabel('Threshold').fill('1');
      expect((await stepHooks(page)).filter((h) => h.firstError).map((h) => h.index)).toEqual([0]);
      expect((await stepHooks(page)).map((h) => h.reward)).toEqual(before);
      await page.getByRole('button', { name: /model's default/ }).click();
    });

    it('exports JSON with the rewards, model, backend and threshold on the page', async () => {
      const hooks = await stepHooks(page);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'JSON' }).click(),
      ]);
      const json = JSON.parse(await readFile((await download.path())!, 'utf8'));
      expect(json.rewards).toEqual([hooks.map((h) => h.reward)]);
      expect(json).toMatchObject({
        backend: mode,
        threshold: 0.5,
        model: { name: 'tiny-qwen', dtype: 'q4' },
      });
      expect(json.first_error).toEqual([hooks.findIndex((h) => h.firstError)]);
    });

    it('lets the keyboard walk the heatmap cells and shows the exact reward of the focused one', async () => {
      const hooks = await stepHooks(page);
      await page.locator('[data-cell="0-0"]').focus();
      await page.keyboard.press('ArrowRight');
      const focused = () => page.evaluate('document.activeElement?.getAttribute("data-cell")');
      expect(await focused()).toBe('0-1');
      const tip = page.getByRole('tooltip');
      expect(await tip.innerText()).toContain(`reward ${hooks[1].reward}`);
      expect(await tip.innerText()).toContain('He eats 2, so 12 - 2 = 10.');
      await page.keyboard.press('End');
      expect(await focused()).toBe(`0-${hooks.length - 1}`);
      await page.keyboard.press('ArrowDown'); // to the arithmetic check row under it
      const check = () => page.evaluate('document.activeElement?.getAttribute("data-check")');
      expect(await check()).toBe(`0-${hooks.length - 1}`);
      await page.keyboard.press('ArrowDown'); // last row: stays put
      expect(await check()).toBe(`0-${hooks.length - 1}`);
    });

    it('exports the heatmap as SVG and as PNG', async () => {
      const save = async (name: string) => {
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByRole('button', { name }).click(),
        ]);
        return { file: download.suggestedFilename(), bytes: await readFile((await download.path())!) };
      };
      const svg = await save('SVG');
      expect(svg.file).toMatch(/^prm-playground-\d{8}-\d{4}\.svg$/);
      expect(svg.bytes.toString('utf8')).toMatch(
        /^<\?xml[^>]*>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\n$/,
      );
      const png = await save('PNG');
      expect(png.file).toMatch(/\.png$/);
      expect([...png.bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(png.bytes.length).toBeGreaterThan(2000);
    });

    it('keeps the scores across a reload', async () => {
      const hooks = await stepHooks(page);
      await page.waitForTimeout(600);
      await page.reload();
      await expect.poll(() => stepHooks(page)).toEqual(hooks);
    });

    it('asks before scoring only the steps that fit the context, then matches `prm score --truncate`', async () => {
      await chooseBundled(page, 'tiny-qwen');
      const long = Array.from(
        { length: 8 },
        (_, i) => `Step ${i + 1}: ${i + 2} x 3 = ${(i + 2) * 3} apples in all.`,
      ).join('\n\n');
      await typeInput(page, PROBLEM, long);
      await page.getByRole('button', { name: 'Score' }).click();
      const ask = page.getByRole('alertdialog', { name: 'Context limit' });
      await expect.poll(() => ask.isVisible(), { timeout: 60_000 }).toBe(true);
      expect(await ask.innerText()).toMatch(
        /Solution is too long for this model: \d+ tokens, and it reads at most 96/,
      );
      // The question is brought into view with its answer focused (Score may be far below it).
      expect(
        await ask
          .getByRole('button', { name: /^Yes, use the \d+ steps that fit$/ })
          .evaluate((b) => b === b.ownerDocument.activeElement),
      ).toBe(true);
      await ask.getByRole('button', { name: /^Yes, use the \d+ steps that fit$/ }).click();
      const cli = await cliScore(PROBLEM, long, ['--model', fx.qwen, '--truncate']);
      expect(cli.truncated).toBe(true);
      await expect
        .poll(async () => (await stepHooks(page)).filter((h) => h.reward !== null).length, {
          timeout: 60_000,
        })
        .toBe(cli.rewards.length);
      const hooks = await stepHooks(page);
      cli.rewards.forEach((r, i) => expect(Math.abs(hooks[i].reward! - r)).toBeLessThan(1e-4));
      expect(hooks.slice(cli.rewards.length).every((h) => h.reward === null)).toBe(true);
      expect(await page.locator('[data-summary]').innerText()).toMatch(/not scored \(context limit\)/);
    });

    it('reports a broken model clearly and keeps everything typed', async () => {
      await typeInput(page, PROBLEM, SOLUTION);
      await chooseBundled(page, 'truncated-data');
      await page.getByRole('button', { name: 'Score' }).click();
      const alert = page.locator('[data-message="error"]');
      await expect.poll(() => alert.isVisible(), { timeout: 60_000 }).toBe(true);
      expect(await alert.innerText()).toMatch(/truncated.*Your text is unchanged\./s);
      expect(await page.getByLabel('Problem').inputValue()).toBe(PROBLEM);
      expect(await page.getByLabel(/^Solution( 1)?$/).inputValue()).toBe(SOLUTION);
      expect(await page.getByRole('button', { name: 'Score' }).isEnabled()).toBe(true);
    });
  });
});

describe.each<BrowserMode>(['webgpu', 'wasm'])('playground with the bundled demo model (%s)', (mode) => {
  it.skipIf(bundled === undefined)(
    `scores like \`prm score\` with its default model${bundled ? '' : ' (skipped: models/ has no bundled model yet)'}`,
    async () => {
      const s = await openSession(mode);
      try {
        await s.page.goto(s.url);
        await chooseBundled(s.page, bundled!);
        await typeInput(s.page, PROBLEM, SOLUTION);
        await scoreAndWait(s.page);
        const cli = await cliScore(PROBLEM, SOLUTION);
        const hooks = await stepHooks(s.page);
        expect(hooks).toHaveLength(cli.steps.length);
        hooks.forEach((h, i) => expect(Math.abs(h.reward! - cli.rewards[i])).toBeLessThan(1e-4));
        if (Math.min(...cli.rewards.map((r) => Math.abs(r - cli.threshold))) > 1e-3) {
          expect(hooks.findIndex((h) => h.firstError)).toBe(cli.first_error);
        }
        expect(s.errors).toEqual([]);
      } finally {
        await s.close();
      }
    },
  );
});

describe('playground with a demo model outside its domain', () => {
  it.skipIf(bundled === undefined)(
    `says next to the scores that the demo model was not trained on the text${bundled ? '' : ' (skipped: models/ has no bundled model yet)'}`,
    async () => {
      const s = await openSession('wasm');
      try {
        await s.page.goto(s.url);
        await chooseBundled(s.page, bundled!);
        // A greenhouse of tulip bulbs: nothing the synthetic generator ever writes about.
        await typeInput(
          s.page,
          'A greenhouse grows 14 trays of tulip bulbs with 9 bulbs per tray. Frost kills 17 bulbs. How many bulbs survive?',
          '14 × 9 = 126 bulbs are planted.\n\n126 - 17 = 109 bulbs survive.\n\nThe answer is 109.',
        );
        await scoreAndWait(s.page);
        const notice = s.page.locator('[data-domain-notice]');
        await notice.waitFor({ state: 'visible', timeout: 10_000 });
        const text = await notice.innerText();
        expect(text).toContain('This demo model was not trained on text like this');
        expect(text).toContain('load a real PRM');
        expect(text).toMatch(/% of its words never occur in the training text/);

        await typeInput(
          s.page,
          'Tom buys 3 pens at $4 each. How much does he spend in total?',
          'The cost of the pens is 3 × $4 = $12. The answer is 12.',
        );
        await scoreAndWait(s.page);
        expect(await s.page.locator('[data-domain-notice]').count()).toBe(0);
        expect(s.errors).toEqual([]);
      } finally {
        await s.close();
      }
    },
  );
});
