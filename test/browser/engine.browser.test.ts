/**
 * The scoring engine in Chromium, on WebGPU (SwiftShader) and on the WASM fallback (no
 * --enable-unsafe-webgpu): tiny models converted by `prm convert` at test time score the same
 * steps as onnxruntime-node in this process; bundled, local-folder and Hub sources load (the Hub
 * is a local server); Hub downloads report progress, are cached and load offline; a quota error
 * and bad models give clear errors; nothing is fetched from anywhere but the test's own servers.
 *
 * The page is fixtures/engine-page/index.html (engine client on globalThis.__prmEngine), built
 * with the project's vite.config.ts into a temp folder; see fixtures/engine-site.ts.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreSolutions } from '../../src/core/pipeline.ts';
import { parseModelSpec } from '../../src/core/spec.ts';
import { tokenizerFromFiles } from '../../src/engine/tokenizer.ts';
import { createOrtRunner } from '../../src/node/ort-node.ts';
import { buildEngineSite, serveSite, startFakeHub, type FakeHub } from './fixtures/engine-site.ts';
import { makeFixtureModels, makeMatrixModels, MATRIX_CELLS, type FixtureModels } from './fixtures/models.ts';
import { closeBrowser, launchBrowser, step, type BrowserMode } from './harness.ts';

const PROBLEM = 'Sue has 2 flamingos and 3 more flamingos. What is the total?';
const SOLUTIONS = [
  ['2 + 3 = 5', 'so the total is 5', 'the answer is $ 5 $'],
  ['2 + 3 = 6', 'so we have 6 flamingos'],
];
const REPO = 'test-org/tiny-qwen';

let tmp: string;
let fx: FixtureModels;
let site: { url: string; close(): Promise<void> };
let hub: FakeHub;
/** Rewards from onnxruntime-node + the core pipeline, by dtype. */
const reference: Record<'fp32' | 'q4', number[][]> = { fp32: [], q4: [] };
/** The same for each converter-matrix model, by `<cell id> <dtype>`. */
const matrixReference = new Map<string, number[][]>();

/** Scores SOLUTIONS with one model folder's ONNX file on onnxruntime-node. */
async function nodeRewards(dir: string, file: string): Promise<number[][]> {
  const spec = parseModelSpec(await readFile(join(dir, 'prm.json'), 'utf8'));
  const tok = tokenizerFromFiles(
    await readFile(join(dir, 'tokenizer.json'), 'utf8'),
    await readFile(join(dir, 'tokenizer_config.json'), 'utf8'),
  );
  const runner = await createOrtRunner(join(dir, 'onnx', file), { threads: 1 });
  try {
    const out = await scoreSolutions(
      spec,
      tok,
      runner,
      SOLUTIONS.map((steps) => ({ problem: PROBLEM, steps })),
    );
    return out.map((r) => r.scores!.rewards);
  } finally {
    await runner.dispose();
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'prm-engine-browser-'));
  fx = await step('convert the fixture models', () => makeFixtureModels(join(tmp, 'models')));
  const matrix = await step('convert the matrix models', () => makeMatrixModels(join(tmp, 'matrix')));
  await buildEngineSite(join(tmp, 'site'), {
    'tiny-qwen': fx.qwen,
    'no-spec': fx.bad.noSpec,
    'bad-inputs': fx.bad.badInputs,
    'truncated-data': fx.bad.truncatedData,
    ...matrix,
  });
  site = await serveSite(join(tmp, 'site'));
  hub = await startFakeHub({ [REPO]: fx.qwen });
  reference.fp32 = await step('score on onnxruntime-node: tiny-qwen fp32', () =>
    nodeRewards(fx.qwen, 'model.onnx'),
  );
  reference.q4 = await step('score on onnxruntime-node: tiny-qwen q4', () =>
    nodeRewards(fx.qwen, 'model_q4.onnx'),
  );
  for (const c of MATRIX_CELLS) {
    for (const dtype of c.dtypes) {
      const file = dtype === 'fp32' ? 'model.onnx' : 'model_q4.onnx';
      matrixReference.set(
        `${c.id} ${dtype}`,
        await step(`score on onnxruntime-node: ${c.id} ${dtype}`, () => nodeRewards(matrix[c.id], file)),
      );
    }
  }
}, 120_000);

afterAll(async () => {
  await hub?.close();
  await site?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Largest |a - b| over two lists of reward lists of the same shape. */
function maxDiff(a: number[][], b: number[][]): number {
  expect(a.map((x) => x.length)).toEqual(b.map((x) => x.length));
  return Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));
}

// Page-side helpers run inside page.evaluate; they reach the client through this global.
type Client = {
  probe(): Promise<Record<string, unknown>>;
  load(source: unknown, o?: Record<string, unknown>): { result: Promise<Record<string, unknown> | null> };
  score(
    p: string,
    s: string[][],
    o?: Record<string, unknown>,
  ): { result: Promise<Record<string, unknown>>; cancel(): void };
  cacheList(): Promise<{
    entries: { repo: string; revision: string; endpoint: string; bytes: number; files: number }[];
  }>;
  cacheClear(repo?: string): Promise<unknown>;
};
/** The page global the test page sets (page.evaluate bodies are serialised: no closures). */
type G = { __prmEngine: Client };

interface LoadOutcome {
  model?: {
    backend: { backend: string; dtype: string; reason: string; threads: number };
    timings: Record<string, number>;
    label: string;
    bytes: number;
  };
  error?: { code: string; message: string; file?: string; bytesNeeded?: number };
  progress: {
    phase: string;
    loaded: number;
    total: number;
    file?: string;
    files?: { path: string; loaded: number; total: number | null }[];
  }[];
  plans: { totalBytes: number; files: { path: string; size: number | null }[] }[];
  rewards?: number[][];
}

/**
 * The backend every load asks for unless a test says otherwise: on SwiftShader Auto picks WASM
 * (a software adapter), so the WebGPU runs ask for WebGPU to keep covering its code path.
 */
let defaultBackend: Record<string, unknown> = {};

/** Loads `source` in the page (local: from the #folder input), optionally scores SOLUTIONS. */
async function loadAndScore(
  page: Page,
  source: Record<string, unknown>,
  loadOptions: Record<string, unknown> = {},
  score = true,
): Promise<LoadOutcome> {
  const options = { ...defaultBackend, ...loadOptions };
  const what = `${JSON.stringify(source)} ${JSON.stringify(options)}`;
  return step(`page: load${score ? ' and score' : ''} ${what}`, () =>
    page.evaluate(
      async ({ source, options, score, problem, solutions }) => {
        const e = (globalThis as unknown as G).__prmEngine;
        const out: LoadOutcome = { progress: [], plans: [] };
        type Doc = { getElementById(id: string): { files: ArrayLike<unknown> } | null };
        const doc = (globalThis as unknown as { document: Doc }).document;
        const src =
          source.kind === 'local'
            ? { kind: 'local', files: Array.from(doc.getElementById('folder')!.files) }
            : source;
        try {
          const model = await e.load(src, {
            ...options,
            onProgress: (p: LoadOutcome['progress'][number]) => out.progress.push(p),
            onPlan: (p: LoadOutcome['plans'][number]) => out.plans.push(p),
          }).result;
          out.model = model as LoadOutcome['model'];
          if (score) {
            const r = (await e.score(problem, solutions).result) as {
              status: string;
              results: { rewards: number[] }[];
            };
            if (r.status !== 'scored') throw new Error(`score ended with ${r.status}`);
            out.rewards = r.results.map((x) => x.rewards);
          }
        } catch (err) {
          const x = err as LoadOutcome['error'] & Error;
          out.error = { code: x.code, message: x.message, file: x.file, bytesNeeded: x.bytesNeeded };
        }
        return out;
      },
      { source, options, score, problem: PROBLEM, solutions: SOLUTIONS },
    ),
  );
}

describe.each<BrowserMode>(['webgpu', 'wasm'])('scoring engine in Chromium (%s)', (mode) => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];

  beforeAll(async () => {
    defaultBackend = mode === 'webgpu' ? { backend: 'webgpu' } : {};
    browser = await launchBrowser(mode);
    context = await browser.newContext();
    // Context-level, so requests made by the worker (and ORT's threads) are seen too.
    context.on('request', (r) => requests.push(r.url()));
    page = await context.newPage();
    await page.goto(`${site.url}/`);
    await page.waitForFunction(() => Boolean((globalThis as { __prmEngine?: unknown }).__prmEngine));
  });
  afterAll(async () => {
    if (browser) await closeBrowser(browser);
  });

  it(`probe() reports ${mode === 'webgpu' ? 'the SwiftShader adapter without shader-f16' : 'no adapter and WASM'} with threads`, async () => {
    const p = await page.evaluate(() => (globalThis as unknown as G).__prmEngine.probe());
    expect(p).toMatchObject({ webgpu: mode === 'webgpu', shaderF16: false, crossOriginIsolated: true });
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(p.threads).toBe(Math.min(4, cores));
    if (mode === 'wasm') expect(p.reason).toMatch(/no adapter.*WASM/i);
    else expect(p.reason).toMatch(/swiftshader.*software adapter .*SwiftShader.*Auto runs models on WASM/);
  });

  if (mode === 'webgpu') {
    it('load(bundled) on Auto runs WASM on SwiftShader and says why', async () => {
      const out = await loadAndScore(page, { kind: 'bundled', id: 'tiny-qwen' }, { backend: 'auto' }, false);
      expect(out.model!.backend.backend).toBe('wasm');
      expect(out.model!.backend.reason).toMatch(/software one \(it is SwiftShader.*so running on WASM/);
    });
  }

  it(`load(bundled, fp32) runs on ${mode} and scores like onnxruntime-node within 1e-4`, async () => {
    const out = await loadAndScore(page, { kind: 'bundled', id: 'tiny-qwen' }, { dtype: 'fp32' });
    expect(out.error).toBeUndefined();
    expect(out.model!.backend).toMatchObject({ backend: mode, dtype: 'fp32' });
    expect(out.model!.backend.reason).toMatch(
      mode === 'webgpu'
        ? /WebGPU adapter .*swiftshader.*fp32 as requested/
        : /no adapter.*WASM.*fp32 as requested/i,
    );
    expect(out.model!.timings.compileMs).toBeGreaterThan(0);
    expect(out.model!.timings.warmupMs).toBeGreaterThan(0);
    expect(maxDiff(out.rewards!, reference.fp32)).toBeLessThan(1e-4);
  });

  it(`loads onnxruntime-web's JSPI build here, and its asyncify build with ?ort=asyncify; both score alike on ${mode}`, async () => {
    const jspi = await loadAndScore(page, { kind: 'bundled', id: 'tiny-qwen' }, { dtype: 'fp32' });
    expect(jspi.model!.backend.reason).toMatch(/onnxruntime-web JSPI build\.$/);
    const other = await context.newPage();
    try {
      await other.goto(`${site.url}/?ort=asyncify`);
      await other.waitForFunction(() => Boolean((globalThis as { __prmEngine?: unknown }).__prmEngine));
      const asyncify = await loadAndScore(other, { kind: 'bundled', id: 'tiny-qwen' }, { dtype: 'fp32' });
      expect(asyncify.error).toBeUndefined();
      expect(asyncify.model!.backend).toMatchObject({ backend: mode, dtype: 'fp32' });
      expect(asyncify.model!.backend.reason).toMatch(/onnxruntime-web asyncify build\.$/);
      expect(maxDiff(asyncify.rewards!, reference.fp32)).toBeLessThan(1e-4);
    } finally {
      await other.close();
    }
  });

  it('says what to do when the onnxruntime-web build cannot be fetched', async () => {
    const ctx = await browser.newContext();
    try {
      await ctx.route(/ort\.jspi[^/]*\.js$/, (route) => route.abort());
      const p = await ctx.newPage();
      await p.goto(`${site.url}/`);
      await p.waitForFunction(() => Boolean((globalThis as { __prmEngine?: unknown }).__prmEngine));
      const out = await loadAndScore(p, { kind: 'bundled', id: 'tiny-qwen' }, { dtype: 'fp32' }, false);
      expect(out.error?.code).toBe('backend');
      expect(out.error!.message).toMatch(/Could not load onnxruntime-web's jspi build .*\?ort=asyncify/);
    } finally {
      await ctx.close();
    }
  });

  it('load(local folder from <input webkitdirectory>) picks q4 and scores like onnxruntime-node', async () => {
    await page.setInputFiles('#folder', fx.qwen);
    const out = await loadAndScore(page, { kind: 'local' });
    expect(out.error).toBeUndefined();
    // SwiftShader has no shader-f16, so q4 (not q4f16) on both backends.
    expect(out.model!.backend).toMatchObject({ backend: mode, dtype: 'q4' });
    expect(out.model!.backend.reason).toMatch(
      mode === 'webgpu'
        ? /no shader-f16, so q4.*subgroups are 4 wide/
        : /q4 \(4-bit weights\) on multi-threaded/,
    );
    expect(out.model!.label).toBe('tiny-qwen/');
    expect(maxDiff(out.rewards!, reference.q4)).toBeLessThan(1e-4);
  });

  // Issue 3's browser half: every head and decoder the converter emits runs here like on Node.
  it.each(
    MATRIX_CELLS.filter((c) => mode === 'webgpu' || !c.quantizeEmbedding).flatMap((c) =>
      c.dtypes.map((dtype) => ({ id: c.id, dtype })),
    ),
  )('converted $id ($dtype) scores like onnxruntime-node within 1e-4', async ({ id, dtype }) => {
    const out = await loadAndScore(page, { kind: 'bundled', id }, { dtype });
    expect(out.error).toBeUndefined();
    expect(out.model!.backend).toMatchObject({ backend: mode, dtype });
    const ref = matrixReference.get(`${id} ${dtype}`)!;
    // Rewards that vary: a model that ignored its input would not pass by matching a constant.
    expect(new Set(ref.flat().map((r) => r.toFixed(4))).size).toBeGreaterThan(1);
    expect(maxDiff(out.rewards!, ref)).toBeLessThan(1e-4);
  });

  if (mode === 'wasm') {
    it('a converted model with a 4-bit embedding fails on WASM with a backend error that says why', async () => {
      const out = await loadAndScore(page, { kind: 'bundled', id: 'qwen2-qwen-prm-qe' }, { dtype: 'q4' });
      expect(out.error?.code).toBe('backend');
      expect(out.error!.message).toMatch(/GatherBlockQuantized/);
      expect(out.error!.message).toMatch(/only WebGPU runs.*without --quantize-embedding/);
      // Leave a working model loaded for the tests that follow.
      expect(
        (await loadAndScore(page, { kind: 'bundled', id: 'tiny-qwen' }, {}, false)).error,
      ).toBeUndefined();
    });
  }

  it.each([
    { id: 'no-spec', code: 'bad-model', file: 'models/no-spec/prm.json', message: /prm\.json is missing/ },
    {
      id: 'bad-inputs',
      code: 'bad-model',
      file: 'models/bad-inputs/onnx/model.onnx',
      message: /no input "input_ids"/,
    },
    {
      id: 'truncated-data',
      code: 'bad-model',
      file: 'models/truncated-data/onnx/model_q4.onnx_data',
      message: /truncated/,
    },
    { id: 'nope', code: 'bad-request', file: undefined, message: /no bundled model "nope"/ },
  ])('load(bundled $id) fails with $code naming $file', async ({ id, code, file, message }) => {
    const out = await loadAndScore(page, { kind: 'bundled', id }, {}, false);
    expect(out.error).toMatchObject({ code, file });
    expect(out.error!.message).toMatch(message);
  });

  it('score() cancelled right away replies cancelled, never scored', async () => {
    const status = await page.evaluate(
      async ({ problem, steps }) => {
        const run = (globalThis as unknown as G).__prmEngine.score(
          problem,
          Array.from({ length: 24 }, () => steps),
        );
        run.cancel();
        return (await run.result).status;
      },
      { problem: PROBLEM, steps: SOLUTIONS[0] },
    );
    expect(status).toBe('cancelled');
  });

  it('fetches nothing but same-origin files (no CDN for onnxruntime or transformers.js)', () => {
    const origin = new URL(site.url).origin;
    const foreign = requests.filter(
      (u) => !u.startsWith(`${origin}/`) && !u.startsWith('blob:') && !u.startsWith('data:'),
    );
    expect(foreign).toEqual([]);
    expect(requests).toContain(`${origin}/ort/ort-wasm-simd-threaded.asyncify.wasm`);
  });

  it('load(hub) downloads with progress, caches, and loads again offline from the cache', async () => {
    await page.evaluate(() => (globalThis as unknown as G).__prmEngine.cacheClear());
    hub.offline = false;
    const first = await loadAndScore(page, { kind: 'hub', repo: REPO, endpoint: hub.url });
    expect(first.error).toBeUndefined();
    expect(first.model!.label).toBe(`hub:${REPO}@main/`);
    const downloads = first.progress.filter((p) => p.phase === 'download');
    expect(downloads.length).toBeGreaterThan(1);
    const last = downloads.at(-1)!;
    expect(last.loaded).toBe(last.total);
    expect(last.total).toBe(first.plans[0].totalBytes);
    expect(last.files!.map((f) => f.path)).toContain('onnx/model_q4.onnx_data');
    expect(maxDiff(first.rewards!, reference.q4)).toBeLessThan(1e-4);

    const { entries } = await page.evaluate(() => (globalThis as unknown as G).__prmEngine.cacheList());
    const sizes = await Promise.all(
      first.plans[0].files.map(async (f) => (await stat(join(fx.qwen, f.path))).size),
    );
    expect(entries).toEqual([
      {
        repo: REPO,
        revision: 'main',
        endpoint: hub.url,
        bytes: sizes.reduce((a, b) => a + b, 0),
        files: sizes.length,
      },
    ]);

    hub.offline = true;
    const seen = hub.requests.length;
    const second = await loadAndScore(page, { kind: 'hub', repo: REPO, endpoint: hub.url });
    hub.offline = false;
    expect(second.error).toBeUndefined();
    expect(hub.requests.length).toBe(seen);
    expect(second.rewards).toEqual(first.rewards);
    const hubHost = new URL(hub.url).host;
    expect(requests.filter((u) => u.includes(hubHost)).every((u) => u.startsWith(`${hub.url}/`))).toBe(true);
  });

  it('load(hub) when the browser refuses to store (QuotaExceededError) fails with code quota and the bytes needed', async () => {
    await page.evaluate(() => (globalThis as unknown as G).__prmEngine.cacheClear());
    const worker = page.workers().find((w) => w.url().includes('/assets/worker-'));
    expect(worker).toBeDefined();
    // Simulated in the engine's worker, where the Cache API is used.
    await worker!.evaluate(() => {
      const proto = (globalThis as unknown as { Cache: { prototype: { put: unknown; __put?: unknown } } })
        .Cache.prototype;
      proto.__put = proto.put;
      proto.put = () =>
        Promise.reject(new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
    });
    try {
      const out = await loadAndScore(page, { kind: 'hub', repo: REPO, endpoint: hub.url }, {}, false);
      expect(out.error).toMatchObject({ code: 'quota' });
      expect(out.error!.bytesNeeded).toBeGreaterThan(0);
      expect(out.error!.message).toMatch(/not enough storage.*Delete cached models/);
    } finally {
      await worker!.evaluate(() => {
        const proto = (globalThis as unknown as { Cache: { prototype: { put: unknown; __put?: unknown } } })
          .Cache.prototype;
        if (proto.__put) proto.put = proto.__put;
      });
    }
  });
});
