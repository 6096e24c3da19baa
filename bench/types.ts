/**
 * Shapes of the benchmark's results: one `BackendRun` per backend (what each runner prints or
 * returns) and the `BenchReport` that `prm bench --json` writes. Types only.
 */
import type { MeasureResult } from './measure.ts';

/**
 * Backends the benchmark knows, in report order. `engine` is the app's own scoring worker
 * (src/engine) through its client, with its automatic backend and thread choice.
 */
export const BACKENDS = ['node', 'wasm1', 'wasmN', 'webgpu', 'engine', 'torch'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface MemoryReading {
  /** Peak (high-water) memory in MiB, when it could be read. */
  peakMB: number | null;
  /** Memory before the model was loaded, when known. */
  baseMB?: number;
  /** What was measured, in words (process RSS, renderer VmHWM, JS heap...). */
  what: string;
}

export interface BackendRun extends MeasureResult {
  backend: BackendName;
  /** Human label, e.g. `onnxruntime-web WASM (4 threads)`. */
  label: string;
  dtype: string;
  threads?: number;
  /** Reading files and creating the session (ms), warm-up excluded. */
  loadMs: number;
  memory: MemoryReading;
  /** Anything else the backend wants on record (versions, adapter, session options). */
  env?: Record<string, unknown>;
  /** Browser backends: per-solution median of the in-worker time (plan + run), to show messaging cost. */
  workerMedianMs?: Record<string, number>;
}

export interface BackendFailure {
  backend: BackendName;
  error: string;
}

export interface AgreementRow {
  backend: BackendName;
  /** Which run it is compared with (normally `node` on the same dtype). */
  against: string;
  /** max |reward - reference reward| over every step of every solution. */
  maxAbsDiff: number;
  /** Token counts differ from the reference (a tokenization mismatch). */
  tokenMismatch: boolean;
  tolerance: number;
  ok: boolean;
}

export interface AppFigures {
  /** Navigation start to the first `[data-reward]` element visible, ms. */
  coldStartToFirstScoreMs: number | null;
  /** Every cold start taken (ms); the figure above is their median. */
  coldStartSamplesMs?: number[];
  /** Parts of it, when measured. */
  navigationToReadyMs?: number;
  /** JavaScript responses before any model is chosen: count, raw bytes and gzip bytes (our gzip -9). */
  jsBeforeModel: {
    files: { url: string; bytes: number; gzipBytes: number }[];
    bytes: number;
    gzipBytes: number;
  };
  backend: string;
  error?: string;
}

export interface BenchReport {
  format: 'prm-bench/1';
  date: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memGB: number;
    platform: string;
    node: string;
    chromium?: string;
    gpu: string;
  };
  model: {
    dir: string;
    name: string;
    family: string;
    dtype: string;
    contextLength: number;
    onnxBytes: number;
  };
  solutions: { name: string; target: number; tokens: number; steps: number }[];
  repeats: number;
  /** Untimed runs per solution before the timed ones. */
  warmup: number;
  runs: BackendRun[];
  failures: BackendFailure[];
  agreement: AgreementRow[];
  app?: AppFigures;
  notes: string[];
}
