/**
 * 4-bit block quantization on WebAssembly SIMD (q4.wat): the same bytes as the JavaScript
 * reference `quantizeQ4IntoJs` (../quantize.ts), about 5x faster, so a 7B conversion is no longer
 * bound by this loop. The weight streams through a small window of WebAssembly memory (32 Ki values
 * at a time: decoded float32, raw source bytes, scales, packed bytes - about 220 KB, so it stays in
 * the CPU's cache), reading BF16/F16/F32 checkpoint bytes directly, so no float32 copy of the whole
 * weight is made.
 *
 * One instance per thread (module state), created on first use.
 *
 * Deliberately does not: handle a row length `k` that is not a multiple of the block size (the
 * padded last block of each row): `quantizeQ4Simd` returns false and the caller uses the reference.
 */
import { decodeFloats, f16ToF32, f32ToF16 } from '../safetensors.ts';
import { Q4_WASM_BASE64 } from './q4-wasm.ts';

/** A weight's values: float32, or undecoded little-endian checkpoint bytes. */
export type Q4Source = Float32Array | { dtype: string; bytes: Uint8Array };

// The few WebAssembly JS API members used here (the Node typings this folder compiles with do
// not declare them).
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  decode_bf16(src: number, dst: number, count: number): void;
  block_scales(src: number, blocks: number, bs: number, scales: number): void;
  pack_q4(src: number, blocks: number, bs: number, scales: number, out: number): void;
}

interface Kernel {
  exports: Exports;
  /** Values per window (a multiple of the block size). */
  window: number;
  blockSize: number;
  rawAt: number;
  scalesAt: number;
  packedAt: number;
  u8: Uint8Array;
  f32: Float32Array;
}

const WINDOW_VALUES = 32768;
let module: object | null = null;
let kernel: Kernel | null = null;

function kernelFor(blockSize: number): Kernel {
  if (kernel && kernel.blockSize === blockSize) return kernel;
  module ??= new wasm.Module(Buffer.from(Q4_WASM_BASE64, 'base64'));
  const exports = (kernel?.exports ?? new wasm.Instance(module).exports) as unknown as Exports;
  const window = Math.ceil(WINDOW_VALUES / blockSize) * blockSize;
  // [float32 values][raw bytes, up to 4 per value][scales][packed]
  const rawAt = window * 4;
  const scalesAt = rawAt + window * 4;
  const packedAt = scalesAt + (window / blockSize) * 4;
  const need = packedAt + window / 2;
  const have = exports.memory.buffer.byteLength;
  if (need > have) exports.memory.grow(Math.ceil((need - have) / 65536));
  const buffer = exports.memory.buffer;
  kernel = {
    exports,
    window,
    blockSize,
    rawAt,
    scalesAt,
    packedAt,
    u8: new Uint8Array(buffer),
    f32: new Float32Array(buffer),
  };
  return kernel;
}

/** Bytes per value of the checkpoint dtypes the kernel reads; 0 for others. */
function rawWidth(dtype: string): number {
  return dtype === 'BF16' || dtype === 'F16' ? 2 : dtype === 'F32' ? 4 : 0;
}

/**
 * Whether `quantizeQ4Simd` takes this source and shape: whole blocks of at least 16 values per
 * row, and float32 values or BF16/F16/F32 bytes.
 */
export function q4SimdReads(src: Q4Source, k: number, blockSize: number): boolean {
  return blockSize >= 16 && k % blockSize === 0 && (src instanceof Float32Array || rawWidth(src.dtype) > 0);
}

/**
 * Quantizes the row-major `[n, k]` weight `src` into `packed` and `scales` exactly as
 * `quantizeQ4IntoJs` does. Returns false, writing nothing, when `q4SimdReads` says no (the caller
 * falls back to the reference).
 *
 * @example
 * quantizeQ4Simd({ dtype: 'BF16', bytes }, 4096, 4096, 32, 'f32', packed, scales) // true
 */
export function quantizeQ4Simd(
  src: Q4Source,
  n: number,
  k: number,
  blockSize: number,
  scaleType: 'f32' | 'f16',
  packed: Uint8Array,
  scales: Float32Array,
): boolean {
  if (!q4SimdReads(src, k, blockSize)) return false;
  const K = kernelFor(blockSize);
  const { exports, u8, f32 } = K;
  const total = n * k;
  const raw = src instanceof Float32Array ? null : src;
  const width = raw ? rawWidth(raw.dtype) : 4;
  const scaleView = new Float32Array(u8.buffer, K.scalesAt, K.window / blockSize);
  for (let start = 0; start < total; start += K.window) {
    const count = Math.min(K.window, total - start);
    const blocks = count / blockSize;
    if (!raw) {
      f32.set((src as Float32Array).subarray(start, start + count));
    } else {
      const bytes = raw.bytes.subarray(start * width, (start + count) * width);
      if (raw.dtype === 'F32') {
        u8.set(bytes, 0);
      } else if (raw.dtype === 'BF16') {
        u8.set(bytes, K.rawAt);
        exports.decode_bf16(K.rawAt, 0, count);
      } else {
        u8.set(bytes, K.rawAt);
        decodeFloats(raw.dtype, u8.subarray(K.rawAt, K.rawAt + bytes.length), f32.subarray(0, count));
      }
    }
    exports.block_scales(0, blocks, blockSize, K.scalesAt);
    if (scaleType === 'f16') {
      for (let b = 0; b < blocks; b++) scaleView[b] = f16ToF32(f32ToF16(scaleView[b]));
    }
    exports.pack_q4(0, blocks, blockSize, K.scalesAt, K.packedAt);
    packed.set(u8.subarray(K.packedAt, K.packedAt + count / 2), start / 2);
    scales.set(scaleView.subarray(0, blocks), start / blockSize);
  }
  return true;
}
