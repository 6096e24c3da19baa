/**
 * Messages between the benchmark page (bench/web/page.mts) and its worker (worker-core.mts):
 * requests keyed on `type`, replies on `status`; and what the page hands back to Playwright.
 * Types only, free of DOM types, so the Node side (bench/browser.ts) imports it too.
 */
import type { Dtype } from '../../src/core/types.ts';
import type { MeasureResult } from '../measure.ts';

/** Session options the benchmark may vary (defaults match src/engine/ort-web.ts). */
export interface SessionTweaks {
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  enableMemPattern?: boolean;
  enableCpuMemArena?: boolean;
  executionMode?: 'sequential' | 'parallel';
  /** WebGPU: where outputs live ('cpu' default; 'gpu-buffer' keeps them on the GPU). */
  preferredOutputLocation?: 'cpu' | 'gpu-buffer';
  /** Free-form session config entries (`extra.session...`). */
  extra?: Record<string, string>;
  /**
   * Which onnxruntime-web build runs: the app's `webgpu` (asyncify) build (default), the plain
   * `wasm` build (WASM only) or the `jspi` build (WebGPU and WASM, needs JSPI).
   */
  ortBuild?: 'webgpu' | 'wasm' | 'jspi';
}

export interface LoadRequest {
  type: 'load';
  /** URL of the model folder (ends with `/`): prm.json, tokenizer files, onnx/. */
  base: string;
  dtype: Dtype;
  backend: 'wasm' | 'webgpu';
  /** `ort.env.wasm.numThreads`, set before the first session (ORT reads it once). */
  threads: number;
  solutions: { name: string; problem: string; steps: string[] }[];
  tweaks?: SessionTweaks;
}

export type BenchRequest = LoadRequest | { type: 'score'; name: string };

export interface LoadedReply {
  status: 'loaded';
  /** Fetching files (ms). */
  readMs: number;
  /** Building the tokenizer (ms). */
  tokenizerMs: number;
  /** InferenceSession.create (ms). */
  createMs: number;
  /** readMs + tokenizerMs + createMs. */
  loadMs: number;
  threads: number;
  crossOriginIsolated: boolean;
  ortVersion: string;
  adapter?: { vendor: string; architecture: string; description: string };
  bytes: number;
}

export interface ScoredReply {
  status: 'scored';
  rewards: number[];
  tokens: number;
  planMs: number;
  runMs: number;
}

export type BenchReply = LoadedReply | ScoredReply | { status: 'error'; message: string };

export interface PageResult extends MeasureResult {
  load: LoadedReply;
  /** Per solution, the median in-worker time (plan + run). */
  workerMedianMs: Record<string, number>;
  /** performance.measureUserAgentSpecificMemory() total bytes, when the browser offers it. */
  uaMemoryBytes: number | null;
  /** performance.memory.usedJSHeapSize of the page (not the worker), when present. */
  pageHeapBytes: number | null;
}

export interface EnginePageResult extends MeasureResult {
  /** Engine load request to `loaded` (ms): reading, session creation and the engine's warm-up run. */
  loadMs: number;
  engineTimings: { loadMs: number; compileMs: number; warmupMs: number };
  backend: { backend: string; dtype: string; threads: number; reason: string; crossOriginIsolated: boolean };
  /** Per solution, the median of the engine's own `runMs` (plan + run inside the worker). */
  workerMedianMs: Record<string, number>;
  uaMemoryBytes: number | null;
}
