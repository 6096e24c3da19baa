/**
 * The one typed protocol between the page and the scoring worker. Requests are keyed on `type`,
 * replies on `status`; both sides import this file and switch on it exhaustively.
 *
 * Replies that answer a request carry its `requestId`. A `load` sends `plan` (sizes, dtype,
 * warnings) before any download, then `progress`, then `loaded` or `error`. A `score` ends in
 * exactly one of `scored`, `context-overflow`, `cancelled` or `error`. Types only: no runtime code.
 */
import type { Dtype, ModelSpec } from '../core/types.ts';
import type { EngineErrorCode } from './errors.ts';

export type Backend = 'webgpu' | 'wasm';

/** Where scoring runs: on this device, or on a vLLM server the user chose (the text leaves it). */
export type ScoringBackend = Backend | 'remote';

/** The variant that scores: a local ONNX variant, or `vllm` (the server's own weights). */
export type ScoringDtype = Dtype | 'vllm';

/** A model whose files are on this device or the Hub (everything but a server). */
export type FileSource = Exclude<ModelSource, { kind: 'vllm' }>;

/** Where a model comes from. */
export type ModelSource =
  | { kind: 'bundled'; id: string }
  | {
      kind: 'hub';
      /** `owner/name` of a converted model (prm.json, tokenizer files, onnx/model_<dtype>.onnx). */
      repo: string;
      /** Branch, tag or commit; default `main`. */
      revision?: string;
      /** Hub base URL; default `https://huggingface.co` (tests point it at a local server). */
      endpoint?: string;
    }
  | {
      kind: 'local';
      /** Files of a picked folder (directory picker or `<input webkitdirectory>`); never uploaded. */
      files: File[];
      /** Path of each file relative to the picked folder; defaults to `webkitRelativePath || name`. */
      paths?: string[];
    }
  | {
      /** A vLLM server (POST /pooling); the problem and steps are sent to it. */
      kind: 'vllm';
      /** Server root, e.g. `http://127.0.0.1:8000`. */
      url: string;
      /** The served model name. */
      model: string;
      /** The model folder whose prm.json and tokenizer build the prompt (its ONNX is not read). */
      prompt: FileSource;
    };

export type WorkerRequest =
  | { type: 'probe'; requestId?: number }
  /** The bundled models listed in the build's manifest. Replies `bundled`. */
  | { type: 'list-bundled'; requestId?: number }
  /** Size, dtype, backend and warnings of a model without downloading its weights. Replies `plan`. */
  | {
      type: 'inspect';
      requestId: number;
      source: ModelSource;
      dtype?: Dtype | 'auto';
      backend?: Backend | 'auto';
    }
  | {
      type: 'load';
      requestId: number;
      source: ModelSource;
      dtype?: Dtype | 'auto';
      backend?: Backend | 'auto';
    }
  | {
      type: 'score';
      requestId: number;
      problem: string;
      /** One entry per solution (Best-of-N sends several). */
      solutions: string[][];
      threshold?: number;
      /** Score only the steps that fit the context window (the user agreed). */
      truncate?: boolean;
    }
  | { type: 'cancel'; requestId: number }
  | { type: 'cache-list'; requestId?: number }
  /** Deletes cached Hub models: one repo (any revision and endpoint) or, without `repo`, all. */
  | { type: 'cache-clear'; requestId?: number; repo?: string };

/** What the WebGPU adapter offers, as probed in the worker (ort-web.ts) and shown on the page. */
export interface AdapterFacts {
  vendor: string;
  architecture: string;
  shaderF16: boolean;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  /** Smallest subgroup size when the adapter has subgroups (below 16 the engine turns them off). */
  subgroupMinSize?: number;
  /** `GPUAdapterInfo.isFallbackAdapter` (or the older `GPUAdapter.isFallbackAdapter`). */
  isFallbackAdapter?: boolean;
  /** `GPUAdapterInfo.description`, e.g. "SwiftShader Device (Subzero)". */
  description?: string;
}

export interface BackendInfo {
  backend: ScoringBackend;
  /** The ONNX variant that runs, e.g. q4 or q4f16; `vllm` on a server. */
  dtype: ScoringDtype;
  /** Set when scoring runs on a vLLM server: where the text is sent. */
  server?: { url: string; model: string };
  /** Why this backend and variant were chosen (shown to the user). */
  reason: string;
  /** Adapter details when WebGPU is present. */
  adapter?: AdapterFacts;
  /** WASM threads (1 on WebGPU, where ORT's CPU side is not the bottleneck). */
  threads: number;
  crossOriginIsolated: boolean;
}

/** What loading a model will take, known before its weights are downloaded. */
export interface ModelPlan {
  /** Where the model comes from, for display (e.g. `models/demo/`, `hub:owner/name@main/`). */
  label: string;
  spec: ModelSpec;
  /** The files that will be read (tokenizer, prm.json, the chosen ONNX variant and its data). */
  files: { path: string; size: number | null }[];
  /** Sum of known sizes. */
  totalBytes: number;
  /** Bytes already in the browser cache (Hub) or local (bundled/local: 0 to download). */
  cachedBytes: number;
  /** The backend and variant that will run, and why. */
  backend: BackendInfo;
  /** Memory/limit warnings to show before the download starts. */
  warnings: string[];
}

export interface LoadedModel {
  spec: ModelSpec;
  /** Total bytes of the files that were loaded. */
  bytes: number;
  backend: BackendInfo;
  timings: { loadMs: number; compileMs: number; warmupMs: number };
  /** Same as the plan's label. */
  label: string;
  /** Warnings found while loading (e.g. a weight larger than the GPU's buffer limit). */
  warnings: string[];
}

export interface SolutionResult {
  rewards: number[];
  firstError: number;
  /** Tokens of the full input (all steps). */
  tokenCount: number;
  /** Steps scored: fewer than given when truncated to the context window. */
  scoredSteps: number;
  /** Steps given. */
  totalSteps: number;
}

export interface FileProgress {
  path: string;
  loaded: number;
  /** null when the size is unknown. */
  total: number | null;
}

/** One cached Hub model. */
export interface CacheEntry {
  repo: string;
  revision: string;
  endpoint: string;
  bytes: number;
  files: number;
}

export type WorkerReply =
  | {
      status: 'probed';
      requestId?: number;
      webgpu: boolean;
      shaderF16: boolean;
      crossOriginIsolated: boolean;
      /** WASM threads the engine will use. */
      threads: number;
      adapter?: AdapterFacts;
      reason: string;
    }
  | {
      status: 'bundled';
      requestId?: number;
      models: { id: string; name: string; bytes: number; dtypes: Dtype[] }[];
    }
  | { status: 'plan'; requestId: number; plan: ModelPlan }
  | {
      status: 'progress';
      requestId: number;
      phase: 'download' | 'compile' | 'warmup' | 'score';
      /** The file being read (download phase). */
      file?: string;
      /** Bytes (download) or solutions (score) done and in all. */
      loaded: number;
      total: number;
      /** Per-file bytes (download phase), for a detailed view. */
      files?: FileProgress[];
    }
  | { status: 'loaded'; requestId: number; model: LoadedModel }
  | { status: 'scored'; requestId: number; results: SolutionResult[]; threshold: number; runMs: number }
  | {
      status: 'context-overflow';
      requestId: number;
      /** Index of the first solution that does not fit. */
      solution: number;
      tokenCount: number;
      limit: number;
      /** Leading whole steps of that solution that fit (0: none; truncation cannot help). */
      fittingSteps: number;
      totalSteps: number;
    }
  | { status: 'backend-changed'; requestId?: number; backend: BackendInfo; reason: string }
  | { status: 'cancelled'; requestId: number }
  | {
      status: 'cache';
      requestId?: number;
      entries: CacheEntry[];
      /** Bytes the browser says this origin uses and may use. */ usage?: number;
      quota?: number;
    }
  | {
      status: 'error';
      requestId?: number;
      code: EngineErrorCode;
      message: string;
      /** The model file the error is about. */
      file?: string;
      /** code `quota`: bytes the download needs. */
      bytesNeeded?: number;
    };

/**
 * The conversion worker (convert-worker.ts): converts a Hub checkpoint inside the page into the
 * Origin Private File System, with the same code as `prm convert` (src/convert/convert-core.ts).
 * A `convert` ends in exactly one of `converted`, `convert-error` (code `cancelled` after a
 * `convert-cancel`); `convert-progress` comes in between.
 */
export type ConvertRequest =
  | {
      type: 'convert';
      repo: string;
      /** Branch, tag, commit or refs/pr/N (default main). */
      revision: string;
      /** Normalised Hub base URL. */
      endpoint: string;
      dtypes: Dtype[];
      /** Bytes this origin may still store (quota - usage), measured by the page; null: unknown. */
      available: number | null;
      /** `prm convert` flags the catalog gives the model (e.g. `--quantize-embedding`). */
      flags: string[];
    }
  | { type: 'convert-cancel' };

/** A converted model kept in OPFS (its folder is `prm convert`'s output, byte for byte). */
export interface StoredModel {
  /** The OPFS folder name under the store. */
  key: string;
  repo: string;
  revision: string;
  /** The commit the revision pointed at (every file was read at it). */
  commit: string;
  endpoint: string;
  dtypes: Dtype[];
  /** Bytes of the model folder. */
  bytes: number;
  /** When the conversion finished (ISO 8601). */
  date: string;
  /** prm.json `name`. */
  name: string;
}

export type ConvertErrorCode =
  /** Too little storage: `bytesNeeded` says how much; nothing was written. */
  | 'quota'
  /** The Hub or its CDN could not be reached or answered wrongly. */
  | 'network'
  /** The repo changed under the conversion (another commit, another file size). */
  | 'changed'
  /** The checkpoint cannot be converted (unknown architecture, lying header, missing files). */
  | 'bad-checkpoint'
  /** The browser's storage failed (OPFS). */
  | 'storage'
  | 'cancelled'
  /** The converter's own fault (a crashed worker, a bug): never blamed on the checkpoint. */
  | 'internal';

export interface ConvertProgress {
  /** Checkpoint tensor just read. */
  tensor: string;
  tensorsDone: number;
  tensorsTotal: number;
  /** Checkpoint bytes read so far, and what the conversion reads in all (not what the files hold). */
  bytesRead: number;
  bytesTotal: number;
  /** Bytes laid out in the output so far. */
  bytesWritten: number;
  /** Milliseconds since the download began. */
  elapsedMs: number;
}

export type ConvertReply =
  | { status: 'convert-plan'; commit: string; estimatedBytes: number }
  /** Something the user should know that does not stop the conversion (a restart, a resume). */
  | { status: 'convert-note'; message: string }
  | ({ status: 'convert-progress' } & ConvertProgress)
  | { status: 'converted'; model: StoredModel }
  | { status: 'convert-error'; code: ConvertErrorCode; message: string; bytesNeeded?: number };
