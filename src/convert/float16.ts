/**
 * Half-precision codecs: IEEE float16 and bfloat16 to and from float32, bit-exact with round to
 * nearest even, and whole-tensor decode/encode of little-endian float bytes (F32, F16, BF16, F64).
 * Used by the checkpoint reader (./safetensors.ts), the quantizers and the graph writer. Pure.
 */
import type { StDtype } from './dtype.ts';

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

/**
 * float32 (JS number, first rounded to float32) -> IEEE half bits, round to nearest even;
 * overflow gives +-Infinity, NaN stays a (quiet) NaN.
 *
 * @example
 * f32ToF16(1) // 0x3c00; f32ToF16(65504) // 0x7bff; f32ToF16(65520) // 0x7c00 (Infinity)
 */
export function f32ToF16(x: number): number {
  f32buf[0] = x;
  const b = u32buf[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return mant ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00;
  const e = exp - 112; // re-biased exponent (127 -> 15)
  if (e >= 31) return sign | 0x7c00;
  if (e >= 1) {
    let h = (e << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    // A carry out of the mantissa correctly bumps the exponent (up to Infinity).
    if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
    return sign | h;
  }
  // Half subnormal (or zero): value / 2^-24 = (1.mant as integer) * 2^(e - 14).
  const shift = 14 - e;
  if (shift > 24) return sign;
  const m = mant | 0x800000;
  let q = m >>> shift;
  const rest = m & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  if (rest > halfway || (rest === halfway && q & 1)) q++;
  return sign | q;
}

/**
 * IEEE half bits -> number (exact).
 *
 * @example
 * f16ToF32(0xc100) // -2.5; f16ToF32(0x0001) // 5.960464477539063e-8
 */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * float32 -> bfloat16 bits, round to nearest even; NaN stays a quiet NaN.
 *
 * @example
 * f32ToBf16(1) // 0x3f80; f32ToBf16(-2.5) // 0xc020
 */
export function f32ToBf16(x: number): number {
  f32buf[0] = x;
  const b = u32buf[0];
  if ((b & 0x7f800000) === 0x7f800000 && b & 0x7fffff) return ((b >>> 16) | 0x40) & 0xffff;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/**
 * bfloat16 bits -> number (exact).
 *
 * @example
 * bf16ToF32(0x3f80) // 1
 */
export function bf16ToF32(h: number): number {
  u32buf[0] = (h & 0xffff) << 16;
  return f32buf[0];
}

let f16Table: Float32Array | undefined;
function halfTable(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) f16Table[i] = f16ToF32(i);
  }
  return f16Table;
}

/**
 * Decodes little-endian raw bytes of a float tensor into `out` starting at element `outOffset`.
 * `bytes` must start at a multiple of the element size within its buffer.
 */
export function decodeFloats(dtype: StDtype, bytes: Uint8Array, out: Float32Array, outOffset = 0): void {
  switch (dtype) {
    case 'F32':
      out.set(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), outOffset);
      return;
    case 'F16': {
      const src = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
      const t = halfTable();
      for (let i = 0; i < src.length; i++) out[outOffset + i] = t[src[i]];
      return;
    }
    case 'BF16':
      decodeBf16(bytes, new Uint32Array(out.buffer, out.byteOffset + outOffset * 4, bytes.byteLength / 2));
      return;
    case 'F64': {
      const src = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
      for (let i = 0; i < src.length; i++) out[outOffset + i] = src[i];
      return;
    }
    default:
      throw new Error(`cannot decode dtype ${dtype} as float`);
  }
}

// bfloat16 is the top half of a float32: widen by shifting. Two values per 32-bit load when the
// source is 4-byte aligned.
function decodeBf16(bytes: Uint8Array, dst: Uint32Array): void {
  const n = dst.length;
  if (bytes.byteOffset % 4 === 0) {
    const pairs = n >>> 1;
    const src = new Uint32Array(bytes.buffer, bytes.byteOffset, pairs);
    for (let i = 0, j = 0; i < pairs; i++, j += 2) {
      const w = src[i];
      dst[j] = w << 16;
      dst[j + 1] = w & 0xffff0000;
    }
    if (n & 1) dst[n - 1] = (bytes[2 * n - 2] | (bytes[2 * n - 1] << 8)) << 16;
    return;
  }
  const src = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  for (let i = 0; i < n; i++) dst[i] = src[i] << 16;
}

/** Encodes float32 values as little-endian bytes of `dtype` (F32/F16/BF16), round to nearest even. */
export function encodeFloats(dtype: 'F32' | 'F16' | 'BF16', data: Float32Array): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint16Array(data.length);
  if (dtype === 'F16') {
    for (let i = 0; i < data.length; i++) out[i] = f32ToF16(data[i]);
  } else {
    const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
    for (let i = 0; i < data.length; i++) {
      const b = bits[i];
      out[i] =
        (b & 0x7f800000) === 0x7f800000 && b & 0x7fffff
          ? ((b >>> 16) | 0x40) & 0xffff
          : ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
    }
  }
  return new Uint8Array(out.buffer);
}
