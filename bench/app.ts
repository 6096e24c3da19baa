/**
 * Figures for the built app itself in headless Chromium: the JavaScript it loads before a model is
 * chosen (every JS response, gzipped here with zlib level 9; the onnxruntime .wasm binary is not
 * JS and not counted) and the cold start to the first score: navigation start to the first
 * `[data-reward]` element visible, after filling Problem and Solution and pressing Score, with the
 * bundled model, on WASM (no WebGPU adapter) in a fresh browser.
 *
 * It builds the app into a cache folder (never the shared dist/) and serves it with `vite preview`
 * (COOP/COEP from vite.config.ts). It does not judge the figures (report.ts shows them).
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Response } from 'playwright-core';
import { launchChromium } from './browser.ts';
import type { AppFigures } from './types.ts';

const root = resolve(import.meta.dirname, '..');

/** Builds the app (models/ included, as `npm run build` does) into `outDir`. */
export async function buildApp(outDir: string, log: (line: string) => void = () => undefined): Promise<void> {
  log(`building the app into ${outDir}`);
  const { build } = await import('vite');
  await rm(outDir, { recursive: true, force: true });
  await build({
    configFile: join(root, 'vite.config.ts'),
    root,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
}

const isJs = (r: Response): boolean => {
  const type = r.headers()['content-type'] ?? '';
  const url = r.url().split('?')[0];
  if (url.endsWith('.wasm')) return false;
  return /javascript|ecmascript/.test(type) || /\.(m?js)$/.test(url);
};

export interface AppOptions {
  /** Use this built app folder instead of building one. */
  distDir?: string;
  problem: string;
  solution: string;
  timeoutMs?: number;
  /** Also measure the cold start to the first score (needs a bundled model; default true). */
  coldStart?: boolean;
  /** Cold starts to take, each in a fresh browser context (default 3; the median is reported). */
  coldRuns?: number;
  log?: (line: string) => void;
}

/**
 * Measures the app: JS before a model is chosen, then cold start to the first score on WASM.
 *
 * @example
 * const app = await measureApp({ problem: 'What is 2+2?', solution: '2 + 2 = 4.\n\nThe answer is 4.' });
 * app.jsBeforeModel.gzipBytes; // e.g. 181234
 */
export async function measureApp(options: AppOptions): Promise<AppFigures> {
  const log = options.log ?? (() => undefined);
  const outDir = options.distDir ?? join(root, 'node_modules', '.cache', 'prm-bench', 'app');
  if (!options.distDir) await buildApp(outDir, log);
  if (!existsSync(join(outDir, 'index.html')))
    throw new Error(`${outDir} has no index.html: build the app first (npx vite build).`);
  const { preview } = await import('vite');
  const server = await preview({
    root,
    configFile: join(root, 'vite.config.ts'),
    build: { outDir },
    preview: { port: 0, host: '127.0.0.1', strictPort: false, open: false },
    logLevel: 'silent',
  });
  const url = server.resolvedUrls?.local[0]?.replace(/\/$/, '');
  const browser = await launchChromium('wasm');
  const figures: AppFigures = {
    coldStartToFirstScoreMs: null,
    jsBeforeModel: { files: [], bytes: 0, gzipBytes: 0 },
    backend: 'wasm (no WebGPU adapter)',
  };
  try {
    if (!url) throw new Error('vite preview reported no local URL');
    const context = await browser.newContext();
    const page = await context.newPage();
    const js: Promise<{ url: string; bytes: number; gzipBytes: number }>[] = [];
    let counting = true;
    context.on('response', (r) => {
      if (!counting || !isJs(r)) return;
      js.push(
        r.body().then(
          (body) => ({
            url: r.url().replace(url, ''),
            bytes: body.length,
            gzipBytes: gzipSync(body, { level: 9 }).length,
          }),
          () => ({ url: r.url().replace(url, ''), bytes: 0, gzipBytes: 0 }),
        ),
      );
    });
    const timeout = options.timeoutMs ?? 180_000;
    await page.goto(`${url}/`, { waitUntil: 'networkidle', timeout });
    const score = page.getByRole('button', { name: 'Score' });
    await score.waitFor({ state: 'visible', timeout });
    figures.navigationToReadyMs = Math.round(await page.evaluate(() => performance.now()));
    counting = false;
    const files = await Promise.all(js);
    figures.jsBeforeModel = {
      files: files.sort((a, b) => b.gzipBytes - a.gzipBytes),
      bytes: files.reduce((s, f) => s + f.bytes, 0),
      gzipBytes: files.reduce((s, f) => s + f.gzipBytes, 0),
    };
    log(
      `app: ${files.length} JS files before a model is chosen, ${(figures.jsBeforeModel.gzipBytes / 1024).toFixed(1)} KiB gzip`,
    );

    await context.close();
    if (options.coldStart === false) return figures;
    // Cold start: a fresh context (no HTTP cache, no compiled-wasm cache) from navigation on,
    // `coldRuns` times; the median is reported.
    const samples: number[] = [];
    for (let i = 0; i < (options.coldRuns ?? 3); i++) {
      const cold = await browser.newContext();
      const p2 = await cold.newPage();
      await p2.goto(`${url}/`, { waitUntil: 'commit', timeout });
      await p2.getByLabel('Problem', { exact: true }).fill(options.problem, { timeout });
      await p2.getByLabel(/^Solution( 1)?$/).fill(options.solution, { timeout });
      await p2.getByRole('button', { name: 'Score' }).click({ timeout });
      await p2.locator('[data-reward]').first().waitFor({ state: 'visible', timeout });
      samples.push(Math.round(await p2.evaluate(() => performance.now())));
      await cold.close();
    }
    figures.coldStartSamplesMs = samples;
    figures.coldStartToFirstScoreMs = samples.length
      ? [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]
      : null;
  } catch (e) {
    figures.error = (e as Error).message.split('\n')[0];
  } finally {
    await browser.close();
    await new Promise<void>((r) => server.httpServer.close(() => r()));
  }
  return figures;
}
