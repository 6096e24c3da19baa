/**
 * 4-bit symmetric block quantization in the layout of onnxruntime's `com.microsoft.MatMulNBits`
 * (and `GatherBlockQuantized` with uint8 data), which dequantizes as `(q - 8) * scale`.
 *
 * Layout: a weight `W [N, K]` (PyTorch Linear `[out, in]`, the already-transposed B of
 * `Y = A x B^T`) becomes `packed` uint8 `[N, kBlocks, blockSize / 2]` (K padded with zeros to a
 * multiple of the block, two values per byte, low nibble first) and `scales [N, kBlocks]`.
 *
 * Scale rule, as onnxruntime's own quantizer (MLAS `MlasQ4GemmPackBImpl`, `BlkQ4Sym`): take the
 * block value with the largest magnitude, keeping its sign (`vmax`), `scale = vmax / -8`, then
 * `q = clamp(round(w / scale) + 8, 0, 15)`. The extreme value maps exactly onto -8 (nibble 0), so
 * all 16 levels are used; a value of the opposite sign and the same magnitude clamps to +7 steps.
 * Error bound per value: `|w - dequant(q)| <= |scale| / 2` except that clamped case, where it is at
 * most `|scale| = max|w| / 8`. Chosen over `max|w| / 7` (15 levels, error <= max|w| / 14) because
 * its finer step gives a lower mean error and it matches the q4 files onnxruntime tools produce.
 *
 * Deliberately does not: use zero points (asymmetric), 2/8-bit packing, or accuracy-aware
 * rounding (GPTQ/AWQ); plain round-to-nearest is what browser q4 models ship with.
 */
import { f16ToF32, f32ToF16 } from './float16.ts';
import { quantizeQ4Simd } from './q4-kernel/q4-simd.ts';

export interface Q4Weight {
  /** Rows (output features). */
  n: number;
  /** Columns (input features) before padding. */
  k: number;
  blockSize: number;
  /** ceil(k / blockSize) */
  kBlocks: number;
  /** uint8 [n, kBlocks, blockSize / 2], low nibble first. */
  packed: Uint8Array;
  /** [n, kBlocks]; already rounded to float16 when quantized with `scaleType: 'f16'`. */
  scales: Float32Array;
}

/** Block sizes MatMulNBits accepts: a power of two, at least 16. */
export function checkBlockSize(blockSize: number): void {
  if (!Number.isInteger(blockSize) || blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) {
    throw new Error(`block size must be a power of two of at least 16 (16, 32, 64, 128), got ${blockSize}`);
  }
}

/**
 * Quantizes `w` (row-major `[n, k]`) to 4 bits per value in blocks of `blockSize` along k.
 * With `scaleType: 'f16'` the scales are rounded to float16 first and the values quantized
 * against the rounded scale, so a float16-scale model dequantizes to exactly what this reports.
 *
 * @example
 * const q = quantizeQ4(new Float32Array(32).fill(-0.5), 1, 32, 32);
 * // q.scales[0] === 0.0625 (= -0.5 / -8), every nibble 0: packed is 16 zero bytes
 */
export function quantizeQ4(
  w: Float32Array,
  n: number,
  k: number,
  blockSize = 32,
  scaleType: 'f32' | 'f16' = 'f32',
): Q4Weight {
  checkBlockSize(blockSize);
  if (w.length !== n * k) throw new Error(`quantizeQ4: ${w.length} values do not form a ${n} x ${k} matrix`);
  const kBlocks = Math.ceil(k / blockSize);
  const packed = new Uint8Array(n * kBlocks * (blockSize / 2));
  const scales = new Float32Array(n * kBlocks);
  quantizeQ4Into(w, n, k, blockSize, scaleType, packed, scales);
  return { n, k, blockSize, kBlocks, packed, scales };
}

/** Bytes of `packed` and values of `scales` that `quantizeQ4Into` fills for an `[n, k]` weight. */
export function q4Sizes(
  n: number,
  k: number,
  blockSize: number,
): { packedBytes: number; scaleCount: number } {
  const kBlocks = Math.ceil(k / blockSize);
  return { packedBytes: n * kBlocks * (blockSize / 2), scaleCount: n * kBlocks };
}

/**
 * `quantizeQ4` into caller-owned buffers (at least `q4Sizes(n, k, blockSize)` long), so a
 * converter can reuse one scratch buffer for every weight instead of allocating hundreds of MB per
 * tensor. Arguments are not checked here; `quantizeQ4` checks them. Runs the WebAssembly SIMD
 * kernel (q4-kernel/) when `k` is a multiple of the block size, the reference below otherwise;
 * both give the same bytes.
 */
export const quantizeQ4Into: QuantizeQ4Into = (w, n, k, blockSize, scaleType, packed, scales) => {
  if (!quantizeQ4Simd(w, n, k, blockSize, scaleType, packed, scales)) {
    quantizeQ4IntoJs(w, n, k, blockSize, scaleType, packed, scales);
  }
};

/** Quantizes row-major `w [n, k]` into caller-owned `packed` and `scales` (see `quantizeQ4`). */
export type QuantizeQ4Into = (
  w: Float32Array,
  n: number,
  k: number,
  blockSize: number,
  scaleType: 'f32' | 'f16',
  packed: Uint8Array,
  scales: Float32Array,
) => void;

/**
 * The reference quantizer in plain JavaScript: the definition the SIMD kernel is tested against,
 * and the path for rows whose length is not a multiple of the block size.
 */
export const quantizeQ4IntoJs: QuantizeQ4Into = (w, n, k, blockSize, scaleType, packed, scales) => {
  const kBlocks = Math.ceil(k / blockSize);
  const blob = blockSize / 2;
  const f16 = scaleType === 'f16';
  const fullBlocks = Math.floor(k / blockSize);
  for (let r = 0; r < n; r++) {
    const row = r * k;
    let out = r * kBlocks * blob;
    for (let b = 0; b < kBlocks; b++) {
      const start = row + b * blockSize;
      const end = b < fullBlocks ? start + blockSize : row + k;
      // Largest and smallest value first (branch-free); the sign of the larger magnitude decides
      // the scale. On a tie |min| == max the first of the two in the block wins, as in MLAS.
      let hi = 0;
      let lo = 0;
      for (let i = start; i < end; i++) {
        const v = w[i];
        hi = v > hi ? v : hi;
        lo = v < lo ? v : lo;
      }
      let vmax = -lo > hi ? lo : hi;
      if (-lo === hi && hi !== 0) {
        for (let i = start; i < end; i++) {
          if (w[i] === hi || w[i] === lo) {
            vmax = w[i];
            break;
          }
        }
      }
      let scale = 0;
      if (vmax !== 0) scale = f16 ? f16ToF32(f32ToF16(vmax / -8)) : Math.fround(vmax / -8);
      scales[r * kBlocks + b] = scale;
      const recip = scale !== 0 ? 1 / scale : 0;
      // |w * recip| <= 8 (x (1 + 2^-11) for a float16 scale), so w * recip + 8.5 > 0 and
      // truncation is round-half-up: Math.round(w / scale) + 8. Only the top can overflow 15.
      if (end - start === blockSize) {
        for (let i = start; i < end; i += 2) {
          const q0 = (w[i] * recip + 8.5) | 0;
          const q1 = (w[i + 1] * recip + 8.5) | 0;
          packed[out++] = (q0 > 15 ? 15 : q0) | ((q1 > 15 ? 15 : q1) << 4);
        }
      } else {
        // Padding past k is value 0 -> nibble 8, which dequantizes to 0.
        for (let i = start; i < start + blockSize; i += 2) {
          const q0 = i < end ? (w[i] * recip + 8.5) | 0 : 8;
          const q1 = i + 1 < end ? (w[i + 1] * recip + 8.5) | 0 : 8;
          packed[out++] = (q0 > 15 ? 15 : q0) | ((q1 > 15 ? 15 : q1) << 4);
        }
      }
    }
  }
};

/**
 * The float weight MatMulNBits computes with: `(q - 8) * scale`, row-major `[n, k]` (padding dropped).
 *
 * @example
 * dequantizeQ4(quantizeQ4(w, n, k)) // w, each value within |scale| of the original
 */
export function dequantizeQ4(q: Q4Weight): Float32Array {
  const out = new Float32Array(q.n * q.k);
  const blob = q.blockSize / 2;
  for (let r = 0; r < q.n; r++) {
    for (let i = 0; i < q.k; i++) {
      const b = Math.floor(i / q.blockSize);
      const j = i % q.blockSize;
      const byte = q.packed[(r * q.kBlocks + b) * blob + (j >> 1)];
      const nib = j & 1 ? byte >> 4 : byte & 15;
      out[r * q.k + i] = (nib - 8) * q.scales[r * q.kBlocks + b];
    }
  }
  return out;
}

/**
 * Transposes a row-major `[rows, cols]` matrix to `[cols, rows]` (PyTorch Linear -> ONNX MatMul B).
 *
 * @example
 * transpose(new Float32Array([1, 2, 3, 4, 5, 6]), 2, 3) // [1, 4, 2, 5, 3, 6]
 */
export function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  if (w.length !== rows * cols)
    throw new Error(`transpose: ${w.length} values do not form ${rows} x ${cols}`);
  return transposeInto(w, rows, cols, new Float32Array(w.length));
}

/** `transpose` into `out` (at least `rows x cols` long, not `w`); returns `out`. */
export function transposeInto(w: Float32Array, rows: number, cols: number, out: Float32Array): Float32Array {
  // Tiled so both sides stay in cache for 18944 x 3584 matrices.
  const T = 64;
  for (let r0 = 0; r0 < rows; r0 += T) {
    const r1 = Math.min(r0 + T, rows);
    for (let c0 = 0; c0 < cols; c0 += T) {
      const c1 = Math.min(c0 + T, cols);
      for (let r = r0; r < r1; r++) {
        const src = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = w[src + c];
      }
    }
  }
  return out;
}
