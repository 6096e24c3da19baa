/**
 * The converter's per-value work on WebAssembly SIMD (q4.wat), each giving exactly the bytes of its
 * JavaScript reference, fast enough that a 7B conversion is bound by the disk (bench/README.md,
 * "The converter at full size"):
 * - `quantizeQ4Simd`: 4-bit blocks as `quantizeQ4IntoJs` (../quantize.ts). The weight streams
 *   through a small window of WebAssembly memory (32 Ki values at a time: decoded float32, raw
 *   source bytes, scales, packed bytes - about 220 KB, so it stays in the CPU's cache), reading
 *   BF16/F16/F32 checkpoint bytes directly, so no float32 copy of the whole weight is made.
 * - `transposeSimd`: a Linear weight as a MatMul B in float32 or float16, as `transposeInto` then
 *   `f32ToF16`, also from checkpoint bytes.
 * - `encodeF16Simd`: float32 -> float16 bits, as `f32ToF16`.
 *
 * One instance per thread (module state), created on first use; its memory grows to the largest
 * transposed weight and stays.
 *
 * Deliberately does not: handle shapes the kernels do not (a row length that is not a whole number
 * of 4-bit blocks; transposes of shapes that are not multiples of 4): the functions say no and
 * the caller uses the reference.
 */
import { decodeFloats, f16ToF32, f32ToF16 } from '../float16.ts';
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
  f32_to_f16(src: number, dst: number, count: number): void;
  transpose_f32(src: number, rows: number, cols: number, dst: number, n: number, col0: number): void;
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
  // The float16 encoder takes whatever layout is there: it needs the window's float32 values and
  // 2 bytes per value of the raw region, which every layout has.
  // atob: the same in Node and browsers (no Buffer in a page).
  module ??= new wasm.Module(Uint8Array.from(atob(Q4_WASM_BASE64), (c) => c.charCodeAt(0)));
  const exports = (kernel?.exports ?? new wasm.Instance(module).exports) as unknown as Exports;
  const window = Math.ceil(WINDOW_VALUES / blockSize) * blockSize;
  // [float32 values][raw bytes, up to 4 per value][scales][packed]
  const rawAt = window * 4;
  const scalesAt = rawAt + window * 4;
  const packedAt = scalesAt + (window / blockSize) * 4;
  kernel = {
    exports,
    window,
    blockSize,
    rawAt,
    scalesAt,
    packedAt,
    u8: new Uint8Array(0),
    f32: new Float32Array(0),
  };
  ensureMemory(kernel, packedAt + window / 2);
  return kernel;
}

/** Grows the kernel's memory to at least `bytes` (views renewed: growing detaches the old ones). */
function ensureMemory(K: Kernel, bytes: number): void {
  const have = K.exports.memory.buffer.byteLength;
  if (bytes > have) K.exports.memory.grow(Math.ceil((bytes - have) / 65536));
  if (K.u8.buffer !== K.exports.memory.buffer || K.u8.length === 0) {
    K.u8 = new Uint8Array(K.exports.memory.buffer);
    K.f32 = new Float32Array(K.exports.memory.buffer);
  }
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

/**
 * Float32 values -> IEEE float16 bits, the same as `f32ToF16` on each (round to nearest even,
 * overflow to infinity, NaN payload kept), in windows through the SIMD kernel.
 *
 * @example
 * encodeF16Simd(new Float32Array([1, 65520]), new Uint16Array(2)) // [0x3c00, 0x7c00]
 */
export function encodeF16Simd(values: Float32Array, out: Uint16Array, count = values.length): Uint16Array {
  const K = kernel ?? kernelFor(32);
  const { exports, u8, f32 } = K;
  const whole = count - (count % 4);
  for (let start = 0; start < whole; start += K.window) {
    const n = Math.min(K.window, whole - start);
    f32.set(values.subarray(start, start + n));
    exports.f32_to_f16(0, K.rawAt, n);
    out.set(new Uint16Array(u8.buffer, K.rawAt, n), start);
  }
  for (let i = whole; i < count; i++) out[i] = f32ToF16(values[i]);
  return out;
}

/** Whether `transposeSimd` takes this source and shape: n and k multiples of 4. */
export function transposeSimdReads(src: Q4Source, n: number, k: number): boolean {
  return n % 4 === 0 && k % 4 === 0 && (src instanceof Float32Array || rawWidth(src.dtype) > 0);
}

/**
 * The row-major `[n, k]` weight `src` transposed to `[k, n]` (a PyTorch Linear weight as an ONNX
 * MatMul B) as float32 or float16 bytes - the same bytes as `transposeInto` then `f32ToF16`. The
 * result is a view of the kernel's memory, valid until the next call into this module; null when
 * `transposeSimdReads` says no. The whole output lives in WebAssembly memory (a 7B MLP weight:
 * 272 MB as float32), the input passes through 16 rows at a time.
 *
 * @example
 * const bytes = transposeSimd({ dtype: 'BF16', bytes: raw }, 18944, 3584, 'F16');
 * writeAllAt(fd, bytes, position);
 */
export function transposeSimd(src: Q4Source, n: number, k: number, dtype: 'F32' | 'F16'): Uint8Array | null {
  if (!transposeSimdReads(src, n, k)) return null;
  const K = kernel ?? kernelFor(32);
  const rows = n % 16 === 0 ? 16 : 4;
  const raw = src instanceof Float32Array ? null : src;
  const width = raw ? rawWidth(raw.dtype) : 4;
  // [the q4 window's regions][rows x k float32][rows x k raw bytes][k x n float32 output]
  const valuesAt = Math.ceil((K.packedAt + K.window / 2) / 16) * 16;
  const rawAt = valuesAt + rows * k * 4;
  const outAt = rawAt + rows * k * 4;
  ensureMemory(K, outAt + n * k * 4);
  const { exports, u8, f32 } = K;
  for (let r0 = 0; r0 < n; r0 += rows) {
    const count = rows * k;
    if (!raw) {
      f32.set((src as Float32Array).subarray(r0 * k, r0 * k + count), valuesAt / 4);
    } else {
      const bytes = raw.bytes.subarray(r0 * k * width, (r0 * k + count) * width);
      if (raw.dtype === 'F32') {
        u8.set(bytes, valuesAt);
      } else {
        u8.set(bytes, rawAt);
        if (raw.dtype === 'BF16') exports.decode_bf16(rawAt, valuesAt, count);
        else
          decodeFloats(
            raw.dtype,
            u8.subarray(rawAt, rawAt + bytes.length),
            f32.subarray(valuesAt / 4, valuesAt / 4 + count),
          );
      }
    }
    exports.transpose_f32(valuesAt, rows, k, outAt, n, r0);
  }
  if (dtype === 'F32') return u8.subarray(outAt, outAt + n * k * 4);
  // In place: each float16 lands at or before the float32 it came from.
  exports.f32_to_f16(outAt, outAt, n * k);
  return u8.subarray(outAt, outAt + n * k * 2);
}
