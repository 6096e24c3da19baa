import { describe, expect, it } from 'vitest';
import { committed, generate } from '../../src/convert/q4-kernel/build.ts';
import {
  encodeF16Simd,
  q4SimdReads,
  transposeSimd,
  transposeSimdReads,
  quantizeQ4Simd,
  type Q4Source,
} from '../../src/convert/q4-kernel/q4-simd.ts';
import { q4Sizes, quantizeQ4Into, quantizeQ4IntoJs, transpose } from '../../src/convert/quantize.ts';
import { f32ToF16 } from '../../src/convert/float16.ts';

// The SIMD kernel must give exactly the reference's bytes: same packed nibbles, same scales
// (Object.is, so -0 and +0 differ).

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Random weights with the cases that decide a scale or a nibble planted in them. */
function weights(n: number, k: number, blockSize: number, seed: number): Float32Array {
  const r = lcg(seed);
  const w = new Float32Array(n * k);
  for (let i = 0; i < w.length; i++) {
    const u = r();
    w[i] = (r() - 0.5) * (u < 0.02 ? 1e-30 : u < 0.04 ? 1e6 : 0.05);
  }
  const blocks = (n * k) / blockSize;
  for (let b = 0; b < blocks; b++) {
    const at = b * blockSize;
    switch (b % 9) {
      case 0: // |min| == max, max first
        w[at + 3] = 0.5;
        w[at + 7] = -0.5;
        break;
      case 1: // |min| == max, min first
        w[at + 2] = -0.5;
        w[at + 5] = 0.5;
        break;
      case 2:
        w.fill(0, at, at + blockSize);
        break;
      case 3:
        w[at + 1] = Number.NaN;
        break;
      case 4:
        w[at + 4] = Infinity;
        break;
      case 5: // exact half steps of the scale: round-half-up in the reference
        for (let i = 0; i < blockSize; i++) w[at + i] = ((i % 17) - 8.5) / 8;
        w[at] = -1;
        break;
      case 6:
        w.fill(-0, at, at + blockSize);
        w[at + 9] = 1e-45; // float32 subnormal: its scale underflows
        break;
      case 7: // float16 scale overflows
        w[at + 6] = -3e38;
        break;
    }
  }
  return w;
}

function reference(w: Float32Array, n: number, k: number, bs: number, scaleType: 'f32' | 'f16') {
  const { packedBytes, scaleCount } = q4Sizes(n, k, bs);
  const packed = new Uint8Array(packedBytes);
  const scales = new Float32Array(scaleCount);
  quantizeQ4IntoJs(w, n, k, bs, scaleType, packed, scales);
  return { packed, scales };
}

function simd(src: Q4Source, n: number, k: number, bs: number, scaleType: 'f32' | 'f16') {
  const { packedBytes, scaleCount } = q4Sizes(n, k, bs);
  const packed = new Uint8Array(packedBytes).fill(0xaa);
  const scales = new Float32Array(scaleCount).fill(123);
  expect(quantizeQ4Simd(src, n, k, bs, scaleType, packed, scales)).toBe(true);
  return { packed, scales };
}

function expectSame(a: { packed: Uint8Array; scales: Float32Array }, b: typeof a): void {
  const badByte = a.packed.findIndex((v, i) => v !== b.packed[i]);
  expect(badByte, `first differing packed byte`).toBe(-1);
  const badScale = a.scales.findIndex((v, i) => !Object.is(v, b.scales[i]));
  expect(badScale, `first differing scale (${a.scales[badScale]} vs ${b.scales[badScale]})`).toBe(-1);
}

/** Float32 values as little-endian bytes of `dtype`, at an odd offset of a larger buffer. */
function bytesOf(w: Float32Array, dtype: 'BF16' | 'F16' | 'F32'): Uint8Array {
  const width = dtype === 'F32' ? 4 : 2;
  const out = new Uint8Array(w.length * width + 1).subarray(1);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const u32 = new Uint32Array(w.buffer, w.byteOffset, w.length);
  for (let i = 0; i < w.length; i++) {
    if (dtype === 'F32') view.setFloat32(i * 4, w[i], true);
    else view.setUint16(i * 2, dtype === 'BF16' ? u32[i] >>> 16 : f32ToF16(w[i]), true);
  }
  return out;
}

/** What a checkpoint's bytes decode to (bfloat16 truncates, float16 rounds). */
function roundTrip(w: Float32Array, dtype: 'BF16' | 'F16' | 'F32'): Float32Array {
  const bytes = bytesOf(w, dtype).slice();
  if (dtype === 'F32') return new Float32Array(bytes.buffer);
  const out = new Float32Array(w.length);
  const u16 = new Uint16Array(bytes.buffer);
  const o32 = new Uint32Array(out.buffer);
  for (let i = 0; i < w.length; i++) {
    if (dtype === 'BF16') o32[i] = u16[i] << 16;
    else {
      const h = u16[i];
      const e = (h >>> 10) & 31;
      const m = h & 1023;
      const v = e === 0 ? m * 2 ** -24 : e === 31 ? (m ? NaN : Infinity) : (1 + m / 1024) * 2 ** (e - 15);
      out[i] = h & 0x8000 ? -v : v;
    }
  }
  return out;
}

describe('q4 SIMD kernel', () => {
  it('is assembled from the committed q4.wat (rebuild with npx tsx src/convert/q4-kernel/build.ts)', async () => {
    expect(committed()).toBe(await generate());
  });

  // Shapes: several windows with a short last one (200 x 3584 = 21.9 windows of 32 Ki values),
  // every block size, and a block size larger than the window.
  const shapes: [number, number, number][] = [
    [200, 3584, 32],
    [7, 96, 16],
    [33, 256, 64],
    [5, 384, 128],
    [3, 65536 * 2, 65536],
  ];
  for (const [n, k, bs] of shapes) {
    for (const scaleType of ['f32', 'f16'] as const) {
      it(`matches the reference byte for byte: ${n} x ${k}, block ${bs}, ${scaleType} scales`, () => {
        const w = weights(n, k, bs, n * 31 + bs);
        expectSame(simd(w, n, k, bs, scaleType), reference(w, n, k, bs, scaleType));
      });
    }
  }

  for (const dtype of ['BF16', 'F16', 'F32'] as const) {
    it(`reads ${dtype} checkpoint bytes directly (unaligned) and matches the reference on the decoded values`, () => {
      const [n, k, bs] = [70, 1536, 32];
      const w = weights(n, k, bs, 5);
      for (const scaleType of ['f32', 'f16'] as const) {
        expectSame(
          simd({ dtype, bytes: bytesOf(w, dtype) }, n, k, bs, scaleType),
          reference(roundTrip(w, dtype), n, k, bs, scaleType),
        );
      }
    });
  }

  it('declines what it does not handle, and quantizeQ4Into then gives the reference result', () => {
    expect(q4SimdReads(new Float32Array(0), 100, 32)).toBe(false); // padded last block
    expect(q4SimdReads({ dtype: 'F64', bytes: new Uint8Array(0) }, 64, 32)).toBe(false);
    expect(q4SimdReads({ dtype: 'BF16', bytes: new Uint8Array(0) }, 64, 32)).toBe(true);
    const [n, k, bs] = [9, 100, 32];
    const w = weights(n, k, 4, 11);
    const { packedBytes, scaleCount } = q4Sizes(n, k, bs);
    const packed = new Uint8Array(packedBytes).fill(0xaa);
    const scales = new Float32Array(scaleCount);
    expect(quantizeQ4Simd(w, n, k, bs, 'f32', packed, scales)).toBe(false);
    expect(packed.every((b) => b === 0xaa)).toBe(true);
    quantizeQ4Into(w, n, k, bs, 'f32', packed, scales);
    expectSame({ packed, scales }, reference(w, n, k, bs, 'f32'));
  });

  it('gives quantizeQ4Into the SIMD result when k is a whole number of blocks', () => {
    const [n, k, bs] = [12, 512, 32];
    const w = weights(n, k, bs, 3);
    const { packedBytes, scaleCount } = q4Sizes(n, k, bs);
    const packed = new Uint8Array(packedBytes);
    const scales = new Float32Array(scaleCount);
    quantizeQ4Into(w, n, k, bs, 'f16', packed, scales);
    expectSame({ packed, scales }, reference(w, n, k, bs, 'f16'));
  });
});

describe('float16 SIMD encoder', () => {
  /** Bits -> float32 values. */
  const floats = (bits: number[]) => new Float32Array(new Uint32Array(bits).buffer);

  function expectAsReference(values: Float32Array): void {
    const got = encodeF16Simd(values, new Uint16Array(values.length).fill(0xdead));
    const bad = got.findIndex((h, i) => h !== f32ToF16(values[i]));
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    expect(bad, bad < 0 ? '' : `float32 0x${bits[bad].toString(16)}: 0x${got[bad].toString(16)}`).toBe(-1);
  }

  it('rounds every float16 boundary as f32ToF16 does (each half value, the midpoints to the next, one float32 step either side)', () => {
    const bits: number[] = [];
    const u32 = new Uint32Array(1);
    const f32 = new Float32Array(u32.buffer);
    for (let h = 0; h < 0x7c00; h++) {
      // h and the midpoint between h and h + 1, as float32 bits, with neighbours
      const lo = f16Value(h);
      const hi = f16Value(h + 1);
      for (const v of [lo, (lo + hi) / 2]) {
        f32[0] = v;
        for (const d of [-1, 0, 1]) {
          for (const sign of [0, 0x80000000]) bits.push(((u32[0] + d) | sign) >>> 0);
        }
      }
    }
    expectAsReference(floats(bits));
  });

  it('matches f32ToF16 on random bit patterns (NaNs with payloads, infinities, float32 subnormals) and any count', () => {
    const r = lcg(77);
    const bits = Array.from({ length: 1 << 18 }, () => Math.floor(r() * 2 ** 32));
    bits.push(
      0x7f800000,
      0xff800000,
      0x7fc00000,
      0x7f800001,
      0xffffffff,
      0x00000001,
      0x80000000,
      0x477ff000,
      0x477fefff,
    );
    for (const n of [bits.length, 3, 5, 70001]) expectAsReference(floats(bits.slice(0, n)));
  });
});

describe('transpose SIMD kernel', () => {
  function expected(w: Float32Array, n: number, k: number, dtype: 'F32' | 'F16'): Uint8Array {
    const t = transpose(w, n, k);
    if (dtype === 'F32') return new Uint8Array(t.buffer);
    return new Uint8Array(Uint16Array.from(t, (v) => f32ToF16(v)).buffer);
  }

  for (const [n, k] of [
    [48, 36],
    [20, 8],
    [4, 4],
    [64, 1536],
  ] as const) {
    for (const dtype of ['F32', 'F16'] as const) {
      it(`gives transposeInto's bytes (${dtype}) for ${n} x ${k} from float32 values and from BF16/F16/F32 bytes`, () => {
        const w = weights(n, k, 4, n + k);
        expect(Buffer.compare(transposeSimd(w, n, k, dtype)!, expected(w, n, k, dtype))).toBe(0);
        for (const src of ['BF16', 'F16', 'F32'] as const) {
          const got = transposeSimd({ dtype: src, bytes: bytesOf(w, src) }, n, k, dtype)!.slice();
          expect(Buffer.compare(got, expected(roundTrip(w, src), n, k, dtype)), src).toBe(0);
        }
      });
    }
  }

  it('declines shapes that are not multiples of 4 and dtypes it does not read', () => {
    expect(transposeSimdReads(new Float32Array(6), 2, 3)).toBe(false);
    expect(transposeSimd(new Float32Array(24), 6, 4, 'F32')).toBeNull();
    expect(transposeSimdReads({ dtype: 'F64', bytes: new Uint8Array(128) }, 4, 4)).toBe(false);
  });
});

function f16Value(h: number): number {
  const e = (h >>> 10) & 31;
  const m = h & 1023;
  return e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15);
}
