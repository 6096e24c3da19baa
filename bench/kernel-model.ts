/**
 * Kernel-isolation models for `prm bench`: model folders that take the bundled model's inputs
 * (its tokenizer, prm.json and config are copied) but whose graph is ONE kind of kernel, so the
 * benchmark's backend ratios say how fast each backend runs that kernel, with nothing else in the
 * way. Shapes are the bundled model's (hidden 192, intermediate 512, 6 query / 3 key-value heads of
 * 32), so the FLOPs match what `arith-prm-mini` spends on that kind of op:
 *
 *   matmul-fp32   8 x (MatMul 192->512, MatMul 512->192), float32 weights
 *   matmul-q4     the same with MatMulNBits (4-bit, block 32): what `prm convert --dtype q4` emits
 *   matmul-q4acc4 the same with accuracy_level = 4 (onnxruntime may quantize activations to int8)
 *   matmul-int8   the same with DynamicQuantizeMatMul (int8 weights, activations quantized to
 *                 8 bits per run): onnxruntime's integer GEMM, the fastest CPU path it has
 *   attention     4 x GroupQueryAttention over the whole input (no KV cache), as the decoder
 *
 * Every graph starts with an embedding Gather and ends with a float32 MatMul to 2 logits, so the
 * benchmark's reward extraction and cross-backend check run unchanged. Weights are random (seeded):
 * the scores mean nothing. Each folder's graph is stored as onnx/model.onnx (dtype "fp32" to the
 * benchmark; the folder name says which kernel it is).
 *
 *   npx tsx bench/kernel-model.ts --out .bench/kernels
 *   for k in matmul-fp32 matmul-q4 matmul-q4acc4 matmul-int8 attention; do
 *     node bin/prm.js bench --model .bench/kernels/$k --dtype fp32 --backends node,wasm1,wasmN \
 *       --solutions typical --repeats 20 --md .bench/kernels/$k.md
 *   done
 *
 * Deliberately does not: run the benchmark, or model anything but the op it isolates.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  attr,
  DataType,
  encodedToBytes,
  encodeModel,
  type AttributeDef,
  type NodeDef,
  type TensorDef,
} from '../src/convert/onnx-proto.ts';
import { mulberry32 } from '../src/core/synth/rng.ts';

const root = resolve(import.meta.dirname, '..');
const BUNDLED = join(root, 'models/arith-prm-mini');

export const KERNELS = ['matmul-fp32', 'matmul-q4', 'matmul-q4acc4', 'matmul-int8', 'attention'] as const;
export type Kernel = (typeof KERNELS)[number];

const H = 192;
const I = 512;
const PAIRS = 8;
const HEADS = 6;
const KV_HEADS = 3;
const HEAD_DIM = 32;
const ATTN_LAYERS = 4;
const BLOCK = 32;

function floats(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * The graph of one kernel model over `vocab` token ids.
 *
 * @example
 * const g = kernelGraph('matmul-q4', 340); // 16 MatMulNBits between a Gather and a 2-logit MatMul
 */
export function kernelGraph(kernel: Kernel, vocab: number): { nodes: NodeDef[]; initializers: TensorDef[] } {
  const rnd = mulberry32(20261122).next;
  const uniform = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
  const nodes: NodeDef[] = [];
  const initializers: TensorDef[] = [];
  const floatInit = (name: string, dims: number[], values: Float32Array) =>
    initializers.push({ name, dataType: DataType.FLOAT, dims, raw: floats(values) });
  const int64Init = (name: string, dims: number[], value: number) =>
    initializers.push({
      name,
      dataType: DataType.INT64,
      dims,
      raw: new Uint8Array(BigInt64Array.of(BigInt(value)).buffer),
    });

  floatInit('embedding', [vocab, H], uniform(vocab * H, 1));
  nodes.push({ opType: 'Gather', inputs: ['embedding', 'input_ids'], outputs: ['x0'] });
  let x = 'x0';

  if (kernel === 'attention') {
    // GQA's sequence inputs from the mask, as src/convert/graph/decoder.ts builds them.
    int64Init('one', [], 1);
    int64Init('axis1', [1], 1);
    int64Init('kv_start', [1], 0);
    int64Init('kv_end', [1], KV_HEADS * HEAD_DIM);
    int64Init('last_axis', [1], -1);
    nodes.push(
      {
        opType: 'ReduceSum',
        inputs: ['attention_mask', 'axis1'],
        outputs: ['mask_sum'],
        attributes: { keepdims: attr.int(0) },
      },
      { opType: 'Sub', inputs: ['mask_sum', 'one'], outputs: ['mask_sum_1'] },
      {
        opType: 'Cast',
        inputs: ['mask_sum_1'],
        outputs: ['seqlens_k'],
        attributes: { to: attr.int(DataType.INT32) },
      },
      { opType: 'Shape', inputs: ['attention_mask'], outputs: ['mask_shape'] },
      {
        opType: 'Gather',
        inputs: ['mask_shape', 'one'],
        outputs: ['seq_len'],
        attributes: { axis: attr.int(0) },
      },
      {
        opType: 'Cast',
        inputs: ['seq_len'],
        outputs: ['total_seq_len'],
        attributes: { to: attr.int(DataType.INT32) },
      },
    );
    for (let l = 0; l < ATTN_LAYERS; l++) {
      // Keys and values are the first 3 heads' worth of the input: the op's cost is what counts.
      nodes.push({ opType: 'Slice', inputs: [x, 'kv_start', 'kv_end', 'last_axis'], outputs: [`kv${l}`] });
      nodes.push({
        opType: 'GroupQueryAttention',
        domain: 'com.microsoft',
        inputs: [x, `kv${l}`, `kv${l}`, '', '', 'seqlens_k', 'total_seq_len'],
        outputs: [`a${l}`],
        attributes: {
          num_heads: attr.int(HEADS),
          kv_num_heads: attr.int(KV_HEADS),
          scale: attr.float(1 / Math.sqrt(HEAD_DIM)),
        },
      });
      x = `a${l}`;
    }
  } else {
    for (let i = 0; i < 2 * PAIRS; i++) {
      const [k, n] = i % 2 === 0 ? [H, I] : [I, H];
      const w = `w${i}`;
      const y = `y${i}`;
      if (kernel === 'matmul-fp32') {
        floatInit(w, [k, n], uniform(k * n, Math.sqrt(3 / k)));
        nodes.push({ opType: 'MatMul', inputs: [x, w], outputs: [y] });
      } else if (kernel === 'matmul-int8') {
        const q = new Int8Array(k * n).map(() => Math.round((rnd() * 2 - 1) * 127));
        initializers.push({ name: w, dataType: DataType.INT8, dims: [k, n], raw: new Uint8Array(q.buffer) });
        floatInit(`${w}_scale`, [n], new Float32Array(n).fill(Math.sqrt(3 / k) / 127));
        nodes.push({
          opType: 'DynamicQuantizeMatMul',
          domain: 'com.microsoft',
          inputs: [x, w, `${w}_scale`],
          outputs: [y],
        });
      } else {
        const kBlocks = k / BLOCK;
        const packed = new Uint8Array((n * k) / 2).map(() => Math.floor(rnd() * 256));
        initializers.push({ name: w, dataType: DataType.UINT8, dims: [n, kBlocks, BLOCK / 2], raw: packed });
        // Nibbles 0..15 around zero point 8: std about 4.6 steps -> output scale ~1.
        floatInit(`${w}_scales`, [n * kBlocks], new Float32Array(n * kBlocks).fill(1 / (4.6 * Math.sqrt(k))));
        const attributes: Record<string, AttributeDef> = {
          K: attr.int(k),
          N: attr.int(n),
          bits: attr.int(4),
          block_size: attr.int(BLOCK),
        };
        if (kernel === 'matmul-q4acc4') attributes.accuracy_level = attr.int(4);
        nodes.push({
          opType: 'MatMulNBits',
          domain: 'com.microsoft',
          inputs: [x, w, `${w}_scales`],
          outputs: [y],
          attributes,
        });
      }
      x = y;
    }
  }
  floatInit('head', [H, 2], uniform(H * 2, 0.1));
  nodes.push({ opType: 'MatMul', inputs: [x, 'head'], outputs: ['logits'] });
  return { nodes, initializers };
}

/** Writes the kernel model folder `dir` (tokenizer, config and prm.json from the bundled model). */
export function writeKernelModel(kernel: Kernel, dir: string): void {
  const config = JSON.parse(readFileSync(join(BUNDLED, 'config.json'), 'utf8')) as { vocab_size: number };
  const spec = JSON.parse(readFileSync(join(BUNDLED, 'prm.json'), 'utf8')) as Record<string, unknown>;
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
    copyFileSync(join(BUNDLED, f), join(dir, f));
  writeFileSync(
    join(dir, 'prm.json'),
    `${JSON.stringify({ ...spec, name: `kernel-${kernel}`, dtypes: ['fp32'], description: `bench/kernel-model.ts: ${kernel} only` }, null, 2)}\n`,
  );
  const { nodes, initializers } = kernelGraph(kernel, config.vocab_size);
  const model = encodeModel({
    irVersion: 9,
    opsets: [
      { domain: '', version: 21 },
      { domain: 'com.microsoft', version: 1 },
    ],
    producerName: 'prm-playground bench/kernel-model.ts',
    producerVersion: '1',
    graph: {
      name: kernel,
      nodes,
      initializers,
      inputs: [
        { name: 'input_ids', elemType: DataType.INT64, shape: ['batch', 'sequence'] },
        { name: 'attention_mask', elemType: DataType.INT64, shape: ['batch', 'sequence'] },
      ],
      outputs: [{ name: 'logits', elemType: DataType.FLOAT, shape: ['batch', 'sequence', 2] }],
    },
  });
  writeFileSync(join(dir, 'onnx/model.onnx'), encodedToBytes(model));
}

function main(): void {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, kernels: { type: 'string', default: KERNELS.join(',') } },
  });
  if (!values.out) {
    console.error(`Usage: npx tsx bench/kernel-model.ts --out DIR [--kernels ${KERNELS.join(',')}]`);
    process.exit(2);
  }
  for (const k of values.kernels.split(',')) {
    if (!(KERNELS as readonly string[]).includes(k)) {
      console.error(`Unknown kernel "${k}"; expected one of ${KERNELS.join(', ')}.`);
      process.exit(2);
    }
    const dir = join(values.out, k);
    writeKernelModel(k as Kernel, dir);
    console.log(`wrote ${dir}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) main();
