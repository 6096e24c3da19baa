/**
 * End-to-end converter tests: tiny random checkpoints for every architecture x head, converted to
 * every dtype, run on onnxruntime-node and compared with the independent loop implementation in
 * src/convert/reference.ts (the golden numbers), plus bad-input and folder-safety cases.
 *
 * Tolerances (probabilities, softmax class 1), measured on these models (weights N(0, 0.1)):
 * - fp32: <= 1e-4 against the reference (measured <= 4e-7).
 * - fp16: <= 5e-3 (measured <= 3.4e-4; float16 activations).
 * - q4: the graph is exact: <= 1e-4 against the reference run on dequantize(quantize(W))
 *   (measured <= 3.5e-7). Against the original weights, 4-bit round-to-nearest moves
 *   probabilities by up to 0.13 (mean <= 0.058) on these random models; asserted < 0.2 / 0.08.
 *   Random tiny nets amplify weight error far more than trained ones, so this is a loose check.
 * - q4f16: <= 5e-3 against the dequantized reference with float16 scales (measured <= 5.3e-4).
 * - A right-padded batch of 2 equals the single runs (measured: bit-identical).
 */
import { nodeFileIo } from '../../src/node/file-io.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, mkdir, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  convertCheckpoint,
  resolveTokenPair,
  tokenIdOf,
  type ConvertResult,
} from '../../src/convert/convert.ts';
import { CheckpointError } from '../../src/convert/safetensors.ts';
import { referenceForward } from '../../src/convert/reference.ts';
import { dequantizeQ4, quantizeQ4 } from '../../src/convert/quantize.ts';
import { expectedTensorShape, type DecoderArch, type HeadKind } from '../../src/convert/hf-config.ts';
import { parseModelSpec } from '../../src/core/spec.ts';
import type { Dtype } from '../../src/core/types.ts';
import { main } from '../../src/cli/main.ts';
import { ropeCaches } from '../../src/convert/graph/decoder.ts';
import { ExternalDataWriter } from '../../src/convert/graph/external-data.ts';
import { nodeWeightPool } from '../../src/convert/weight-threads.ts';
import { DataType, encodeGraph, encodeModelFields } from '../../src/convert/onnx-proto.ts';
import { readOnnxInfo } from '../../src/engine/onnx-info.ts';
import { makeRng, makeTinyCheckpoint, type TinyCheckpoint } from './tiny-checkpoint.ts';

interface Case {
  label: string;
  arch: DecoderArch;
  head: HeadKind;
  dtypes: Dtype[];
  rope?: boolean;
  quantizeEmbedding?: boolean;
}

// head_dim 16 (hidden 64, 4 heads): onnxruntime's GroupQueryAttention needs a multiple of 16.
const CASES: Case[] = [
  { label: 'qwen2 qwen-prm', arch: 'qwen2', head: 'qwen-prm', dtypes: ['fp32', 'q4', 'fp16', 'q4f16'] },
  {
    label: 'qwen2 token-classification',
    arch: 'qwen2',
    head: 'token-classification',
    dtypes: ['fp32', 'q4'],
  },
  { label: 'qwen2 value-head', arch: 'qwen2', head: 'value-head', dtypes: ['fp32', 'q4', 'q4f16'] },
  { label: 'qwen2 token-pair', arch: 'qwen2', head: 'token-pair', dtypes: ['fp32', 'q4'] },
  {
    label: 'llama token-classification',
    arch: 'llama',
    head: 'token-classification',
    dtypes: ['fp32', 'q4', 'fp16'],
  },
  { label: 'llama token-pair', arch: 'llama', head: 'token-pair', dtypes: ['fp32', 'q4'] },
  {
    label: 'mistral token-classification',
    arch: 'mistral',
    head: 'token-classification',
    dtypes: ['fp32', 'q4'],
  },
  { label: 'mistral token-pair', arch: 'mistral', head: 'token-pair', dtypes: ['fp32', 'q4', 'fp16'] },
  {
    label: 'llama3-rope token-classification',
    arch: 'llama',
    head: 'token-classification',
    rope: true,
    dtypes: ['fp32', 'q4'],
  },
  { label: 'llama3-rope token-pair', arch: 'llama', head: 'token-pair', rope: true, dtypes: ['fp32', 'q4'] },
  {
    label: 'qwen2 qwen-prm 4-bit embedding',
    arch: 'qwen2',
    head: 'qwen-prm',
    quantizeEmbedding: true,
    dtypes: ['q4', 'q4f16'],
  },
];

const MODEL_FILE: Record<Dtype, string> = {
  fp32: 'model.onnx',
  fp16: 'model_fp16.onnx',
  q4: 'model_q4.onnx',
  q4f16: 'model_q4f16.onnx',
};

let tmp: string;
const converted = new Map<
  string,
  { t: TinyCheckpoint; result: ConvertResult; ids: number[]; ids2: number[] }
>();

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'prm-convert-'));
  let seed = 10;
  for (const c of CASES) {
    const t = await makeTinyCheckpoint({
      dir: join(tmp, 'ckpt', c.label.replace(/ /g, '_')),
      arch: c.arch,
      head: c.head,
      dtype: 'BF16',
      hidden: 64,
      heads: 4,
      std: 0.1,
      seed: seed++,
      shards: c.head === 'token-pair' ? 2 : 1,
      ropeScaling: c.rope,
    });
    const result = await convertCheckpoint({
      checkpointDir: t.dir,
      outDir: join(tmp, 'out', c.label.replace(/ /g, '_')),
      dtypes: c.dtypes,
      quantizeEmbedding: c.quantizeEmbedding,
      contextLength: 256,
    });
    const rng = makeRng(seed);
    const ids = Array.from({ length: 12 }, () => Math.floor(rng.uniform() * t.cfg.vocabSize));
    const ids2 = Array.from({ length: 7 }, () => Math.floor(rng.uniform() * t.cfg.vocabSize));
    converted.set(c.label, { t, result, ids, ids2 });
  }
}, 120_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const probs = (logits: ArrayLike<number>, from = 0, count = logits.length / 2) =>
  Array.from(
    { length: count },
    (_, i) => 1 / (1 + Math.exp(logits[from + 2 * i] - logits[from + 2 * i + 1])),
  );
const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));
const meanDiff = (a: number[], b: number[]) => a.reduce((s, x, i) => s + Math.abs(x - b[i]), 0) / a.length;

const QUANTIZED = /\.(q|k|v|o)_proj\.weight$|\.mlp\.(gate|up|down)_proj\.weight$|^score\.0\.weight$/;

/** The weights a q4 graph computes with: 4-bit linears (and embedding) dequantized. */
function dequantizedWeights(t: TinyCheckpoint, scaleType: 'f32' | 'f16', embedding: boolean) {
  const cache = new Map<string, Float32Array>();
  return (name: string): Float32Array => {
    const w = t.weights[name];
    const quantized = QUANTIZED.test(name) || (embedding && name === 'model.embed_tokens.weight');
    if (!quantized) return w;
    if (!cache.has(name)) {
      const [n, k] = expectedTensorShape(t.cfg, name)!;
      cache.set(name, dequantizeQ4(quantizeQ4(w, n, k, 32, scaleType)));
    }
    return cache.get(name)!;
  };
}

async function runModel(
  path: string,
  rows: number[][],
): Promise<{ session: ort.InferenceSession; logits: ort.Tensor }> {
  const seq = Math.max(...rows.map((r) => r.length));
  const ids = new BigInt64Array(rows.length * seq);
  const mask = new BigInt64Array(rows.length * seq);
  rows.forEach((r, b) =>
    r.forEach((id, i) => {
      ids[b * seq + i] = BigInt(id);
      mask[b * seq + i] = 1n;
    }),
  );
  const session = await ort.InferenceSession.create(path);
  const out = await session.run({
    input_ids: new ort.Tensor('int64', ids, [rows.length, seq]),
    attention_mask: new ort.Tensor('int64', mask, [rows.length, seq]),
  });
  return { session, logits: out.logits };
}

const MATRIX = CASES.flatMap((c) =>
  c.dtypes.map((dtype) => ({ label: c.label, dtype, qe: c.quantizeEmbedding ?? false })),
);

describe('convertCheckpoint(options) -> onnx run on onnxruntime-node', () => {
  it.each(MATRIX)(
    '$label $dtype: graph contract input_ids/attention_mask -> logits float32 [1, seq, 2]',
    async ({ label, dtype }) => {
      const { result, ids } = converted.get(label)!;
      const { session, logits } = await runModel(join(result.outDir, 'onnx', MODEL_FILE[dtype]), [ids]);
      expect(session.inputNames).toEqual(['input_ids', 'attention_mask']);
      expect(session.outputNames).toEqual(['logits']);
      expect(logits.type).toBe('float32');
      expect(logits.dims).toEqual([1, ids.length, 2]);
      await session.release();
    },
  );

  it.each(MATRIX)('$label $dtype: probabilities match referenceForward', async ({ label, dtype, qe }) => {
    const { t, result, ids } = converted.get(label)!;
    const { session, logits } = await runModel(join(result.outDir, 'onnx', MODEL_FILE[dtype]), [ids]);
    await session.release();
    const got = probs(logits.data as Float32Array);
    const ref = probs(referenceForward(t.cfg, (n) => t.weights[n], ids, t.tokenPair));
    switch (dtype) {
      case 'fp32':
        expect(maxDiff(got, ref)).toBeLessThanOrEqual(1e-4);
        break;
      case 'fp16':
        expect(maxDiff(got, ref)).toBeLessThanOrEqual(5e-3);
        break;
      case 'q4': {
        const deq = probs(referenceForward(t.cfg, dequantizedWeights(t, 'f32', qe), ids, t.tokenPair));
        expect(maxDiff(got, deq)).toBeLessThanOrEqual(1e-4);
        expect(maxDiff(got, ref)).toBeLessThan(0.2);
        expect(meanDiff(got, ref)).toBeLessThan(0.08);
        break;
      }
      case 'q4f16': {
        const deq = probs(referenceForward(t.cfg, dequantizedWeights(t, 'f16', qe), ids, t.tokenPair));
        expect(maxDiff(got, deq)).toBeLessThanOrEqual(5e-3);
        break;
      }
    }
  });

  it.each(MATRIX)(
    '$label $dtype: a right-padded batch of 2 gives the single-run probabilities',
    async ({ label, dtype }) => {
      const { result, ids, ids2 } = converted.get(label)!;
      const path = join(result.outDir, 'onnx', MODEL_FILE[dtype]);
      const batch = await runModel(path, [ids, ids2]);
      const one = await runModel(path, [ids]);
      const two = await runModel(path, [ids2]);
      for (const r of [batch, one, two]) await r.session.release();
      const data = batch.logits.data as Float32Array;
      const seq = ids.length;
      const tol = dtype === 'fp16' || dtype === 'q4f16' ? 2e-3 : 1e-5;
      expect(maxDiff(probs(data, 0, seq), probs(one.logits.data as Float32Array))).toBeLessThanOrEqual(tol);
      expect(
        maxDiff(probs(data, 2 * seq, ids2.length), probs(two.logits.data as Float32Array)),
      ).toBeLessThanOrEqual(tol);
    },
  );

  it.each(CASES)(
    '$label: writes config.json, tokenizer files and a valid prm.json for its family',
    async (c) => {
      const { t, result } = converted.get(c.label)!;
      const files = readdirSync(result.outDir).sort();
      expect(files).toEqual(['config.json', 'onnx', 'prm.json', 'tokenizer.json', 'tokenizer_config.json']);
      expect(readdirSync(join(result.outDir, 'onnx')).sort()).toEqual(
        c.dtypes.map((d) => MODEL_FILE[d]).sort(),
      );
      const spec = parseModelSpec(await readFile(join(result.outDir, 'prm.json'), 'utf8'));
      expect(spec.family).toBe(c.head);
      expect(spec.architecture).toBe(c.arch);
      expect(spec.dtypes).toEqual(c.dtypes);
      expect(spec.context_length).toBe(256);
      expect(JSON.parse(await readFile(join(result.outDir, 'config.json'), 'utf8'))).toEqual(t.config);
      const tc = JSON.parse(await readFile(join(result.outDir, 'tokenizer_config.json'), 'utf8'));
      if (c.head === 'qwen-prm') expect(typeof tc.chat_template).toBe('string');
    },
  );
});

describe('convertCheckpoint(options) external data', () => {
  it('splits weights over model.onnx_data, model.onnx_data_1, ... and records the count in config.json', async () => {
    const t = await makeTinyCheckpoint({
      dir: join(tmp, 'ext-ckpt'),
      arch: 'qwen2',
      head: 'token-classification',
      hidden: 64,
    });
    const out = join(tmp, 'ext-out');
    // Force external data and ~40 KB files so a 300 KB model needs several.
    const result = await convertCheckpoint({
      checkpointDir: t.dir,
      outDir: out,
      dtypes: ['fp32'],
      inlineLimit: 0,
      chunkBytes: 40_000,
    });
    const files = result.models[0].externalData;
    expect(files.length).toBeGreaterThan(2);
    expect(files.slice(0, 3)).toEqual(['model.onnx_data', 'model.onnx_data_1', 'model.onnx_data_2']);
    expect(readdirSync(join(out, 'onnx')).sort()).toEqual(['model.onnx', ...files].sort());
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config['transformers.js_config']).toEqual({
      use_external_data_format: { 'model.onnx': files.length },
    });

    const ids = [3, 9, 27, 1, 14];
    const { session, logits } = await runModel(join(out, 'onnx', 'model.onnx'), [ids]);
    await session.release();
    const ref = probs(referenceForward(t.cfg, (n) => t.weights[n], ids));
    expect(maxDiff(probs(logits.data as Float32Array), ref)).toBeLessThanOrEqual(1e-4);
  });
});

describe('ropeCaches(invFreq, positions)', () => {
  it('returns cos/sin of position x frequency, [positions, headDim / 2] row-major', () => {
    const { cos, sin } = ropeCaches(new Float64Array([1, 0.01]), 3);
    expect(Array.from(cos)).toEqual(
      [1, 1, Math.cos(1), Math.cos(0.01), Math.cos(2), Math.cos(0.02)].map(Math.fround),
    );
    expect(Array.from(sin)).toEqual(
      [0, 0, Math.sin(1), Math.sin(0.01), Math.sin(2), Math.sin(0.02)].map(Math.fround),
    );
  });
});

describe('ExternalDataWriter(io, dir, modelFile, chunkBytes)', () => {
  it('aligns tensors (64 bytes, 4096 from 1 MiB), starts a new chunk before overflowing, names chunks _data, _data_1', async () => {
    const dir = await mkdtemp(join(tmp, 'edw-'));
    const w = new ExternalDataWriter(nodeFileIo, dir, 'm.onnx', 300);
    const a = w.add('a', DataType.UINT8, [10], new Uint8Array(10).fill(1));
    const b = w.add('b', DataType.UINT8, [100], new Uint8Array(100).fill(2));
    // Reserved ranges are filled later, in any order, by positional writes.
    const { def: c, target } = w.reserve('c', DataType.UINT8, [100], 100);
    const { def: d, target: dt } = w.reserve('d', DataType.UINT8, [4], 4);
    nodeFileIo.writeAt(dt.fd, new Uint8Array(4).fill(4), dt.position);
    nodeFileIo.writeAt(target.fd, new Uint8Array(40).fill(3), target.position + 60);
    nodeFileIo.writeAt(target.fd, new Uint8Array(60).fill(3), target.position);
    w.close();
    // Chunk 0 leaves room before each tensor for its initializer header (see writeInlineModel).
    expect([a.external, b.external, c.external, d.external]).toEqual([
      { location: 'm.onnx_data', offset: 64, length: 10 },
      { location: 'm.onnx_data', offset: 128, length: 100 },
      { location: 'm.onnx_data_1', offset: 0, length: 100 },
      { location: 'm.onnx_data_1', offset: 128, length: 4 },
    ]);
    const first = new Uint8Array(await readFile(join(dir, 'm.onnx_data')));
    expect(first.length).toBe(228);
    expect([first[63], first[64], first[73], first[127], first[128], first[227]]).toEqual([0, 1, 1, 0, 2, 2]);
    const second = new Uint8Array(await readFile(join(dir, 'm.onnx_data_1')));
    expect([second[0], second[99], second[100], second[127], second[128], second[131]]).toEqual([
      3, 3, 0, 0, 4, 4,
    ]);
    expect(w.files).toEqual(['m.onnx_data', 'm.onnx_data_1']);
    expect(w.totalBytes).toBe(360);
  });

  it('writeInlineModel turns the data file into the model in place: weights written once, still aligned', async () => {
    const dir = await mkdtemp(join(tmp, 'edw-'));
    const w = new ExternalDataWriter(nodeFileIo, dir, 'm.onnx');
    const big = new Float32Array(1 << 18).map((_, i) => i % 7); // 1 MiB: page aligned
    const { def: wDef, target } = w.reserve('w', DataType.FLOAT, [512, 512], big.byteLength);
    w.add('bias', DataType.FLOAT, [3], new Uint8Array(new Float32Array([0.5, -1, 2]).buffer));
    nodeFileIo.writeAt(target.fd, new Uint8Array(big.buffer), target.position);
    w.close();
    const offset = wDef.external!.offset;
    expect(offset % 4096).toBe(0);
    const fields = {
      irVersion: 8,
      opsets: [{ domain: '', version: 17 }],
      producerName: 'test',
      producerVersion: '1',
    };
    // y = x + bias; w is only read back (its bytes and its size in the header).
    const graph = encodeGraph({
      name: 'g',
      nodes: [{ opType: 'Add', inputs: ['x', 'bias'], outputs: ['y'] }],
      initializers: [],
      inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: [3] }],
      outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: [3] }],
    });
    const size = await w.writeInlineModel(graph, encodeModelFields(fields));
    expect(readdirSync(dir)).toEqual(['m.onnx']);
    const bytes = new Uint8Array(await readFile(join(dir, 'm.onnx')));
    expect(bytes.length).toBe(size);
    expect(Array.from(new Float32Array(bytes.buffer, offset, 8))).toEqual([0, 1, 2, 3, 4, 5, 6, 0]);
    const info = readOnnxInfo(bytes, 'm.onnx');
    expect([info.initializerCount, info.initializerBytes, info.external]).toEqual([
      2,
      big.byteLength + 12,
      [],
    ]);
    const session = await ort.InferenceSession.create(join(dir, 'm.onnx'));
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([1, 2, 3]), [3]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([1.5, 1, 5]);
    await session.release();
  });

  it('refuses to close over a reserved range that was never written', async () => {
    const dir = await mkdtemp(join(tmp, 'edw-'));
    const w = new ExternalDataWriter(nodeFileIo, dir, 'm.onnx');
    w.add('a', DataType.UINT8, [10], new Uint8Array(10));
    w.reserve('b', DataType.UINT8, [8], 8);
    expect(() => w.close()).toThrow(/m\.onnx_data ended before the last tensor was written/);
  });
});

describe('resolveTokenPair(tokenizer, options, vocabSize) / tokenIdOf(tokenizer, token)', () => {
  const tok = {
    added_tokens: [{ id: 9, content: 'ки' }],
    model: { vocab: { '+': 1, '-': 2, '▁+': 648, '▁-': 387, x: 5 } },
  };
  type PairOptions = Parameters<typeof resolveTokenPair>[1];
  it.each<[PairOptions, number, number, string]>([
    [{}, 648, 387, 'defaults prefer the SentencePiece pieces (Math-Shepherd)'],
    [{ goodToken: '+', badToken: '-' }, 1, 2, 'explicit tokens are matched exactly'],
    [{ goodId: 7, badId: 8 }, 7, 8, 'ids win'],
    [{ goodToken: 'x', badId: 3 }, 5, 3, 'mixed'],
  ])('%j gives good %i, bad %i (%s)', (o, good, bad) => {
    const r = resolveTokenPair(tok, o, 1000);
    expect([r.goodTokenId, r.badTokenId]).toEqual([good, bad]);
  });

  it.each<[PairOptions, RegExp]>([
    [{ goodToken: 'nope' }, /good token "nope" is not a single token/],
    [{ goodId: 5000 }, /--good-id 5000 is outside the vocabulary/],
    [{ goodId: 2, badId: 2 }, /same id 2/],
  ])('%j throws %s', (o, message) => {
    expect(() => resolveTokenPair(tok, o, 1000)).toThrow(message);
  });

  it('finds added tokens and plain (Unigram) vocabularies', () => {
    expect(tokenIdOf(tok, 'ки')).toBe(9);
    expect(
      tokenIdOf(
        {
          model: {
            vocab: [
              ['a', 0],
              ['b', -1],
            ],
          },
        },
        'b',
      ),
    ).toBe(1);
    expect(tokenIdOf(tok, 'absent')).toBeUndefined();
  });
});

describe('convertCheckpoint(options) with worker threads', () => {
  const filesOf = async (dir: string) => {
    const names = readdirSync(join(dir, 'onnx')).sort();
    return Promise.all(
      names.map(async (n) => ({ n, bytes: new Uint8Array(await readFile(join(dir, 'onnx', n))) })),
    );
  };

  it.each([
    {
      what: 'inline weights, every dtype, 4-bit embedding',
      arch: 'qwen2',
      head: 'qwen-prm',
      ext: false,
      dtype: 'BF16',
    },
    { what: 'external data in several files', arch: 'llama', head: 'token-pair', ext: true, dtype: 'F16' },
  ] as const)(
    'writes the same bytes as the main thread alone ($what)',
    async ({ arch, head, ext, dtype }) => {
      const t = await makeTinyCheckpoint({
        dir: join(tmp, `pool-ckpt-${arch}`),
        arch,
        head,
        hidden: 64,
        dtype,
        shards: head === 'token-pair' ? 2 : 1,
      });
      const common = {
        checkpointDir: t.dir,
        dtypes: ['fp32', 'fp16', 'q4', 'q4f16'] as Dtype[],
        quantizeEmbedding: !ext,
        contextLength: 64,
        ...(ext ? { inlineLimit: 0, chunkBytes: 60_000 } : {}),
      };
      const alone = await convertCheckpoint({ ...common, outDir: join(tmp, `pool-${arch}-0`), threads: 0 });
      const pooled = await convertCheckpoint({
        ...common,
        outDir: join(tmp, `pool-${arch}-2`),
        threads: 2,
        workerMinValues: 0,
      });
      const [a, b] = [await filesOf(alone.outDir), await filesOf(pooled.outDir)];
      expect(b.map((f) => f.n)).toEqual(a.map((f) => f.n));
      if (ext) expect(a.length).toBeGreaterThan(6);
      for (let i = 0; i < a.length; i++) {
        expect(Buffer.compare(b[i].bytes, a[i].bytes), b[i].n).toBe(0);
      }
      // And the pooled model runs: the bytes are a model, not just equal garbage.
      const { logits, session } = await runModel(join(pooled.outDir, 'onnx', MODEL_FILE.q4), [[1, 2, 3]]);
      expect(logits.dims).toEqual([1, 3, 2]);
      await session.release();
    },
    60_000,
  );

  it('--threads out of range is a clear error', async () => {
    await expect(
      convertCheckpoint({ checkpointDir: tmp, outDir: join(tmp, 'never'), threads: -1 }),
    ).rejects.toThrow(/--threads must be a whole number from 0 to 64, got -1/);
  });
});

describe('nodeWeightPool(threads)', () => {
  it('reports a job that fails in a worker (here: writing to a closed file) from submit/drain', async () => {
    const pool = nodeWeightPool(1);
    try {
      const job = {
        name: 'w',
        src: new Float32Array(32).fill(1),
        n: 1,
        k: 32,
        outs: [
          {
            kind: 'float' as const,
            dtype: 'F32' as const,
            transpose: false,
            target: { fd: 987654, position: 0 },
          },
        ],
      };
      await pool.submit(job, () => {});
      await expect(pool.drain()).rejects.toThrow(/EBADF/);
      await expect(pool.submit({ ...job, src: new Float32Array(32) }, () => {})).rejects.toThrow(/EBADF/);
    } finally {
      await pool.close();
    }
  });
});

describe('convertCheckpoint(options) refuses bad input and leaves no half-written folder', () => {
  const noLeftovers = (parent: string, name: string) => {
    const left = readdirSync(parent).filter((f) => f.startsWith(name));
    expect(left).toEqual([]);
  };

  async function fresh(name: string, head: HeadKind = 'token-classification', shards = 1) {
    const dir = join(tmp, 'bad', name);
    await mkdir(join(tmp, 'bad-out'), { recursive: true });
    const t = await makeTinyCheckpoint({ dir, arch: 'qwen2', head, hidden: 64, shards });
    return { t, out: join(tmp, 'bad-out', name) };
  }

  /** Rewrites the JSON header of a single-file checkpoint, keeping its length (space padded). */
  async function editHeader(
    dir: string,
    edit: (h: Record<string, { dtype: string; data_offsets: number[] }>) => void,
  ) {
    const file = join(dir, 'model.safetensors');
    const buf = new Uint8Array(await readFile(file));
    const len = Number(new DataView(buf.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + len)));
    edit(header);
    const text = JSON.stringify(header);
    expect(text.length).toBeLessThanOrEqual(len);
    buf.set(new TextEncoder().encode(text.padEnd(len, ' ')), 8);
    await writeFile(file, buf);
  }

  it.each([
    {
      what: 'a truncated safetensors file',
      name: 'truncated',
      spoil: async (t: TinyCheckpoint) => truncate(join(t.dir, 'model.safetensors'), 5000),
      error: /truncated|download it again/,
    },
    {
      what: 'a header that lies about offsets',
      name: 'lying',
      spoil: (t: TinyCheckpoint) =>
        editHeader(t.dir, (h) => {
          h['model.norm.weight'].data_offsets[1] += 4;
        }),
      error: /model\.norm\.weight.*data_offsets/,
    },
    {
      what: 'a dtype the converter does not read',
      name: 'dtype',
      spoil: (t: TinyCheckpoint) =>
        editHeader(t.dir, (h) => {
          h['model.layers.0.mlp.up_proj.weight'].dtype = 'I32';
        }),
      error: /up_proj\.weight" is stored as I32; only F32, F16, BF16 and F64/,
    },
    {
      what: 'a config missing a field',
      name: 'config',
      spoil: async (t: TinyCheckpoint) => {
        const { hidden_size: _drop, ...rest } = t.config;
        await writeFile(join(t.dir, 'config.json'), JSON.stringify(rest));
      },
      error: /config\.json: missing field "hidden_size"/,
    },
    {
      what: 'a config.json that is not JSON',
      name: 'config-json',
      spoil: (t: TinyCheckpoint) => writeFile(join(t.dir, 'config.json'), '{"hidden_size": 64,'),
      error: /config\.json: invalid JSON \(/,
    },
    {
      what: 'a tokenizer_config.json that is a JSON array',
      name: 'tokenizer-config-json',
      spoil: (t: TinyCheckpoint) => writeFile(join(t.dir, 'tokenizer_config.json'), '[]'),
      error: /tokenizer_config\.json: invalid JSON \(not a JSON object\)/,
    },
    {
      what: 'a missing tensor',
      name: 'missing',
      spoil: async (t: TinyCheckpoint) => {
        const file = join(t.dir, 'model.safetensors.index.json');
        const index = JSON.parse(await readFile(file, 'utf8'));
        delete index.weight_map['model.layers.1.self_attn.k_proj.weight'];
        await writeFile(file, JSON.stringify(index));
      },
      shards: 2,
      error: /lacks 1 tensor\(s\).*"model\.layers\.1\.self_attn\.k_proj\.weight"/,
    },
    {
      what: 'a qwen-prm tokenizer_config.json without chat_template',
      name: 'template',
      head: 'qwen-prm' as HeadKind,
      spoil: async (t: TinyCheckpoint) => {
        const file = join(t.dir, 'tokenizer_config.json');
        const { chat_template: _drop, ...rest } = JSON.parse(await readFile(file, 'utf8'));
        await writeFile(file, JSON.stringify(rest));
      },
      error: /has no "chat_template"/,
    },
    {
      what: 'an unreadable PyTorch pickle instead of safetensors',
      name: 'pickle',
      spoil: async (t: TinyCheckpoint) => {
        await rm(join(t.dir, 'model.safetensors'));
        await writeFile(join(t.dir, 'pytorch_model.bin'), 'not read');
      },
      error: /pickle weights.*safetensors/,
    },
  ])('$what', async ({ name, spoil, error, head, shards }) => {
    const { t, out } = await fresh(name, head, shards);
    await spoil(t);
    const err = await convertCheckpoint({ checkpointDir: t.dir, outDir: out, dtypes: ['q4'] }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(error);
    // The page's converter calls only a CheckpointError the checkpoint's fault ('bad-checkpoint').
    expect(err).toBeInstanceOf(CheckpointError);
    noLeftovers(join(tmp, 'bad-out'), name);
  });

  it('an existing output folder, unless force; force replaces only a folder it wrote', async () => {
    const { t, out } = await fresh('exists');
    await mkdir(out);
    await writeFile(join(out, 'keep.txt'), 'mine');
    await expect(convertCheckpoint({ checkpointDir: t.dir, outDir: out, dtypes: ['q4'] })).rejects.toThrow(
      /already exists.*--force/,
    );
    await expect(
      convertCheckpoint({ checkpointDir: t.dir, outDir: out, dtypes: ['q4'], force: true }),
    ).rejects.toThrow(/--force only replaces an empty folder.*keep\.txt/);
    expect(readdirSync(out)).toEqual(['keep.txt']);
    await rm(join(out, 'keep.txt'));
    await convertCheckpoint({ checkpointDir: t.dir, outDir: out, dtypes: ['fp32'], force: true });
    await convertCheckpoint({ checkpointDir: t.dir, outDir: out, dtypes: ['q4'], force: true });
    expect(readdirSync(out).sort()).toEqual([
      'config.json',
      'onnx',
      'prm.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(readdirSync(join(out, 'onnx'))).toEqual(['model_q4.onnx']);
    expect(readdirSync(join(tmp, 'bad-out')).filter((f) => f.startsWith('exists'))).toEqual(['exists']);
  });

  it.each([
    ['qwen-prm', false],
    ['token-pair', false],
    ['token-pair', true],
  ] as const)('progress bytesToRead: %s head, tied %s, counts what is read', async (head, tie) => {
    const dir = join(tmp, 'bad', `to-read-${head}-${tie}`);
    const t = await makeTinyCheckpoint({ dir, arch: 'qwen2', head, hidden: 64, tie });
    const file = await readFile(join(t.dir, 'model.safetensors'));
    const headerLength = Number(file.readBigUInt64LE(0));
    const header = JSON.parse(file.subarray(8, 8 + headerLength).toString()) as Record<
      string,
      { shape: number[]; data_offsets: [number, number] }
    >;
    // Every tensor in full but lm_head: a qwen-prm checkpoint's is unused, a token-pair head reads
    // two rows of it (or, tied, of the embedding a second time).
    let expected = 0;
    for (const [name, info] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const {
        shape,
        data_offsets: [a, b],
      } = info;
      if (name !== 'lm_head.weight') expected += b - a;
      else if (head === 'token-pair') expected += ((b - a) / shape[0]) * 2;
      if (tie && name === 'model.embed_tokens.weight') expected += ((b - a) / shape[0]) * 2;
    }
    const seen = new Set<number>();
    await convertCheckpoint({
      checkpointDir: t.dir,
      outDir: join(tmp, 'bad-out', `to-read-${head}-${tie}`),
      dtypes: ['q4'],
      onProgress: (p) => seen.add(p.bytesToRead),
    });
    expect([...seen]).toEqual([expected]);
    if (!tie) expect(expected).toBeLessThan(file.length - 8 - headerLength);
  });

  it('an abort midway removes the temporary folder', async () => {
    const { t, out } = await fresh('abort');
    const controller = new AbortController();
    await expect(
      convertCheckpoint({
        checkpointDir: t.dir,
        outDir: out,
        dtypes: ['fp32'],
        signal: controller.signal,
        onProgress: (p) => {
          if (p.index === 5) controller.abort();
        },
      }),
    ).rejects.toThrow(/aborted/);
    noLeftovers(join(tmp, 'bad-out'), 'abort');
  });

  it.each([
    [{ dtypes: ['int8' as Dtype] }, /unknown dtype "int8"/],
    [{ blockSize: 24 }, /--block-size: block size must be a power of two/],
    [{ dtypes: [] as Dtype[] }, /no dtype requested/],
  ])('bad options %j', async (o, error) => {
    const { t, out } = await fresh(`opt-${Object.keys(o)[0]}`);
    await expect(convertCheckpoint({ checkpointDir: t.dir, outDir: out, ...o })).rejects.toThrow(error);
    expect(existsSync(out)).toBe(false);
  });
});

describe('prm convert (CLI)', () => {
  const capture = () => {
    const io = { out: '', err: '' };
    return {
      io,
      cli: { stdout: (s: string) => (io.out += s), stderr: (s: string) => (io.err += s), isTTY: false },
    };
  };

  it('converts a checkpoint, prints the files and progress lines, exit code 0; text flags reach prm.json', async () => {
    const t = await makeTinyCheckpoint({
      dir: join(tmp, 'cli-ckpt'),
      arch: 'mistral',
      head: 'token-pair',
      hidden: 64,
    });
    const { io, cli } = capture();
    const code = await main(
      [
        'convert',
        t.dir,
        '--out',
        join(tmp, 'cli-out'),
        '--dtype',
        'q4',
        '--good-token',
        '+',
        '--bad-token',
        '-',
        '--strip-step-labels',
        '--reverse-numbers',
      ],
      cli,
    );
    expect(code).toBe(0);
    const spec = parseModelSpec(await readFile(join(tmp, 'cli-out', 'prm.json'), 'utf8'));
    expect([spec.strip_step_labels, spec.reverse_numbers]).toEqual([true, true]);
    expect(io.out).toMatch(/onnx\/model_q4\.onnx/);
    expect(io.err).toMatch(/token pair: good "\+" -> \d+, bad "-" -> \d+/);
    expect(io.err).toMatch(/tensor 21\/21 lm_head\.weight/);
  });

  it.each([
    [['convert'], 2, /name the checkpoint folder/],
    [['convert', 'x'], 2, /--out <model-dir> is required/],
    [['convert', 'x', '--out', 'y', '--dtype', 'q8'], 2, /--dtype takes a comma-separated list/],
    [
      ['convert', join('/nonexistent', 'ckpt'), '--out', join('/tmp', 'prm-never')],
      1,
      /cannot read the checkpoint folder/,
    ],
  ])('%j exits %i with a clear message', async (argv, exit, message) => {
    const { io, cli } = capture();
    expect(await main(argv as string[], cli)).toBe(exit);
    expect(io.err).toMatch(message);
  });
});
