/**
 * Hermetic browser-test harness: serves the production build (`dist/`, made by `npm run build`)
 * with `vite preview` on a free loopback port, and launches Debian's Chromium through
 * playwright-core, either with SwiftShader WebGPU (`webgpu`) or with no adapter (`wasm`).
 * No network: Chromium's background traffic is switched off and pages only see 127.0.0.1.
 *
 * Every wait here is bounded: the browser tests' watchdog (test/support/watchdog.ts, fed by
 * test/browser/watchdog-setup.ts) fails a run that makes no progress for PRM_TEST_WATCHDOG_S
 * seconds (default 150), naming the test and step, after closing every browser and server opened
 * here. Tests name their long waits with `step`, close browsers with `closeBrowser` and servers
 * with `closeServer`.
 */
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { describeProcesses, descendants, killAll, pidsWithArg } from '../support/processes.ts';
import { settleWithin, Watchdog } from '../support/watchdog.ts';

export type BrowserMode = 'webgpu' | 'wasm';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = resolve(import.meta.dirname, '../..');

/** Flags every hermetic Chromium here starts with (no background traffic, no sandbox in containers). */
export const BASE_FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

// Above the longest wait a test bounds itself (120 s), below vitest's test timeout (180 s).
const silenceS = Number(process.env.PRM_TEST_WATCHDOG_S ?? 150);
if (!(silenceS > 0))
  throw new Error(
    `PRM_TEST_WATCHDOG_S must be a positive number of seconds, got "${process.env.PRM_TEST_WATCHDOG_S}"`,
  );

/** Tags (see launchBrowser) of the browsers still open, and their last console messages. */
const openBrowsers = new Map<string, string[]>();
const CONSOLE_LINES = 20;

/** What the watchdog adds to a stall report: each open Chromium's processes and last messages. */
function browserReport(): string[] {
  const lines: string[] = [];
  for (const [tag, messages] of openBrowsers) {
    const [pid] = pidsWithArg(tag);
    lines.push(`Chromium ${tag}: processes (pid, state, %cpu, wait channel, command):`);
    lines.push(...describeProcesses(pid ? [pid, ...descendants(pid)] : []).map((l) => `  ${l}`));
    lines.push(`Chromium ${tag}: last ${messages.length} console messages and page errors:`);
    lines.push(...messages.map((m) => `  ${m}`));
  }
  return lines;
}

/** The browser tests' one watchdog (one per test file: vitest runs each file in its own process). */
export const watchdog = new Watchdog({
  silenceMs: silenceS * 1000,
  // Longer than closeBrowser's own wait before it kills Chromium, so the kill is not abandoned.
  cleanupMs: 30_000,
  report: browserReport,
  // Test code here never blocks its main thread on purpose (child processes run async, in steps).
  killWhenBlockedMs: silenceS * 1000,
});

/**
 * Runs `fn` as a named step the watchdog watches (see test/support/watchdog.ts); `allowMs` lets a
 * wait with its own longer bound run past the silence limit.
 */
export function step<T>(label: string, fn: () => Promise<T>, allowMs?: number): Promise<T> {
  return watchdog.step(label, fn, allowMs);
}

/**
 * Closes an HTTP server without waiting on its clients: `close()` alone waits until every
 * keep-alive connection a browser left open goes away, so connections are dropped first.
 */
export async function closeServer(server: Server, ms = 10_000): Promise<void> {
  const closed = new Promise<void>((r) => server.close(() => r()));
  server.closeAllConnections();
  await settleWithin(closed, ms, 'closing an HTTP server');
}

/**
 * Watches a server until it is closed: if the watchdog fires first, it closes it. Returns the
 * bounded close the test calls when done.
 */
export function watchServer(server: Server, label: string): () => Promise<void> {
  const off = watchdog.onFire(label, () => closeServer(server));
  return async () => {
    off();
    await closeServer(server);
  };
}

/** Starts `vite preview` over dist/ on a free port; throws with a clear hint when there is no build. */
export async function startPreview(): Promise<{
  server: PreviewServer;
  url: string;
  close(): Promise<void>;
}> {
  if (!existsSync(resolve(root, 'dist/index.html'))) {
    throw new Error('No production build in dist/: run `npm run build` first (npm run test:browser does).');
  }
  const server = await step('start vite preview of dist/', () =>
    preview({
      root,
      configFile: resolve(root, 'vite.config.ts'),
      preview: { port: 0, host: '127.0.0.1', strictPort: false, open: false },
      logLevel: 'silent',
    }),
  );
  const close = watchServer(server.httpServer as Server, 'vite preview of dist/');
  const url = server.resolvedUrls?.local[0];
  if (!url) {
    await close();
    throw new Error('vite preview started but reported no local URL');
  }
  return { server, url: url.replace(/\/$/, ''), close };
}

/** The flags that give Chromium a SwiftShader (CPU-emulated) WebGPU adapter. */
export const SWIFTSHADER_FLAGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-angle=swiftshader',
];

/**
 * Launches Chromium; `webgpu` adds `webgpuFlags` (SwiftShader unless told otherwise), `wasm` leaves
 * WebGPU off. `extraFlags` go after BASE_FLAGS in both modes (the benchmark adds memory flags).
 */
export async function launchBrowser(
  mode: BrowserMode,
  extraFlags: readonly string[] = [],
  webgpuFlags: readonly string[] = SWIFTSHADER_FLAGS,
): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it with 'apt-get install -y chromium' (.ci/run does) or set CHROMIUM_PATH.`,
    );
  }
  // A switch Chromium ignores, so closeBrowser can find this browser's process to kill it.
  const tag = `--prm-test-browser=${process.pid}-${++launched}`;
  const args = [...BASE_FLAGS, ...extraFlags, tag];
  if (mode === 'webgpu') args.push(...webgpuFlags);
  const browser = await step(`launch Chromium (${mode})`, () =>
    chromium.launch({ executablePath: CHROMIUM, headless: true, args }),
  );
  tags.set(browser, tag);
  const messages: string[] = [];
  openBrowsers.set(tag, messages);
  const remember = (line: string) => {
    messages.push(`${new Date().toISOString().slice(11, 23)} ${line.slice(0, 300)}`);
    if (messages.length > CONSOLE_LINES) messages.shift();
  };
  // Every context of this browser (tests make their own) reports its pages' and workers' messages.
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args) => {
    const context = await newContext(...args);
    context.on('console', (m) => {
      // "Failed to load resource" does not say which; the location does.
      const where = m.location().url;
      remember(`console.${m.type()}: ${m.text()}${m.type() === 'error' && where ? ` (${where})` : ''}`);
    });
    context.on('weberror', (e) => remember(`page error: ${e.error().message}`));
    return context;
  };
  const off = watchdog.onFire(`Chromium (${mode})`, () => closeBrowser(browser));
  browser.on('disconnected', () => {
    off();
    openBrowsers.delete(tag);
  });
  return browser;
}

let launched = 0;
const tags = new WeakMap<Browser, string>();

/**
 * Closes a browser from launchBrowser; if Chromium does not finish closing within `ms`, kills
 * its processes, so a hung browser cannot hold the run.
 */
export async function closeBrowser(browser: Browser, ms = 15_000): Promise<void> {
  try {
    await settleWithin(browser.close(), ms, 'closing Chromium');
  } catch (e) {
    const tag = tags.get(browser);
    const [pid] = tag ? pidsWithArg(tag) : [];
    const tree = pid ? [pid, ...descendants(pid)] : [];
    process.stderr.write(
      `[harness] ${(e as Error).message}; killing Chromium (pids ${tree.join(', ') || 'not found'})\n`,
    );
    killAll(tree);
  }
}

export interface BrowserSession {
  url: string;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far (tests assert on them). */
  errors: string[];
  close(): Promise<void>;
}

/**
 * The app's address for a mode: `webgpu` adds `?backend=webgpu`, because on SwiftShader (a
 * software adapter) the app's Auto choice runs WASM, and these tests are there to cover WebGPU.
 */
export function pageUrl(base: string, mode: BrowserMode): string {
  return mode === 'webgpu' ? `${base}/?backend=webgpu` : base;
}

/** Preview server + browser + a fresh page, with console errors collected; `url` is `pageUrl`'s. */
export async function openSession(mode: BrowserMode): Promise<BrowserSession> {
  const preview = await startPreview();
  const browser = await launchBrowser(mode);
  const page = await step('open a page', async () => (await browser.newContext()).newPage());
  const context = page.context();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return {
    url: pageUrl(preview.url, mode),
    browser,
    context,
    page,
    errors,
    async close() {
      await closeBrowser(browser);
      await preview.close();
    },
  };
}
