/**
 * The one module that imports onnxruntime-web. It loads one of two builds of it on first use
 * (`chooseOrtBuild`: `onnxruntime-web/jspi` where the browser has WebAssembly JSPI, else
 * `onnxruntime-web/webgpu`, the asyncify build; both run WebGPU and WASM), configures it
 * (self-hosted wasm under `/ort/`, threads), probes WebGPU, and creates and runs sessions through
 * one queue, because WASM and WebGPU sessions must not be entered concurrently.
 *
 * Import it first in the worker: @huggingface/transformers points ORT at a public CDN on import
 * unless an ORT is registered under `Symbol.for('onnxruntime')`; the registration below happens
 * on import, before the build is chosen, so transformers.js (used here for tokenizers only) never
 * configures a CDN. It does not choose backends or dtypes (backend.ts), read model files
 * (sources/) or know about PRMs.
 */
import type * as OrtTypes from 'onnxruntime-web/webgpu';
import type { Environment, OrtBuild } from './backend.ts';
import type { AdapterFacts } from './protocol.ts';
import { chooseOrtBuild, MIN_SUBGROUP_SIZE, subgroupFreeDeviceRequest, wasmThreads } from './backend.ts';
import { GraphContractError, runPadded, serialQueue, type ItemLogits } from '../core/runner.ts';
import { DefaultStreamBlob } from './default-stream-blob.ts';
import { EngineError } from './errors.ts';
import type { CreateOptions, Runtime, RuntimeSession } from './runtime.ts';

type Ort = typeof OrtTypes;

const origin = typeof self !== 'undefined' && self.location ? self.location.origin : 'http://127.0.0.1';
/** Where the build puts ORT's wasm/mjs files (vite.config.ts `ORT_FILES`). */
export const ORT_WASM_BASE = new URL(`${import.meta.env.BASE_URL}ort/`, `${origin}/`).href;

const workerName = typeof self !== 'undefined' ? ((self as { name?: string }).name ?? '') : '';
/** The build this worker loads (fixed for its lifetime: ORT's wasm starts once). */
export const ORT_BUILD: OrtBuild = chooseOrtBuild(
  typeof WebAssembly === 'object' && 'Suspending' in WebAssembly,
  workerName,
);

/** Our settings of `ort.env`: the stand-in below carries them, and the loaded build gets them. */
const WASM_ENV = { wasmPaths: ORT_WASM_BASE, proxy: false };
const LOG_LEVEL = 'error';

// Until a build is loaded, transformers.js finds this stand-in: it only reads `env` on import.
(globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = {
  env: { wasm: { ...WASM_ENV }, webgpu: {}, logLevel: LOG_LEVEL },
};

let ortLoading: Promise<Ort> | null = null;

/** Loads and configures the chosen onnxruntime-web build (once; a separate chunk for each build). */
function loadOrt(): Promise<Ort> {
  ortLoading ??= (async () => {
    let ort: Ort;
    try {
      ort =
        ORT_BUILD === 'jspi'
          ? ((await import('onnxruntime-web/jspi')) as unknown as Ort)
          : await import('onnxruntime-web/webgpu');
    } catch (e) {
      ortLoading = null; // a later load may try again (e.g. after a network hiccup)
      throw new EngineError(
        'backend',
        `Could not load onnxruntime-web's ${ORT_BUILD} build (${(e as Error).message}). Reload the page` +
          (ORT_BUILD === 'jspi' ? ', or open it with ?ort=asyncify to use the other build.' : '.'),
        { cause: e },
      );
    }
    Object.assign(ort.env.wasm, WASM_ENV);
    ort.env.logLevel = LOG_LEVEL;
    // Fixed once: ORT reads numThreads when its wasm module starts, on the first session.
    ort.env.wasm.numThreads = configureThreads();
    (globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = ort;
    return ort;
  })();
  return ortLoading;
}

let configuredThreads: number | null = null;
let probed: Promise<{ env: Environment; adapter: GPUAdapter | null }> | null = null;

function configureThreads(): number {
  if (configuredThreads === null) {
    const isolated = globalThis.crossOriginIsolated === true;
    configuredThreads = wasmThreads(isolated, navigator.hardwareConcurrency ?? 1);
  }
  return configuredThreads;
}

/**
 * What this browser offers: a WebGPU adapter (with `shader-f16` and limits) or why there is none,
 * isolation, cores and device memory. Probed once; later calls share the answer.
 *
 * @example
 * const env = await probeEnvironment();
 * env.adapter?.shaderF16; // false on SwiftShader
 */
export function probeEnvironment(): Promise<Environment> {
  probed ??= (async () => {
    configureThreads();
    const nav = navigator as Navigator & { gpu?: GPU; deviceMemory?: number };
    const env: Environment = {
      adapter: null,
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      hardwareConcurrency: nav.hardwareConcurrency ?? 1,
      ortBuild: ORT_BUILD,
    };
    if (typeof nav.deviceMemory === 'number') env.deviceMemoryGb = nav.deviceMemory;
    let adapter: GPUAdapter | null = null;
    if (!nav.gpu) {
      env.noAdapterReason = 'This browser exposes no WebGPU (navigator.gpu is missing)';
    } else {
      try {
        adapter = await nav.gpu.requestAdapter({ powerPreference: 'high-performance' });
      } catch (e) {
        env.noAdapterReason = `navigator.gpu.requestAdapter() failed (${(e as Error).message})`;
      }
      if (!adapter && !env.noAdapterReason) {
        env.noAdapterReason =
          'WebGPU found no adapter (navigator.gpu.requestAdapter() returned null: WebGPU is disabled or the GPU is not supported)';
      }
    }
    if (adapter) {
      const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; isFallbackAdapter?: boolean };
      // isFallbackAdapter moved from GPUAdapter to GPUAdapterInfo (Chromium 136); read both.
      const fallback =
        info?.isFallbackAdapter ??
        (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
      const facts: AdapterFacts = {
        vendor: info?.vendor ?? '',
        architecture: info?.architecture ?? '',
        description: info?.description ?? '',
        isFallbackAdapter: fallback === true,
        shaderF16: adapter.features.has('shader-f16'),
        maxBufferSize: adapter.limits.maxBufferSize,
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      };
      if (adapter.features.has('subgroups') && typeof info?.subgroupMinSize === 'number')
        facts.subgroupMinSize = info.subgroupMinSize;
      env.adapter = facts;
    }
    return { env, adapter };
  })();
  return probed.then((p) => p.env);
}

// One queue for session creation and runs across every session: WASM and WebGPU sessions must
// not be entered concurrently (transformers.js does the same:
// https://github.com/huggingface/transformers.js/blob/main/src/backends/onnx.js).
const serial = serialQueue();

// onnxruntime's WebGPU attention kernels (GroupQueryAttention, MultiHeadAttention) use subgroup
// shuffles that assume 16-lane subgroups (their subgroup path hard-codes 16 keys per step; see
// https://github.com/microsoft/onnxruntime/pull/28520, which fixed the same assumption for wider
// subgroups), so on adapters whose subgroups are narrower (SwiftShader: 4; some mobile GPUs)
// every query row past the first subgroup comes out wrong once the sequence reaches 32 tokens
// (the size of the gap: bench/README.md, "WebGPU on narrow subgroups"). Such adapters get a
// device without the `subgroups` feature, which makes ORT take its subgroup-free kernels.
let ownDevice: Promise<GPUDevice> | null = null;

/** A device for ORT without `subgroups`; every adapter limit at its maximum, as ORT itself asks. */
function deviceWithoutSubgroups(adapter: GPUAdapter): Promise<GPUDevice> {
  ownDevice ??= adapter.requestDevice(subgroupFreeDeviceRequest(adapter) as GPUDeviceDescriptor);
  return ownDevice;
}

const lostCallbacks: ((reason: string) => void)[] = [];
let watchedDevice: unknown = null;

async function watchDevice(): Promise<void> {
  try {
    const ort = await loadOrt();
    const device = ownDevice ? await ownDevice : ((await ort.env.webgpu.device) as GPUDevice | undefined);
    if (!device || device === watchedDevice) return;
    watchedDevice = device;
    void device.lost.then((info) => {
      const reason = `the GPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''})`;
      for (const cb of lostCallbacks) cb(reason);
    });
  } catch {
    // No device to watch (e.g. creation failed); run errors still trigger the fallback.
  }
}

class OrtSession implements RuntimeSession {
  constructor(
    private readonly ort: Ort,
    private session: OrtTypes.InferenceSession | null,
    readonly backend: 'webgpu' | 'wasm',
    private readonly file: string,
  ) {}

  get inputNames(): readonly string[] {
    return this.session?.inputNames ?? [];
  }

  get outputNames(): readonly string[] {
    return this.session?.outputNames ?? [];
  }

  run(batch: number[][]): Promise<ItemLogits[]> {
    return serial(async () => {
      const session = this.session;
      if (!session) throw new EngineError('internal', `The session for ${this.file} was already released.`);
      try {
        return await runPadded(this.file, batch, async (ids, mask, dims) => {
          const out = await session.run(
            {
              input_ids: new this.ort.Tensor('int64', ids, dims),
              attention_mask: new this.ort.Tensor('int64', mask, dims),
            },
            ['logits'],
          );
          return { logits: out.logits, release: () => Object.values(out).forEach((t) => t.dispose()) };
        });
      } catch (e) {
        // A graph that breaks the contract is the model's fault, not the backend's: no fallback.
        if (e instanceof GraphContractError)
          throw new EngineError('bad-model', e.message, { file: this.file, cause: e });
        throw e;
      }
    });
  }

  dispose(): Promise<void> {
    return serial(async () => {
      const s = this.session;
      this.session = null;
      await s?.release();
    });
  }
}

/**
 * The onnxruntime-web implementation of `Runtime`.
 *
 * @example
 * const session = await ortWebRuntime.create(modelBytes, { backend: 'wasm', file: 'onnx/model.onnx', externalData: [] });
 * const [{ logits, seqLen }] = await session.run([[1, 2, 3]]);
 */
export const ortWebRuntime: Runtime = {
  create(model: Uint8Array, options: CreateOptions): Promise<RuntimeSession> {
    return serial(async () => {
      const ort = await loadOrt();
      let ep: OrtTypes.InferenceSession.ExecutionProviderConfig = options.backend;
      if (options.backend === 'webgpu') {
        const p = await probed;
        const narrow = (p?.env.adapter?.subgroupMinSize ?? MIN_SUBGROUP_SIZE) < MIN_SUBGROUP_SIZE;
        if (p?.adapter && narrow) {
          try {
            ep = { name: 'webgpu', device: await deviceWithoutSubgroups(p.adapter) };
          } catch (e) {
            ownDevice = null;
            // Without it attention would be wrong on this adapter; the engine falls back to WASM.
            throw new EngineError(
              'backend',
              `Could not create a WebGPU device without subgroups (${(e as Error).message}).`,
              { cause: e },
            );
          }
        } else if (p?.adapter && !ort.env.webgpu.adapter) {
          // Hand ORT the adapter that was probed, so the limits we checked are the ones it gets.
          ort.env.webgpu.adapter = p.adapter;
        }
      }
      let session: OrtTypes.InferenceSession;
      try {
        session = await ort.InferenceSession.create(model, {
          executionProviders: [ep],
          graphOptimizationLevel: 'all',
          // Blobs go in as default streams: BYOB reads of Blob streams can stall in Chromium.
          externalData: options.externalData.map((e) =>
            e.data instanceof Blob ? { path: e.path, data: new DefaultStreamBlob([e.data]) } : e,
          ),
          logSeverityLevel: 3,
        });
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        // The one op our converter emits that WASM lacks: onnxruntime has GatherBlockQuantized
        // kernels for its CPU and WebGPU providers (microsoft/onnxruntime#21630, #21734), but
        // onnxruntime-web's WASM build registers none. Say what to do, not just what failed.
        const hint =
          options.backend === 'wasm' && /implementation for GatherBlockQuantized/.test(msg)
            ? ' This model stores its embedding 4-bit (converted with --quantize-embedding), which only WebGPU ' +
              'runs: open it in a browser with WebGPU, or convert the checkpoint again without --quantize-embedding.'
            : '';
        throw new EngineError(
          'backend',
          `onnxruntime could not load ${options.file} on ${options.backend === 'webgpu' ? 'WebGPU' : 'WASM'}: ${msg}${hint}`,
          {
            file: options.file,
            cause: e,
          },
        );
      }
      if (options.backend === 'webgpu') await watchDevice();
      return new OrtSession(ort, session, options.backend, options.file);
    });
  },
  onDeviceLost(callback) {
    lostCallbacks.push(callback);
  },
};
