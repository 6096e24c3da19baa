/**
 * The benchmark's browser worker logic: loads one model folder over HTTP with onnxruntime-web (WASM
 * with an explicit thread count, or WebGPU) and scores the benchmark solutions through the same
 * core pipeline and tokenizer adapter the app's engine uses, timing tokenization and the model
 * run apart. One model per worker: ORT reads `numThreads` once per wasm instance.
 *
 * The ORT build is injected (worker.mts: the app's `onnxruntime-web/webgpu` asyncify build;
 * worker-wasm.mts: the plain `onnxruntime-web/wasm` build; worker-jspi.mts: the JSPI build), so
 * they are measured with the same code. It does not pick backends, fall back or cache; the app's
 * engine does that (src/engine).
 */
import type * as Ort from 'onnxruntime-web';
import { planSolution } from '../../src/core/pipeline.ts';
import { stepRewards } from '../../src/core/rewards.ts';
import { modelFileFor, parseModelSpec } from '../../src/core/spec.ts';
import type { ModelSpec } from '../../src/core/types.ts';
import { MIN_SUBGROUP_SIZE, subgroupFreeDeviceRequest } from '../../src/engine/backend.ts';
import { DefaultStreamBlob } from '../../src/engine/default-stream-blob.ts';
import { readOnnxInfo } from '../../src/engine/onnx-info.ts';
import { tokenizerFromFiles, type HfTokenizer } from '../../src/engine/tokenizer.ts';
import type { BenchReply, BenchRequest, LoadRequest } from './protocol.ts';

const scope = self as unknown as {
  postMessage(m: BenchReply): void;
  addEventListener(t: 'message', l: (e: MessageEvent<BenchRequest>) => void): void;
};

/** The slice of onnxruntime-web's API the worker uses; both builds have it. */
type OrtModule = Pick<typeof Ort, 'env' | 'InferenceSession' | 'Tensor'>;

interface Loaded {
  spec: ModelSpec;
  tokenizer: HfTokenizer;
  session: Ort.InferenceSession;
  solutions: Map<string, { problem: string; steps: string[] }>;
}
let loaded: Loaded | null = null;
let ort: OrtModule;
let ortBuild = '';
let subgroupsOff = false;

async function fetchOk(url: string): Promise<Response> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return res;
}

async function load(req: LoadRequest): Promise<BenchReply> {
  ort.env.wasm.numThreads = req.threads;
  const t0 = performance.now();
  const spec = parseModelSpec(await (await fetchOk(req.base + 'prm.json')).json());
  const [json, config] = await Promise.all(
    ['tokenizer.json', 'tokenizer_config.json'].map(async (f) => (await fetchOk(req.base + f)).text()),
  );
  const file = modelFileFor(req.dtype);
  const modelBytes = new Uint8Array(await (await fetchOk(req.base + file)).arrayBuffer());
  const info = readOnnxInfo(modelBytes, file);
  const dir = file.slice(0, file.lastIndexOf('/') + 1);
  let bytes = modelBytes.length;
  // Blobs as default streams, as the engine passes them (src/engine/default-stream-blob.ts: a BYOB
  // read of a Blob stream can stall); never one ArrayBuffer near Chrome's 2 GB limit.
  const externalData = await Promise.all(
    info.external.map(async (e) => {
      const blob = await (await fetchOk(req.base + dir + e.location)).blob();
      bytes += blob.size;
      return { path: e.location, data: new DefaultStreamBlob([blob]) };
    }),
  );
  const t1 = performance.now();
  const tokenizer = tokenizerFromFiles(json, config, req.base);
  const t2 = performance.now();
  const tw = req.tweaks ?? {};
  const options: Ort.InferenceSession.SessionOptions = {
    executionProviders: [req.backend],
    graphOptimizationLevel: tw.graphOptimizationLevel ?? 'all',
    externalData,
    logSeverityLevel: 3,
  };
  if (tw.enableMemPattern !== undefined) options.enableMemPattern = tw.enableMemPattern;
  if (tw.enableCpuMemArena !== undefined) options.enableCpuMemArena = tw.enableCpuMemArena;
  if (tw.executionMode) options.executionMode = tw.executionMode;
  if (tw.preferredOutputLocation) options.preferredOutputLocation = tw.preferredOutputLocation;
  if (tw.extra) options.extra = { session: tw.extra };
  if (req.backend === 'webgpu') options.executionProviders = [await webgpuProvider()];
  const session = await ort.InferenceSession.create(modelBytes, options);
  const t3 = performance.now();
  loaded = { spec, tokenizer, session, solutions: new Map(req.solutions.map((s) => [s.name, s])) };
  let adapter: { vendor: string; architecture: string; description: string } | undefined;
  if (req.backend === 'webgpu') {
    const a = (await ort.env.webgpu.adapter) as GPUAdapter | undefined;
    if (a?.info) {
      const what = [a.info.description, subgroupsOff ? 'subgroups off' : ''].filter(Boolean).join('; ');
      adapter = { vendor: a.info.vendor, architecture: a.info.architecture, description: what };
    }
  }
  return {
    status: 'loaded',
    readMs: t1 - t0,
    tokenizerMs: t2 - t1,
    createMs: t3 - t2,
    loadMs: t3 - t0,
    threads: req.threads,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    ortVersion: `${ort.env.versions.web ?? ort.env.versions.common} (${ortBuild})`,
    ...(adapter ? { adapter } : {}),
    bytes,
  };
}

/**
 * The WebGPU provider as the engine sets it up (src/engine/ort-web.ts): ORT gets the adapter we
 * probed, and adapters whose subgroups are narrower than onnxruntime's attention kernels assume
 * (SwiftShader: 4) get a device without `subgroups`, or GroupQueryAttention scores wrong.
 */
async function webgpuProvider(): Promise<Ort.InferenceSession.ExecutionProviderConfig> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  const adapter = await gpu?.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('WebGPU found no adapter; run Chromium with --enable-unsafe-webgpu');
  ort.env.webgpu.adapter = adapter;
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number };
  const narrow =
    adapter.features.has('subgroups') &&
    typeof info.subgroupMinSize === 'number' &&
    info.subgroupMinSize < MIN_SUBGROUP_SIZE;
  if (!narrow) return 'webgpu';
  subgroupsOff = true;
  return {
    name: 'webgpu',
    device: await adapter.requestDevice(subgroupFreeDeviceRequest(adapter) as GPUDeviceDescriptor),
  } as Ort.InferenceSession.ExecutionProviderConfig;
}

async function score(name: string): Promise<BenchReply> {
  if (!loaded) throw new Error('score before load');
  const s = loaded.solutions.get(name);
  if (!s) throw new Error(`no solution named ${name}`);
  const a = performance.now();
  const plan = planSolution(loaded.spec, loaded.tokenizer, s.problem, s.steps);
  const b = performance.now();
  const dims = [1, plan.inputIds.length];
  const ids = BigInt64Array.from(plan.inputIds, (x) => BigInt(x));
  const mask = new BigInt64Array(plan.inputIds.length).fill(1n);
  const out = await loaded.session.run(
    { input_ids: new ort.Tensor('int64', ids, dims), attention_mask: new ort.Tensor('int64', mask, dims) },
    ['logits'],
  );
  const logits = out.logits;
  const data = (logits.location === 'gpu-buffer' ? await logits.getData() : logits.data) as Float32Array;
  const rewards = stepRewards(data, plan.inputIds.length, plan.scorePositions);
  logits.dispose();
  const c = performance.now();
  return { status: 'scored', rewards, tokens: plan.inputIds.length, planMs: b - a, runMs: c - b };
}

/**
 * Answers the page's requests with the given onnxruntime-web build.
 *
 * @example
 * startWorker(await import('onnxruntime-web/wasm'));
 */
export function startWorker(runtime: OrtModule, build: string): void {
  ort = runtime;
  ortBuild = build;
  scope.addEventListener('message', (event) => {
    const req = event.data;
    const work = req.type === 'load' ? load(req) : score(req.name);
    work.then(
      (reply) => scope.postMessage(reply),
      (e: unknown) =>
        scope.postMessage({ status: 'error', message: e instanceof Error ? e.message : String(e) }),
    );
  });
}
