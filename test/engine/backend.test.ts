import { describe, expect, it } from 'vitest';
import type { Dtype } from '../../src/core/types.ts';
import {
  chooseOrtBuild,
  backendFromQuery,
  chooseVariant,
  ASYNCIFY_MAX_MODEL_BYTES,
  asyncifyMemory,
  memoryWarnings,
  pickBackend,
  softwareAdapter,
  wasmThreads,
  type Environment,
} from '../../src/engine/backend.ts';
import type { AdapterFacts } from '../../src/engine/protocol.ts';

const GIB = 2 ** 30;
const adapter = (over: Partial<AdapterFacts> = {}): AdapterFacts => ({
  vendor: 'nvidia',
  architecture: 'ampere',
  shaderF16: false,
  maxBufferSize: GIB,
  maxStorageBufferBindingSize: GIB,
  ...over,
});
const env = (a: AdapterFacts | null, over: Partial<Environment> = {}): Environment => ({
  adapter: a,
  noAdapterReason: a ? undefined : 'No WebGPU adapter',
  crossOriginIsolated: true,
  hardwareConcurrency: 8,
  ...over,
});
const ALL: Dtype[] = ['fp32', 'fp16', 'q4', 'q4f16'];

describe('wasmThreads(crossOriginIsolated, hardwareConcurrency)', () => {
  it.each([
    [true, 16, 4],
    [true, 2, 2],
    [true, 0, 1],
    [false, 16, 1],
  ])('wasmThreads(%s, %i) = %i', (iso, cores, expected) => {
    expect(wasmThreads(iso, cores)).toBe(expected);
  });
});

describe('chooseOrtBuild(hasJspi, workerName)', () => {
  it.each([
    [true, 'prm-engine', 'jspi'],
    [false, 'prm-engine', 'asyncify'],
    [true, 'prm-engine ort=asyncify', 'asyncify'],
    [false, 'prm-engine ort=asyncify', 'asyncify'],
    [true, '', 'jspi'],
  ] as const)('JSPI %s, worker %j -> %s', (hasJspi, name, build) => {
    expect(chooseOrtBuild(hasJspi, name)).toBe(build);
  });

  it('says the build at the end of the reason', () => {
    const env = { adapter: null, crossOriginIsolated: true, hardwareConcurrency: 2 };
    expect(chooseVariant({ ...env, ortBuild: 'jspi' }, ['q4']).reason).toMatch(
      /onnxruntime-web JSPI build\.$/,
    );
    expect(chooseVariant({ ...env, ortBuild: 'asyncify' }, ['q4']).reason).toMatch(/asyncify build\.$/);
    expect(chooseVariant(env, ['q4']).reason).not.toMatch(/build/);
  });
});

const SWIFTSHADER = {
  vendor: 'google',
  architecture: 'swiftshader',
  description: 'SwiftShader Device (Subzero)',
};

describe('softwareAdapter(facts)', () => {
  it.each([
    [SWIFTSHADER, /SwiftShader, a software renderer/],
    [{ vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }, /llvmpipe/],
    [
      { vendor: 'microsoft', architecture: '', description: 'Microsoft Basic Render Driver' },
      /Microsoft Basic Render/,
    ],
    [{ vendor: 'unknown', architecture: '', isFallbackAdapter: true }, /marks it as a fallback/],
    [{ vendor: 'nvidia', architecture: 'ampere', description: 'NVIDIA GeForce RTX 3080' }, null],
    [{ vendor: 'apple', architecture: 'metal-3', isFallbackAdapter: false }, null],
  ])('%j -> %s', (over, expected) => {
    const out = softwareAdapter(adapter(over));
    if (expected === null) expect(out).toBeNull();
    else expect(out).toMatch(expected);
  });
});

describe('pickBackend(env, want) and backendFromQuery(search)', () => {
  it.each([
    ['auto', 'wasm', /software one .*SwiftShader.*so running on WASM; choose WebGPU under Backend/],
    ['webgpu', 'webgpu', /^WebGPU was requested \(it is SwiftShader/],
    ['wasm', 'wasm', /^WASM was requested$/],
  ] as const)('SwiftShader as the only adapter, %s -> %s', (want, backend, said) => {
    const out = pickBackend(env(adapter(SWIFTSHADER)), want);
    expect(out.backend).toBe(backend);
    expect(out.said.join('. ')).toMatch(said);
  });

  it('a real GPU on Auto runs WebGPU with nothing to explain', () => {
    expect(pickBackend(env(adapter()), 'auto')).toEqual({ backend: 'webgpu', said: [] });
  });

  it.each([
    ['?backend=webgpu', 'webgpu'],
    ['?x=1&backend=wasm', 'wasm'],
    ['?backend=auto', 'auto'],
    ['?backend=gpu', null],
    ['', null],
  ])('backendFromQuery(%j) = %j', (search, expected) => {
    expect(backendFromQuery(search)).toBe(expected);
  });
});

describe('chooseVariant(env, dtypes, want)', () => {
  it.each([
    {
      name: 'f16 adapter, all dtypes -> webgpu q4f16',
      e: env(adapter({ shaderF16: true })),
      d: ALL,
      want: {},
      backend: 'webgpu',
      dtype: 'q4f16',
      reason: /has shader-f16, so q4f16/,
    },
    {
      name: 'no f16 -> webgpu q4',
      e: env(adapter()),
      d: ALL,
      want: {},
      backend: 'webgpu',
      dtype: 'q4',
      reason: /has no shader-f16, so q4 \(4-bit weights, fp32 activations\)/,
    },
    {
      name: 'f16 adapter without q4f16 -> q4',
      e: env(adapter({ shaderF16: true })),
      d: ['fp32', 'q4'] as Dtype[],
      want: {},
      backend: 'webgpu',
      dtype: 'q4',
      reason: /has no q4f16, so q4/,
    },
    {
      name: 'fp32 only -> webgpu fp32',
      e: env(adapter()),
      d: ['fp32'] as Dtype[],
      want: {},
      backend: 'webgpu',
      dtype: 'fp32',
      reason: /so fp32 on WebGPU/,
    },
    {
      name: 'no adapter -> wasm q4',
      e: env(null),
      d: ALL,
      want: {},
      backend: 'wasm',
      dtype: 'q4',
      reason: /No WebGPU adapter, so running on WASM.*multi-threaded \(4 threads\)/,
    },
    {
      name: 'no isolation -> single-threaded wasm',
      e: env(null, { crossOriginIsolated: false }),
      d: ['fp32'] as Dtype[],
      want: {},
      backend: 'wasm',
      dtype: 'fp32',
      reason: /single-threaded \(the page is not cross-origin isolated\)/,
    },
    {
      name: 'fp16-only model without shader-f16 -> wasm',
      e: env(adapter()),
      d: ['q4f16'] as Dtype[],
      want: {},
      backend: 'wasm',
      dtype: 'q4f16',
      reason: /no shader-f16 and the model only has q4f16/,
    },
    {
      name: 'SwiftShader on Auto -> wasm q4, saying why',
      e: env(adapter(SWIFTSHADER)),
      d: ALL,
      want: {},
      backend: 'wasm',
      dtype: 'q4',
      reason: /software one .*so running on WASM.*q4 \(4-bit weights\) on multi-threaded/,
    },
    {
      name: 'SwiftShader with WebGPU requested -> webgpu q4',
      e: env(adapter(SWIFTSHADER)),
      d: ALL,
      want: { backend: 'webgpu' as const },
      backend: 'webgpu',
      dtype: 'q4',
      reason: /WebGPU was requested .*google swiftshader" has no shader-f16, so q4/,
    },
    {
      name: 'wasm requested',
      e: env(adapter({ shaderF16: true })),
      d: ALL,
      want: { backend: 'wasm' as const },
      backend: 'wasm',
      dtype: 'q4',
      reason: /WASM was requested/,
    },
    {
      name: 'webgpu requested, no adapter',
      e: env(null),
      d: ALL,
      want: { backend: 'webgpu' as const },
      backend: 'wasm',
      dtype: 'q4',
      reason: /WebGPU was requested but: No WebGPU adapter/,
    },
    {
      name: 'fp32 requested',
      e: env(adapter()),
      d: ALL,
      want: { dtype: 'fp32' as const },
      backend: 'webgpu',
      dtype: 'fp32',
      reason: /fp32 as requested/,
    },
    {
      name: 'q4f16 requested without f16',
      e: env(adapter()),
      d: ALL,
      want: { dtype: 'q4f16' as const },
      backend: 'webgpu',
      dtype: 'q4',
      reason: /q4f16 was requested but .* has no shader-f16/,
    },
    {
      name: 'missing dtype requested',
      e: env(adapter()),
      d: ['q4'] as Dtype[],
      want: { dtype: 'fp32' as const },
      backend: 'webgpu',
      dtype: 'q4',
      reason: /fp32 was requested but the model only has q4/,
    },
    {
      name: 'narrow subgroups are noted',
      e: env(adapter({ subgroupMinSize: 4 })),
      d: ['q4'] as Dtype[],
      want: {},
      backend: 'webgpu',
      dtype: 'q4',
      reason: /subgroups are 4 wide.*turned off/,
    },
  ])('$name', ({ e, d, want, backend, dtype, reason }) => {
    const c = chooseVariant(e, d, want);
    expect(c).toMatchObject({ backend, dtype });
    expect(c.reason).toMatch(reason);
  });

  it('throws on an empty dtype list', () => {
    expect(() => chooseVariant(env(null), [])).toThrow(/offers no dtypes/);
  });
});

describe('memoryWarnings(env, backend, sizes)', () => {
  it.each([
    {
      name: 'a weight over the binding limit',
      e: env(adapter({ maxStorageBufferBindingSize: 128 * 2 ** 20 })),
      b: 'webgpu' as const,
      s: { totalBytes: 1e9, largestTensorBytes: 2e8, largestTensorName: 'embed' },
      expected: [
        /largest weight \(embed\) is 190.73 MB, more than this GPU's maxStorageBufferBindingSize \(128 MB\)/,
      ],
    },
    {
      name: 'wasm over 4 GB',
      e: env(null),
      b: 'wasm' as const,
      s: { totalBytes: 5 * GIB },
      expected: [/more than WASM's 4 GB memory/],
    },
    {
      name: 'an .onnx over 2 GB',
      e: env(null),
      b: 'wasm' as const,
      s: { totalBytes: 3 * GIB, modelFileBytes: 2.5 * GIB },
      expected: [/browsers cap single buffers near 2 GB/],
    },
    {
      name: 'device memory',
      e: env(null, { deviceMemoryGb: 2 }),
      b: 'wasm' as const,
      s: { totalBytes: 1.5 * GIB },
      expected: [/reports about 2 GB of memory/],
    },
    {
      name: 'a small model',
      e: env(adapter(), { deviceMemoryGb: 8 }),
      b: 'webgpu' as const,
      s: { totalBytes: 5e8, largestTensorBytes: 1e8 },
      expected: [],
    },
  ])('$name', ({ e, b, s, expected }) => {
    const w = memoryWarnings(e, b, s);
    expect(w).toHaveLength(expected.length);
    expected.forEach((re, i) => expect(w[i]).toMatch(re));
  });
});

describe('asyncifyMemory(env, modelBytes)', () => {
  it('says nothing for the JSPI build, an unknown build or a model under 1 GB', () => {
    expect(asyncifyMemory({ ortBuild: 'jspi' }, 10 * GIB)).toBeNull();
    expect(asyncifyMemory({}, 10 * GIB)).toBeNull();
    expect(asyncifyMemory({ ortBuild: 'asyncify' }, 0.9 * GIB)).toBeNull();
  });

  it('warns from 1 GB with the size and the limit, and refuses above 4 GB', () => {
    const warn = asyncifyMemory({ ortBuild: 'asyncify' }, 1.5 * GIB);
    expect(warn?.refuse).toBe(false);
    expect(warn?.message).toMatch(/1\.5 GB for this model; at most 4 GB is loaded that way/);
    expect(asyncifyMemory({ ortBuild: 'asyncify' }, ASYNCIFY_MAX_MODEL_BYTES)?.refuse).toBe(false);
    expect(asyncifyMemory({ ortBuild: 'asyncify' }, ASYNCIFY_MAX_MODEL_BYTES + 1)?.refuse).toBe(true);
    const refuse = asyncifyMemory({ ortBuild: 'asyncify' }, 4.5 * GIB);
    expect(refuse?.refuse).toBe(true);
    expect(refuse?.message).toMatch(/this model is 4\.5 GB, over the 4 GB this page loads that way/);
    expect(refuse?.message).toContain('Chromium 137 or later has JSPI');
  });
});
