/**
 * Which backend (WebGPU or WASM) and which ONNX variant (dtype) run a model, and why, from what
 * the browser offers (adapter, `shader-f16`, limits, isolation) and what the model ships
 * (`prm.json` dtypes). Also the memory warnings shown before a download.
 *
 * Pure decisions over plain data, so they are unit-tested in Node; probing the browser and
 * loading sessions happen in ort-web.ts.
 */
import type { Dtype } from '../core/types.ts';
import type { AdapterFacts, Backend, BackendInfo } from './protocol.ts';
import { formatBytes } from '../core/format.ts';

// Software rasterisers that expose WebGPU on the CPU: Chromium's SwiftShader, Mesa's llvmpipe /
// lavapipe / softpipe, Windows' WARP ("Microsoft Basic Render Driver").
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|\bwarp\b|microsoft basic render/i;

/**
 * Why an adapter is a software (CPU-emulated) one, or null for a real GPU: the browser's
 * `isFallbackAdapter` flag, or a vendor / architecture / description naming a software renderer.
 * Such an adapter runs WebGPU on the same CPU as WASM, through an emulation layer, so WASM is
 * faster there (https://www.w3.org/TR/webgpu/#gpuadapterinfo-isfallbackadapter).
 *
 * @example
 * softwareAdapter({ vendor: 'google', architecture: 'swiftshader', ... }); // 'it is SwiftShader, a software renderer'
 */
export function softwareAdapter(a: AdapterFacts): string | null {
  const named = [a.vendor, a.architecture, a.description ?? ''].join(' ').match(SOFTWARE_ADAPTER);
  if (named) {
    const name = /swiftshader/i.test(named[0]) ? 'SwiftShader' : named[0];
    return `it is ${name}, a software renderer that emulates a GPU on the CPU`;
  }
  if (a.isFallbackAdapter) return 'the browser marks it as a fallback (software) adapter';
  return null;
}

/** The backend a user asked for: the app's Auto / WebGPU / WASM choice or `?backend=`. */
export type BackendChoice = Backend | 'auto';

/** `?backend=webgpu|wasm` (or `auto`) from a query string; null when absent or unknown. */
export function backendFromQuery(search: string): BackendChoice | null {
  const v = new URLSearchParams(search).get('backend');
  return v === 'webgpu' || v === 'wasm' || v === 'auto' ? v : null;
}

/** The quoted name of an adapter, as the reasons say it. */
export function adapterName(a: AdapterFacts): string {
  return `WebGPU adapter "${[a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown'}"`;
}

/**
 * The backend for a request and the sentences that say why, before any dtype is chosen: WASM
 * when asked, when there is no adapter, or (for Auto) when the adapter is a software one;
 * WebGPU otherwise. Shared by `chooseVariant` and the page's prediction before a model loads.
 *
 * @example
 * pickBackend(swiftshaderEnv, 'auto').backend; // 'wasm'
 * pickBackend(swiftshaderEnv, 'webgpu').backend; // 'webgpu'
 */
export function pickBackend(
  env: Pick<Environment, 'adapter' | 'noAdapterReason'>,
  want: BackendChoice = 'auto',
): { backend: Backend; said: string[] } {
  const a = env.adapter;
  if (want === 'wasm') return { backend: 'wasm', said: ['WASM was requested'] };
  if (!a) {
    const why = env.noAdapterReason ?? 'No WebGPU adapter';
    return {
      backend: 'wasm',
      said: [
        want === 'webgpu'
          ? `WebGPU was requested but: ${why}; running on WASM`
          : `${why}, so running on WASM`,
      ],
    };
  }
  const software = softwareAdapter(a);
  if (software && want === 'auto') {
    return {
      backend: 'wasm',
      said: [
        `The only ${adapterName(a)} is a software one (${software}), usually much slower than WASM on the same CPU, so running on WASM; choose WebGPU under Backend (or open the page with ?backend=webgpu) to use it anyway`,
      ],
    };
  }
  if (want === 'webgpu')
    return { backend: 'webgpu', said: [`WebGPU was requested${software ? ` (${software})` : ''}`] };
  return { backend: 'webgpu', said: [] };
}

/** Below this subgroup size onnxruntime's attention kernels are wrong; ort-web.ts turns subgroups off. */
export const MIN_SUBGROUP_SIZE = 16;

/**
 * What to ask of an adapter for a device without the `subgroups` feature (see
 * MIN_SUBGROUP_SIZE): every other feature except Chromium-internal ones, and every numeric limit
 * at the adapter's maximum, as onnxruntime asks when it creates its own device. Structural
 * types, so this module needs no WebGPU typings; callers pass a GPUAdapter.
 *
 * @example
 * const device = await adapter.requestDevice(subgroupFreeDeviceRequest(adapter) as GPUDeviceDescriptor);
 */
export function subgroupFreeDeviceRequest(adapter: { features: Iterable<string>; limits: object }): {
  requiredFeatures: string[];
  requiredLimits: Record<string, number>;
} {
  const requiredFeatures = [...adapter.features].filter(
    (f) => f !== 'subgroups' && f !== 'subgroup-size-control' && !f.startsWith('chromium-'),
  );
  const requiredLimits: Record<string, number> = {};
  // Adapter limits are prototype getters, so walk with for...in rather than Object.keys.
  for (const key in adapter.limits) {
    const v = (adapter.limits as Record<string, unknown>)[key];
    if (typeof v === 'number') requiredLimits[key] = v;
  }
  return { requiredFeatures, requiredLimits };
}

/** What the browser offers, as probed once in the worker. */
export interface Environment {
  /** null when there is no WebGPU adapter; `noAdapterReason` then says why. */
  adapter: AdapterFacts | null;
  noAdapterReason?: string;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  /** navigator.deviceMemory in GB when the browser tells (Chromium rounds it, max 8). */
  deviceMemoryGb?: number;
  /** Which onnxruntime-web build runs (`chooseOrtBuild`); said in the reason when known. */
  ortBuild?: OrtBuild;
}

/** onnxruntime-web's JSPI build, or its asyncify build (the `onnxruntime-web/webgpu` default). */
export type OrtBuild = 'jspi' | 'asyncify';

/**
 * The onnxruntime-web build to load: JSPI where the browser has WebAssembly JSPI (Chromium 137+),
 * because it scores, loads and uses memory better than the asyncify build (bench/README.md, "The
 * onnxruntime-web build"); asyncify elsewhere, or when the page asks for it (`?ort=asyncify`,
 * passed in the worker's name).
 *
 * @example
 * chooseOrtBuild(true, 'prm-engine'); // 'jspi'
 * chooseOrtBuild(true, 'prm-engine ort=asyncify'); // 'asyncify'
 */
export function chooseOrtBuild(hasJspi: boolean, workerName = ''): OrtBuild {
  if (/\bort=asyncify\b/.test(workerName)) return 'asyncify';
  return hasJspi ? 'jspi' : 'asyncify';
}

export interface VariantChoice {
  backend: Backend;
  dtype: Dtype;
  reason: string;
}

/**
 * WASM threads: up to 4 when cross-origin isolated (SharedArrayBuffer), else 1, because ORT
 * silently falls back to one thread without isolation and more than 4 rarely helps a batch of one.
 *
 * @example
 * wasmThreads(true, 16); // 4
 * wasmThreads(false, 16); // 1
 */
export function wasmThreads(crossOriginIsolated: boolean, hardwareConcurrency: number): number {
  if (!crossOriginIsolated) return 1;
  return Math.max(1, Math.min(4, Math.floor(hardwareConcurrency) || 1));
}

// Preference per backend. fp16 activations need shader-f16 on WebGPU and have few kernels on the
// WASM CPU provider, so they come last there.
const WEBGPU_F16_ORDER: Dtype[] = ['q4f16', 'q4', 'fp16', 'fp32'];
const WEBGPU_ORDER: Dtype[] = ['q4', 'fp32'];
const WASM_ORDER: Dtype[] = ['q4', 'fp32', 'q4f16', 'fp16'];
const NEEDS_F16: Dtype[] = ['q4f16', 'fp16'];

function listOf(dtypes: Dtype[]): string {
  return dtypes.join(', ');
}

/**
 * Picks backend and dtype. `backend`/`dtype` may be forced by the caller; a forced choice that
 * cannot run falls back to the automatic one and the reason says so.
 *
 * @example
 * chooseVariant({ adapter: { shaderF16: false, ... }, ... }, ['fp32', 'q4', 'q4f16']);
 * // { backend: 'webgpu', dtype: 'q4', reason: 'WebGPU adapter (...) has no shader-f16, so q4 (4-bit weights, fp32 activations) ...' }
 */
export function chooseVariant(
  env: Environment,
  available: Dtype[],
  want: { backend?: Backend | 'auto'; dtype?: Dtype | 'auto' } = {},
): VariantChoice {
  if (available.length === 0) throw new Error('chooseVariant: the model offers no dtypes');
  // Sentences joined into `reason`, in the order a person would ask: which backend, which variant.
  const a = env.adapter;
  const picked = pickBackend(env, want.backend);
  const said = picked.said;
  const backend: Backend = picked.backend;
  const name = a ? adapterName(a) : '';
  const f16 = backend === 'webgpu' && a?.shaderF16 === true;
  const order = backend === 'wasm' ? WASM_ORDER : f16 ? WEBGPU_F16_ORDER : WEBGPU_ORDER;
  const wasmHow = `${env.crossOriginIsolated ? `multi-threaded (${wasmThreads(true, env.hardwareConcurrency)} threads)` : 'single-threaded (the page is not cross-origin isolated)'} WASM`;
  const sub = a?.subgroupMinSize;
  const subNote =
    sub !== undefined && sub < MIN_SUBGROUP_SIZE
      ? `Its subgroups are ${sub} wide, narrower than the ${MIN_SUBGROUP_SIZE} onnxruntime's attention kernels assume, so they are turned off`
      : '';
  const finish = (b: Backend, d: Dtype, tail: string): VariantChoice => ({
    backend: b,
    dtype: d,
    reason:
      [
        ...said,
        tail,
        b === 'webgpu' ? subNote : '',
        env.ortBuild ? `onnxruntime-web ${env.ortBuild === 'jspi' ? 'JSPI' : 'asyncify'} build` : '',
      ]
        .filter(Boolean)
        .join('. ') + '.',
  });

  if (want.dtype && want.dtype !== 'auto') {
    const d = want.dtype;
    if (!available.includes(d)) said.push(`${d} was requested but the model only has ${listOf(available)}`);
    else if (backend === 'webgpu' && NEEDS_F16.includes(d) && !f16)
      said.push(`${d} was requested but ${name} has no shader-f16`);
    else
      return finish(
        backend,
        d,
        backend === 'webgpu' ? `${name}; ${d} as requested` : `${d} as requested, on ${wasmHow}`,
      );
  }
  const dtype = order.find((d) => available.includes(d));
  if (!dtype) {
    // Only fp16 variants and an adapter without shader-f16: WASM is the one way to run them.
    const fallback = WASM_ORDER.find((d) => available.includes(d))!;
    return finish(
      'wasm',
      fallback,
      `${name} has no shader-f16 and the model only has ${listOf(available)}, so running ${fallback} on ${wasmHow}`,
    );
  }
  if (backend === 'webgpu') {
    const desc =
      dtype === 'q4f16'
        ? ' (4-bit weights, fp16 activations)'
        : dtype === 'q4'
          ? ' (4-bit weights, fp32 activations)'
          : '';
    const why = f16
      ? dtype === 'q4f16'
        ? 'has shader-f16'
        : `has shader-f16 but the model has no q4f16`
      : 'has no shader-f16';
    return finish(backend, dtype, `${name} ${why}, so ${dtype}${desc} on WebGPU`);
  }
  return finish(backend, dtype, `${dtype}${dtype === 'q4' ? ' (4-bit weights)' : ''} on ${wasmHow}`);
}

/** The full BackendInfo reported to the page for a choice. */
export function backendInfo(env: Environment, choice: VariantChoice): BackendInfo {
  const info: BackendInfo = {
    backend: choice.backend,
    dtype: choice.dtype,
    reason: choice.reason,
    threads: choice.backend === 'wasm' ? wasmThreads(env.crossOriginIsolated, env.hardwareConcurrency) : 1,
    crossOriginIsolated: env.crossOriginIsolated,
  };
  if (env.adapter) info.adapter = { ...env.adapter };
  return info;
}

const GB = 1024 ** 3;

/**
 * Warnings about memory before a download or a session: the adapter's buffer limits against the
 * largest single file or weight, wasm32's 4 GB, ArrayBuffer sizes and the device's memory.
 *
 * @example
 * memoryWarnings(env, 'webgpu', { totalBytes: 5e9, largestTensorBytes: 1.2e9 });
 * // ['The largest weight (1.12 GB) exceeds this GPU's maxStorageBufferBindingSize (1 GB); ...']
 */
export function memoryWarnings(
  env: Environment,
  backend: Backend,
  sizes: {
    totalBytes: number;
    largestTensorBytes?: number;
    largestTensorName?: string;
    modelFileBytes?: number;
  },
): string[] {
  const out: string[] = [];
  const a = env.adapter;
  if (backend === 'webgpu' && a && sizes.largestTensorBytes !== undefined) {
    const limit = Math.min(a.maxBufferSize, a.maxStorageBufferBindingSize);
    if (sizes.largestTensorBytes > limit) {
      const which =
        a.maxStorageBufferBindingSize <= a.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
      out.push(
        `The largest weight${sizes.largestTensorName ? ` (${sizes.largestTensorName})` : ''} is ${formatBytes(sizes.largestTensorBytes)}, more than this GPU's ${which} (${formatBytes(limit)}); ` +
          'WebGPU will likely fail to load it. Use a variant with a quantized embedding, or WASM.',
      );
    }
  }
  if (backend === 'wasm' && sizes.totalBytes > 4 * GB) {
    out.push(
      `The model is ${formatBytes(sizes.totalBytes)}, more than WASM's 4 GB memory; it cannot run on WASM. Use a smaller or 4-bit variant.`,
    );
  }
  if (sizes.modelFileBytes !== undefined && sizes.modelFileBytes > 2 * GB) {
    out.push(
      `The .onnx file itself is ${formatBytes(sizes.modelFileBytes)}; browsers cap single buffers near 2 GB. Convert it with external data.`,
    );
  }
  if (env.deviceMemoryGb !== undefined && sizes.totalBytes > (env.deviceMemoryGb * GB) / 2) {
    out.push(
      `The model is ${formatBytes(sizes.totalBytes)} and this device reports about ${env.deviceMemoryGb} GB of memory; loading may fail or slow the machine down.`,
    );
  }
  return out;
}

/** The most model bytes the engine loads through the asyncify build (see `asyncifyMemory`). */
export const ASYNCIFY_MAX_MODEL_BYTES = 4 * GB;
/** From this size on, a model loaded through the asyncify build gets the warning. */
const ASYNCIFY_LARGE_BYTES = 1 * GB;

/**
 * What loading `modelBytes` (graph and external data) costs where JSPI is missing and
 * onnxruntime-web's asyncify build runs (`chooseOrtBuild`): that build reads every external data
 * file whole into the page's memory, all of them at once, before the session is created
 * (`loadFile` + `mountExternalData` in onnxruntime-web's wasm-core-impl.ts; the JSPI build streams
 * Blob data instead, microsoft/onnxruntime#29477). Above `ASYNCIFY_MAX_MODEL_BYTES` (WASM's
 * 32-bit memory) the engine refuses rather than let the tab run out of memory; from 1 GB on it
 * warns. Null for the JSPI build or a small model.
 *
 * @example
 * asyncifyMemory({ ...env, ortBuild: 'asyncify' }, 4.5e9);
 * // { refuse: true, message: 'This browser has no WebAssembly JSPI, so ... 4.19 GB ... over the 4 GB ...' }
 */
export function asyncifyMemory(
  env: Pick<Environment, 'ortBuild'>,
  modelBytes: number,
): { refuse: boolean; message: string } | null {
  if (env.ortBuild !== 'asyncify' || modelBytes < ASYNCIFY_LARGE_BYTES) return null;
  const size = formatBytes(modelBytes);
  const limit = formatBytes(ASYNCIFY_MAX_MODEL_BYTES);
  const how =
    `This browser has no WebAssembly JSPI (or the page asked for ?ort=asyncify), so onnxruntime-web's asyncify build loads models here, ` +
    `and it reads all of a model's weight files into this tab's memory at once before the model starts`;
  const fix = 'Chromium 137 or later has JSPI, and its build streams the weights from storage instead';
  if (modelBytes > ASYNCIFY_MAX_MODEL_BYTES) {
    return {
      refuse: true,
      message: `${how}: this model is ${size}, over the ${limit} this page loads that way (WASM's 32-bit memory limit), so it is not loaded. ${fix}; or choose a smaller model.`,
    };
  }
  return {
    refuse: false,
    message: `${how} (${size} for this model; at most ${limit} is loaded that way). ${fix}.`,
  };
}
