/**
 * The browser backends of the benchmark: builds the benchmark page (bench/web) with the project's
 * own vite.config.ts (same worker bundling and self-hosted `/ort/` files), serves it and the model
 * folder from a small cross-origin-isolated HTTP server, and drives a fresh headless Chromium per
 * backend through playwright-core: WASM with 1 thread, WASM with N threads, WebGPU (SwiftShader
 * here; a real GPU with `realGpu`). Peak memory is the renderer's (page + worker) high-water RSS,
 * read from /proc through the PIDs Chromium reports over CDP; WebGPU adds the GPU process.
 *
 * It does not measure the app itself (app.ts) or write reports (report.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, relative, resolve, sep } from 'node:path';
import type { Browser } from 'playwright-core';
import type { Dtype } from '../src/core/types.ts';
import type { BackendName, BackendRun } from './types.ts';
import { launchBrowser, SWIFTSHADER_FLAGS } from '../test/browser/harness.ts';
import type { SessionTweaks } from './web/protocol.ts';
import type { EnginePageResult, PageResult } from './web/protocol.ts';

const root = resolve(import.meta.dirname, '..');

// measureUserAgentSpecificMemory() otherwise waits for the next natural GC (up to ~20 s).
const MEMORY_FLAGS = ['--enable-blink-features=ForceEagerMeasureMemory'];
/** Chrome team's headless real-GPU flags (https://developer.chrome.com/blog/supercharge-web-ai-testing). */
export const REAL_GPU_FLAGS = [
  '--headless=new',
  '--use-angle=vulkan',
  '--enable-features=Vulkan',
  '--disable-vulkan-surface',
  '--enable-unsafe-webgpu',
];

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/** Launches Debian's Chromium for one backend (the test harness's launcher with memory flags). */
export function launchChromium(mode: 'wasm' | 'webgpu', realGpu = false): Promise<Browser> {
  return launchBrowser(mode, MEMORY_FLAGS, realGpu ? REAL_GPU_FLAGS : SWIFTSHADER_FLAGS);
}

function sourceStamp(): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|mts|html|json)$/.test(e.name)) h.update(p).update(readFileSync(p));
    }
  };
  for (const d of ['bench/web', 'src/core', 'src/engine']) walk(join(root, d));
  h.update(readFileSync(join(root, 'bench/measure.ts')));
  h.update(readFileSync(join(root, 'package-lock.json')));
  return h.digest('hex').slice(0, 16);
}

/**
 * Builds bench/web into a cache folder (reused while the sources are unchanged) and returns it.
 *
 * @example
 * const site = await buildBenchSite(); // node_modules/.cache/prm-bench/web-<hash>
 */
export async function buildBenchSite(log: (line: string) => void = () => undefined): Promise<string> {
  const outDir = join(root, 'node_modules', '.cache', 'prm-bench', `web-${sourceStamp()}`);
  if (existsSync(join(outDir, 'index.html'))) return outDir;
  log(`building the benchmark page into ${outDir}`);
  const { build } = await import('vite');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await build({
    configFile: join(root, 'vite.config.ts'),
    root: join(root, 'bench', 'web'),
    publicDir: false,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
  return outDir;
}

export interface SiteServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `siteDir` at `/` and `modelDir` at `/model/` on 127.0.0.1 with COOP/COEP (so the page is
 * cross-origin isolated and WASM may use threads).
 */
export async function serveBench(siteDir: string, modelDir: string): Promise<SiteServer> {
  const model = resolve(modelDir);
  const listing = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? listing(join(dir, e.name)) : [join(dir, e.name)],
    );
  // The model is also the build's one bundled model, `bench`, for the app's engine.
  const manifest = JSON.stringify({
    models: [
      {
        id: 'bench',
        files: listing(model).map((f) => ({
          path: relative(model, f).split(sep).join('/'),
          size: statSync(f).size,
        })),
      },
    ],
  });
  const mounts: [string, string][] = [
    ['/model/', model],
    ['/models/bench/', model],
    // Every onnxruntime-web binary, not only the app's pair, so other builds can be measured.
    ['/ort/', join(root, 'node_modules', 'onnxruntime-web', 'dist')],
    ['/', resolve(siteDir)],
  ];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    if (path === '/models/manifest.json') {
      res.setHeader('Content-Type', 'application/json');
      res.end(manifest);
      return;
    }
    if (path === '/favicon.ico') {
      res.statusCode = 204;
      res.end();
      return;
    }
    for (const [prefix, dir] of mounts) {
      if (!path.startsWith(prefix)) continue;
      let file = resolve(dir, path.slice(prefix.length) || 'index.html');
      if (file !== dir && !file.startsWith(dir + sep)) break;
      if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
      if (!existsSync(file)) break;
      res.setHeader('Content-Type', MIME[extname(file)] ?? 'application/octet-stream');
      res.setHeader('Content-Length', String(statSync(file).size));
      createReadStream(file).pipe(res);
      return;
    }
    res.statusCode = 404;
    res.end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** VmHWM (peak RSS) in MiB of Chromium's renderer and GPU processes, read from /proc. */
async function peakMemory(browser: Browser): Promise<{ renderer: number | null; gpu: number | null }> {
  const out = { renderer: null as number | null, gpu: null as number | null };
  try {
    const cdp = await browser.newBrowserCDPSession();
    const info = (await cdp.send('SystemInfo.getProcessInfo')) as {
      processInfo: { type: string; id: number }[];
    };
    for (const p of info.processInfo) {
      const key = p.type === 'renderer' ? 'renderer' : p.type === 'GPU' ? 'gpu' : null;
      if (!key) continue;
      const status = readFileSync(`/proc/${p.id}/status`, 'utf8');
      const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
      if (Number.isFinite(kb)) out[key] = Math.max(out[key] ?? 0, Math.round(kb / 1024));
    }
  } catch {
    // Not Linux or no CDP: leave the reading out rather than guess.
  }
  return out;
}

export interface BrowserJob {
  backend: Extract<BackendName, 'wasm1' | 'wasmN' | 'webgpu' | 'engine'>;
  siteUrl: string;
  dtype: Dtype;
  threads: number;
  solutions: { name: string; problem: string; steps: string[] }[];
  repeats: number;
  /** Untimed runs per solution before the timed ones (default 1). */
  warmup?: number;
  realGpu?: boolean;
  tweaks?: SessionTweaks;
  /** Per-backend time limit (ms). */
  timeoutMs?: number;
}

/**
 * Runs one browser backend in a fresh Chromium and returns its figures.
 *
 * @example
 * const run = await runBrowserBackend({ backend: 'wasmN', siteUrl, dtype: 'q4', threads: 2, solutions, repeats: 10 });
 * run.solutions[1].medianMs;
 */
export async function runBrowserBackend(job: BrowserJob): Promise<BackendRun> {
  const mode = job.backend === 'webgpu' ? 'webgpu' : 'wasm';
  const browser = await launchChromium(mode, job.realGpu);
  const errors: string[] = [];
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${job.siteUrl}/`);
    await page.waitForFunction(() => '__prmBench' in globalThis, null, { timeout: 30_000 });
    const limit = job.timeoutMs ?? 600_000;
    const names = job.solutions.map((s) => s.name);
    if (job.backend === 'engine') {
      const r = await withTimeout(
        page.evaluate(
          (j) =>
            (
              globalThis as unknown as { __prmBench: { runEngine(j: unknown): Promise<EnginePageResult> } }
            ).__prmBench.runEngine(j),
          { solutions: job.solutions, names, repeats: job.repeats, warmup: job.warmup, dtype: job.dtype },
        ),
        limit,
        job.backend,
      );
      const mem = await peakMemory(browser);
      const { loadMs, engineTimings, backend, workerMedianMs, uaMemoryBytes, ...measured } = r;
      return {
        backend: 'engine',
        label: `the app's engine (${backend.backend === 'wasm' ? `WASM, ${backend.threads} thread${backend.threads > 1 ? 's' : ''}` : 'WebGPU'}, auto)`,
        dtype: backend.dtype,
        threads: backend.threads,
        loadMs: Math.round(loadMs * 10) / 10,
        ...measured,
        workerMedianMs,
        memory: {
          peakMB: mem.renderer,
          what: 'peak RSS (VmHWM) of the renderer process (page + worker), fresh browser',
        },
        env: {
          chromium: browser.version(),
          engineTimings,
          reason: backend.reason,
          crossOriginIsolated: backend.crossOriginIsolated,
          firstScore: "after the engine's own warm-up run at load",
          uaMemoryMB: uaMemoryBytes === null ? null : Math.round(uaMemoryBytes / 2 ** 20),
          ...(errors.length ? { consoleErrors: errors.slice(0, 5) } : {}),
        },
      };
    }
    const threads = job.threads;
    const r = await withTimeout(
      page.evaluate(
        (j) =>
          (globalThis as unknown as { __prmBench: { run(j: unknown): Promise<PageResult> } }).__prmBench.run(
            j,
          ),
        {
          base: `${job.siteUrl}/model/`,
          dtype: job.dtype,
          backend: mode,
          threads,
          solutions: job.solutions,
          repeats: job.repeats,
          warmup: job.warmup,
          names,
          ...(job.tweaks ? { tweaks: job.tweaks } : {}),
        },
      ),
      limit,
      job.backend,
    );
    const mem = await peakMemory(browser);
    const peak = mem.renderer === null ? null : mem.renderer + (mode === 'webgpu' ? (mem.gpu ?? 0) : 0);
    const { load, workerMedianMs, uaMemoryBytes, pageHeapBytes, ...measured } = r;
    // The build the worker says it ran (a WebGPU run asked for the WASM-only build runs asyncify).
    const ran = /\((onnxruntime-web\/\w+)\)$/.exec(load.ortVersion)?.[1] ?? '';
    const buildName =
      {
        'onnxruntime-web/webgpu': 'asyncify',
        'onnxruntime-web/jspi': 'JSPI',
        'onnxruntime-web/wasm': 'plain wasm',
      }[ran] ?? ran;
    const label =
      mode === 'webgpu'
        ? `onnxruntime-web WebGPU (${load.adapter ? `${load.adapter.vendor} ${load.adapter.architecture}`.trim() || 'adapter' : 'adapter'}, ${buildName} build)`
        : `onnxruntime-web WASM (${threads} thread${threads > 1 ? 's' : ''}${load.crossOriginIsolated ? ', cross-origin isolated' : ''}, ${buildName} build)`;
    return {
      backend: job.backend,
      label,
      dtype: job.dtype,
      threads,
      loadMs: Math.round(load.loadMs * 10) / 10,
      ...measured,
      workerMedianMs,
      memory: {
        peakMB: peak,
        what:
          mode === 'webgpu'
            ? 'peak RSS (VmHWM) of the renderer (page + worker) plus the GPU process, fresh browser'
            : 'peak RSS (VmHWM) of the renderer process (page + worker), fresh browser',
      },
      env: {
        chromium: browser.version(),
        ortVersion: load.ortVersion,
        crossOriginIsolated: load.crossOriginIsolated,
        load: {
          readMs: round1(load.readMs),
          tokenizerMs: round1(load.tokenizerMs),
          createMs: round1(load.createMs),
          bytes: load.bytes,
        },
        ...(load.adapter ? { adapter: load.adapter } : {}),
        uaMemoryMB: uaMemoryBytes === null ? null : Math.round(uaMemoryBytes / 2 ** 20),
        pageHeapMB: pageHeapBytes === null ? null : Math.round(pageHeapBytes / 2 ** 20),
        ...(job.tweaks ? { tweaks: job.tweaks } : {}),
        ...(errors.length ? { consoleErrors: errors.slice(0, 5) } : {}),
      },
    };
  } catch (e) {
    const extra = errors.length ? ` (page errors: ${errors.slice(0, 3).join(' | ')})` : '';
    throw new Error(`${(e as Error).message}${extra}`, { cause: e });
  } finally {
    await browser.close();
  }
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

async function withTimeout<T>(work: Promise<T>, limitMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${limitMs / 1000} s`)), limitMs);
    }),
  ]).finally(() => clearTimeout(timer));
}
