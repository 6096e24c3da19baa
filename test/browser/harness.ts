/**
 * Hermetic browser-test harness: serves the production build (`dist/`, made by `npm run build`)
 * with `vite preview` on a free loopback port, and launches Debian's Chromium through
 * playwright-core, either with SwiftShader WebGPU (`webgpu`) or with no adapter (`wasm`).
 * No network: Chromium's background traffic is switched off and pages only see 127.0.0.1.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';

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

/** Starts `vite preview` over dist/ on a free port; throws with a clear hint when there is no build. */
export async function startPreview(): Promise<{ server: PreviewServer; url: string }> {
  if (!existsSync(resolve(root, 'dist/index.html'))) {
    throw new Error('No production build in dist/: run `npm run build` first (npm run test:browser does).');
  }
  const server = await preview({
    root,
    configFile: resolve(root, 'vite.config.ts'),
    preview: { port: 0, host: '127.0.0.1', strictPort: false, open: false },
    logLevel: 'silent',
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview started but reported no local URL');
  return { server, url: url.replace(/\/$/, '') };
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
  const args = [...BASE_FLAGS, ...extraFlags];
  if (mode === 'webgpu') args.push(...webgpuFlags);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
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

/** Preview server + browser + a fresh page, with console errors collected. */
export async function openSession(mode: BrowserMode): Promise<BrowserSession> {
  const { server, url } = await startPreview();
  const browser = await launchBrowser(mode);
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return {
    url,
    browser,
    context,
    page,
    errors,
    async close() {
      await browser.close();
      await new Promise<void>((r) => server.httpServer.close(() => r()));
    },
  };
}
