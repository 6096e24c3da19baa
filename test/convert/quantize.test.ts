import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { checkBlockSize, dequantizeQ4, quantizeQ4, transpose } from '../../src/convert/quantize.ts';
import { attr, DataType, encodedToBytes, encodeModel } from '../../src/convert/onnx-proto.ts';
import { encodeFloats, f16ToF32, f32ToF16 } from '../../src/convert/float16.ts';
import { makeRng } from './tiny-checkpoint.ts';

const hexBytes = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

function randomMatrix(n: number, k: number, seed: number, std = 1): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: n * k }, () => std * rng.normal());
}

describe('quantizeQ4(w, n, k, blockSize)', () => {
  it.each([
    {
      what: 'one full block: scale = vmax / -8, the extreme maps to nibble 0, +0.8 clamps to 15',
      w: [-0.8, 0.4, 0.1, 0, 0.8, -0.2, 0.06, 0.3, -0.1, 0.7, 0.2, -0.4, 0.6, -0.6, 0.16, -0.04],
      k: 16,
      block: 16,
      scales: [Math.fround(0.1)],
      packed: 'c0 89 6f b9 f7 4a 2e 8a',
    },
    {
      what: 'k shorter than the block: padding nibbles are 8 (dequantize to 0)',
      w: [1, -2, 0.5],
      k: 3,
      block: 16,
      scales: [0.25],
      packed: '0c 8a 88 88 88 88 88 88',
    },
    {
      what: 'an all-zero block: scale 0, every nibble 8',
      w: new Array(16).fill(0),
      k: 16,
      block: 16,
      scales: [0],
      packed: '88 88 88 88 88 88 88 88',
    },
  ])('$what', ({ w, k, block, scales, packed }) => {
    const q = quantizeQ4(Float32Array.from(w), 1, k, block);
    expect(Array.from(q.scales)).toEqual(scales);
    expect(hexBytes(q.packed)).toBe(packed);
    expect(q.kBlocks).toBe(Math.ceil(k / block));
  });

  it('lays out rows as [n, kBlocks, block / 2] with per-row, per-block scales', () => {
    // Row r, block b holds the constant -(r + 1) * (b + 1): scale (r + 1) * (b + 1) / 8, nibbles 0.
    const n = 3;
    const k = 64;
    const w = new Float32Array(n * k);
    for (let r = 0; r < n; r++)
      for (let i = 0; i < k; i++) w[r * k + i] = -(r + 1) * (Math.floor(i / 16) + 1);
    const q = quantizeQ4(w, n, k, 16);
    expect(q.packed.length).toBe(n * 4 * 8);
    expect(q.packed.every((x) => x === 0)).toBe(true);
    expect(Array.from(q.scales)).toEqual([1, 2, 3, 4, 2, 4, 6, 8, 3, 6, 9, 12].map((x) => x / 8));
  });

  it.each([16, 32, 64, 128])(
    'dequantizeQ4(quantizeQ4(w)) stays within |scale| of w, and within |scale|/2 where not clamped (block %i)',
    (block) => {
      const n = 24;
      const k = 200; // not a multiple of any block size
      const w = randomMatrix(n, k, block);
      const q = quantizeQ4(w, n, k, block);
      const d = dequantizeQ4(q);
      let sumErr = 0;
      let sumAbs = 0;
      for (let r = 0; r < n; r++) {
        for (let i = 0; i < k; i++) {
          const s = Math.abs(q.scales[r * q.kBlocks + Math.floor(i / block)]);
          const err = Math.abs(d[r * k + i] - w[r * k + i]);
          const clamped = Math.round(w[r * k + i] / q.scales[r * q.kBlocks + Math.floor(i / block)]) + 8 > 15;
          expect(err).toBeLessThanOrEqual((clamped ? s : s / 2) * (1 + 1e-6));
          sumErr += err;
          sumAbs += Math.abs(w[r * k + i]);
        }
      }
      // Relative mean error of round-to-nearest 4-bit on Gaussian weights: about 8-12%.
      expect(sumErr / sumAbs).toBeLessThan(0.15);
    },
  );

  it("with scaleType 'f16' stores scales exactly representable in float16", () => {
    const q = quantizeQ4(randomMatrix(4, 64, 7, 0.02), 4, 64, 32, 'f16');
    for (const s of q.scales) expect(f16ToF32(f32ToF16(s))).toBe(s);
  });

  it('rejects a block size that is not a power of two of at least 16', () => {
    expect(() => quantizeQ4(new Float32Array(24), 1, 24, 24)).toThrow(/power of two of at least 16/);
    expect(() => checkBlockSize(8)).toThrow(/got 8/);
    expect(() => quantizeQ4(new Float32Array(10), 2, 4)).toThrow(/do not form a 2 x 4 matrix/);
  });
});

describe('transpose(w, rows, cols)', () => {
  it.each([
    [[1, 2, 3, 4, 5, 6], 2, 3, [1, 4, 2, 5, 3, 6]],
    [[1, 2, 3], 1, 3, [1, 2, 3]],
    [[1, 2, 3], 3, 1, [1, 2, 3]],
  ])('transpose(%j, %i, %i) returns %j', (w, r, c, expected) => {
    expect(Array.from(transpose(Float32Array.from(w), r, c))).toEqual(expected);
  });

  it('matches the plain definition across tile edges (100 x 70)', () => {
    const w = randomMatrix(100, 70, 3);
    const t = transpose(w, 100, 70);
    for (let r = 0; r < 100; r++) for (let c = 0; c < 70; c++) expect(t[c * 100 + r]).toBe(w[r * 70 + c]);
  });
});

/** One MatMulNBits node run on onnxruntime-node. */
async function runMatMulNBits(
  a: Float32Array,
  aDims: number[],
  n: number,
  k: number,
  block: number,
  f16: boolean,
): Promise<{ y: Float32Array; deq: Float32Array }> {
  const w = randomMatrix(n, k, 11, 0.5);
  const q = quantizeQ4(w, n, k, block, f16 ? 'f16' : 'f32');
  const floatType = f16 ? DataType.FLOAT16 : DataType.FLOAT;
  const model = encodeModel({
    irVersion: 8,
    opsets: [
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ],
    producerName: 'test',
    producerVersion: '0',
    graph: {
      name: 'mmnb',
      nodes: [
        {
          opType: 'MatMulNBits',
          domain: 'com.microsoft',
          inputs: ['A', 'B', 'scales'],
          outputs: ['Y'],
          attributes: { K: attr.int(k), N: attr.int(n), bits: attr.int(4), block_size: attr.int(block) },
        },
      ],
      initializers: [
        { name: 'B', dataType: DataType.UINT8, dims: [n, q.kBlocks, block / 2], raw: q.packed },
        {
          name: 'scales',
          dataType: floatType,
          dims: [n, q.kBlocks],
          raw: encodeFloats(f16 ? 'F16' : 'F32', q.scales),
        },
      ],
      inputs: [{ name: 'A', elemType: floatType, shape: [...aDims.slice(0, -1).map((_, i) => `d${i}`), k] }],
      outputs: [{ name: 'Y', elemType: floatType, shape: [...aDims.slice(0, -1).map((_, i) => `d${i}`), n] }],
    },
  });
  const session = await ort.InferenceSession.create(encodedToBytes(model));
  const input = f16
    ? new ort.Tensor('float16', new Uint16Array(encodeFloats('F16', a).buffer), aDims)
    : new ort.Tensor('float32', a, aDims);
  const out = (await session.run({ A: input })).Y;
  await session.release();
  const y = f16 ? Float32Array.from(out.data as Uint16Array, (h) => f16ToF32(h)) : (out.data as Float32Array);
  return { y, deq: dequantizeQ4(q) };
}

describe('MatMulNBits on onnxruntime-node with quantizeQ4 weights', () => {
  it.each([
    { block: 16, k: 40, n: 5, dims: [2, 3, 40] },
    { block: 32, k: 64, n: 7, dims: [4, 64] },
    { block: 128, k: 96, n: 3, dims: [1, 2, 96] },
  ])('computes A x dequantizeQ4(B)^T (block $block, K $k, N $n, A $dims)', async ({ block, k, n, dims }) => {
    const a = randomMatrix(
      dims.slice(0, -1).reduce((x, y) => x * y, 1),
      k,
      5,
    );
    const { y, deq } = await runMatMulNBits(a, dims, n, k, block, false);
    const rows = a.length / k;
    expect(y.length).toBe(rows * n);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < k; i++) s += a[r * k + i] * deq[j * k + i];
        expect(Math.abs(y[r * n + j] - s)).toBeLessThan(1e-4 * (1 + Math.abs(s)));
      }
    }
  });

  it('computes A x dequantizeQ4(B)^T with float16 activations and float16 scales (q4f16)', async () => {
    const k = 64;
    const n = 6;
    const a = Float32Array.from(randomMatrix(3, k, 9), (x) => f16ToF32(f32ToF16(x)));
    const { y, deq } = await runMatMulNBits(a, [3, k], n, k, 32, true);
    for (let r = 0; r < 3; r++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < k; i++) s += a[r * k + i] * deq[j * k + i];
        // float16 output: 11 significant bits.
        expect(Math.abs(y[r * n + j] - s)).toBeLessThan(2e-3 * (1 + Math.abs(s)));
      }
    }
  });
});
