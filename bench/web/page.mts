/**
 * The benchmark page: starts a fresh worker (bench/web/worker.mts), loads the model, and runs the
 * shared measuring protocol (bench/measure.ts) from the page, so warm latency includes the
 * postMessage round trip a real page pays; the worker's own plan/run times come back alongside.
 * Exposed as `globalThis.__prmBench.run(job)` for bench/browser.ts to drive with Playwright.
 *
 * It has no UI and does not decide what to measure.
 */
import { EngineClient } from '../../src/engine/client.ts';
import { measure, quantile } from '../measure.ts';
import type {
  BenchReply,
  BenchRequest,
  EnginePageResult,
  LoadRequest,
  LoadedReply,
  PageResult,
} from './protocol.ts';

function call(worker: Worker, req: BenchRequest): Promise<BenchReply> {
  return new Promise((resolve, reject) => {
    const onMessage = (e: MessageEvent<BenchReply>) => {
      worker.removeEventListener('message', onMessage);
      if (e.data.status === 'error') reject(new Error(e.data.message));
      else resolve(e.data);
    };
    worker.addEventListener('message', onMessage);
    worker.postMessage(req);
  });
}

async function uaMemory(): Promise<number | null> {
  const perf = performance as Performance & {
    measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }>;
  };
  if (!perf.measureUserAgentSpecificMemory || !globalThis.crossOriginIsolated) return null;
  // With WASM threads alive Chromium may hold the answer for about a minute; do not wait for it.
  const late = new Promise<null>((resolve) => setTimeout(() => resolve(null), 3000));
  try {
    return await Promise.race([perf.measureUserAgentSpecificMemory().then((m) => m.bytes), late]);
  } catch {
    return null;
  }
}

async function run(
  job: Omit<LoadRequest, 'type'> & { repeats: number; warmup?: number; names: string[] },
): Promise<PageResult> {
  // Literal `new Worker(new URL(...))` forms, so Vite bundles every worker.
  // The plain wasm build has no WebGPU: a WebGPU run always uses a WebGPU-capable build.
  // Default: the build the app loads in this Chromium (JSPI; src/engine/backend.ts chooseOrtBuild).
  const asked = job.tweaks?.ortBuild ?? 'jspi';
  const build = job.backend === 'webgpu' && asked === 'wasm' ? 'webgpu' : asked;
  const worker =
    build === 'wasm'
      ? new Worker(new URL('./worker-wasm.mts', import.meta.url), { type: 'module' })
      : build === 'jspi'
        ? new Worker(new URL('./worker-jspi.mts', import.meta.url), { type: 'module' })
        : new Worker(new URL('./worker.mts', import.meta.url), { type: 'module' });
  worker.addEventListener('error', (e) => console.error('bench worker error', e.message));
  try {
    const { repeats, warmup, names, ...load } = job;
    const loadReply = (await call(worker, { type: 'load', ...load })) as LoadedReply;
    const inWorker = new Map<string, number[]>();
    const result = await measure(
      names,
      async (name) => {
        const r = await call(worker, { type: 'score', name });
        if (r.status !== 'scored') throw new Error(`unexpected reply ${r.status}`);
        const list = inWorker.get(name) ?? [];
        list.push(r.planMs + r.runMs);
        inWorker.set(name, list);
        return r;
      },
      { repeats, warmup },
    );
    const workerMedianMs: Record<string, number> = {};
    // The last `repeats` entries are the timed ones.
    for (const [name, list] of inWorker)
      workerMedianMs[name] = Math.round(quantile(list.slice(-repeats), 0.5) * 1000) / 1000;
    const heap =
      (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? null;
    return {
      ...result,
      load: loadReply,
      workerMedianMs,
      uaMemoryBytes: await uaMemory(),
      pageHeapBytes: heap,
    };
  } finally {
    worker.terminate();
  }
}

/**
 * The app's own path: the engine worker (src/engine) through its client, loading the bench model
 * as the bundled model `bench` with its automatic backend, dtype and thread choices.
 */
async function runEngine(job: {
  solutions: { name: string; problem: string; steps: string[] }[];
  names: string[];
  repeats: number;
  warmup?: number;
  dtype: string;
}): Promise<EnginePageResult> {
  const client = EngineClient.start();
  try {
    const t0 = performance.now();
    const model = await client.load({ kind: 'bundled', id: 'bench' }, { dtype: job.dtype as 'q4' }).result;
    const loadMs = performance.now() - t0;
    if (!model) throw new Error('the engine cancelled the load');
    const byName = new Map(job.solutions.map((s) => [s.name, s]));
    const inWorker = new Map<string, number[]>();
    const result = await measure(
      job.names,
      async (name) => {
        const s = byName.get(name)!;
        const out = await client.score(s.problem, [s.steps]).result;
        if (out.status !== 'scored') throw new Error(`the engine answered ${out.status}`);
        const list = inWorker.get(name) ?? [];
        list.push(out.runMs);
        inWorker.set(name, list);
        return { rewards: out.results[0].rewards, tokens: out.results[0].tokenCount };
      },
      { repeats: job.repeats, warmup: job.warmup },
    );
    const workerMedianMs: Record<string, number> = {};
    for (const [name, list] of inWorker)
      workerMedianMs[name] = Math.round(quantile(list.slice(-job.repeats), 0.5) * 1000) / 1000;
    const b = model.backend;
    return {
      ...result,
      loadMs,
      engineTimings: model.timings,
      backend: {
        backend: b.backend,
        dtype: b.dtype,
        threads: b.threads,
        reason: b.reason,
        crossOriginIsolated: b.crossOriginIsolated,
      },
      workerMedianMs,
      uaMemoryBytes: await uaMemory(),
    };
  } finally {
    client.terminate();
  }
}

(globalThis as unknown as { __prmBench: { run: typeof run; runEngine: typeof runEngine } }).__prmBench = {
  run,
  runEngine,
};
