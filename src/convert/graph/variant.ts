/**
 * One ONNX variant (fp32, fp16, q4 or q4f16) of the graph being built: its nodes, its initializers
 * (streamed to an `ExternalDataWriter`) and the per-dtype choices - float32 or float16
 * activations, MatMul or MatMulNBits for linear layers, Gather or GatherBlockQuantized for the
 * embedding. `GraphBuilder` drives several variants with the same calls so a checkpoint is read
 * once for all requested dtypes.
 *
 * Value names are derived from the node path the caller gives (`<path>/output_0`), identical in
 * every variant, so the builder can hand one name to all of them.
 *
 * Deliberately does not: read checkpoints (the builder passes float32 data in) or decide graph
 * structure beyond one layer's op choice.
 */
import { modelFileFor } from '../../core/spec.ts';
import type { Dtype } from '../../core/types.ts';
import {
  attr,
  DataType,
  type AttributeDef,
  type DataTypeCode,
  type NodeDef,
  type TensorDef,
} from '../onnx-proto.ts';
import { encodeFloats } from '../float16.ts';
import { q4Sizes } from '../quantize.ts';
import type { Target, WeightOut } from '../weight-jobs.ts';
import { ExternalDataWriter } from './external-data.ts';
import type { FileIo } from '../file-io.ts';

export interface VariantOptions {
  dtype: Dtype;
  /** MatMulNBits / GatherBlockQuantized block size along K. */
  blockSize: number;
  /** q4/q4f16 only: store the embedding 4-bit (GatherBlockQuantized) instead of float. */
  quantizeEmbedding: boolean;
  /** Start a new external data file before it would exceed this many bytes. */
  chunkBytes?: number;
}

export interface LinearSpec {
  /** Base name of the initializers, e.g. `model.layers.0.self_attn.q_proj`. */
  name: string;
  n: number;
  k: number;
  bias?: Float32Array;
  /** Quantize in q4 variants (heads keep their tiny 2-row outputs in float). */
  quantize: boolean;
}

// Tiny constants (axes, scalars) stay inside the .onnx file.
const INLINE_LIMIT = 1024;

export class VariantGraph {
  readonly dtype: Dtype;
  readonly modelFile: string;
  readonly floatType: DataTypeCode;
  readonly quantized: boolean;
  readonly blockSize: number;
  readonly quantizeEmbedding: boolean;
  readonly data: ExternalDataWriter;
  readonly nodes: NodeDef[] = [];
  readonly inlineInitializers: TensorDef[] = [];
  private readonly renames = new Map<string, string>();

  constructor(io: FileIo, dir: string, options: VariantOptions) {
    this.dtype = options.dtype;
    // `onnx/model_q4.onnx` in the folder layout of ../../core/spec.ts; this writes inside onnx/.
    this.modelFile = modelFileFor(options.dtype).replace(/^onnx\//, '');
    this.floatType =
      options.dtype === 'fp16' || options.dtype === 'q4f16' ? DataType.FLOAT16 : DataType.FLOAT;
    this.quantized = options.dtype === 'q4' || options.dtype === 'q4f16';
    this.blockSize = options.blockSize;
    this.quantizeEmbedding = this.quantized && options.quantizeEmbedding;
    this.data = new ExternalDataWriter(io, dir, this.modelFile, options.chunkBytes);
  }

  get isF16(): boolean {
    return this.floatType === DataType.FLOAT16;
  }

  node(
    path: string,
    opType: string,
    inputs: string[],
    outputs: string[],
    attributes?: Record<string, AttributeDef>,
    domain?: string,
  ): void {
    this.nodes.push({ name: path, opType, inputs, outputs, attributes, domain });
  }

  /** An int64/int32 constant kept inline. */
  intConstant(name: string, values: number[], dims: number[], type: 'int64' | 'int32' = 'int64'): void {
    const raw =
      type === 'int64'
        ? new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer)
        : new Uint8Array(Int32Array.from(values).buffer);
    this.inlineInitializers.push({
      name,
      dataType: type === 'int64' ? DataType.INT64 : DataType.INT32,
      dims,
      raw,
    });
  }

  /** A float initializer in this variant's activation type (float32 or float16). */
  floatTensor(name: string, values: Float32Array, dims: number[]): void {
    const bytes = encodeFloats(this.isF16 ? 'F16' : 'F32', values);
    if (bytes.byteLength <= INLINE_LIMIT) {
      this.inlineInitializers.push({ name, dataType: this.floatType, dims, raw: bytes.slice() });
    } else {
      this.data.add(name, this.floatType, dims, bytes);
    }
  }

  /**
   * Room for a float tensor of `count` values in this variant's type: an inline initializer when
   * tiny (filled through `receive`), else a reserved range of the data file.
   */
  private floatSlot(
    name: string,
    dims: number[],
    count: number,
  ): Omit<PlannedOut, 'out'> & { target: Target } {
    const byteLength = count * (this.isF16 ? 2 : 4);
    if (byteLength <= INLINE_LIMIT) {
      const def: TensorDef = { name, dataType: this.floatType, dims, raw: new Uint8Array(byteLength) };
      this.inlineInitializers.push(def);
      return { target: 'return', receive: (bytes) => (def.raw = bytes) };
    }
    return { target: this.data.reserve(name, this.floatType, dims, byteLength).target };
  }

  /**
   * `y = x W^T (+ b)` as MatMul on a pre-transposed weight, or MatMulNBits (+ Add) in q4 variants.
   * Emits the nodes and reserves the weight's storage; the bytes come from running the returned
   * outputs as a weight job (`../weight-jobs.ts`) on the `[n, k]` weight. The result value is
   * always `<path>/output_0`.
   */
  linear(path: string, x: string, spec: LinearSpec): { value: string; outs: PlannedOut[] } {
    const value = `${path}/output_0`;
    const { n, k } = spec;
    const biasName = `${spec.name}.bias`;
    const mm = spec.bias ? `${path}/MatMul/output_0` : value;
    let planned: PlannedOut;
    if (this.quantized && spec.quantize) {
      const { packedBytes, scaleCount } = q4Sizes(n, k, this.blockSize);
      const kBlocks = scaleCount / n;
      const qName = `${spec.name}.weight_Q4`;
      const sName = `${spec.name}.weight_scales`;
      const packed = this.data.reserve(qName, DataType.UINT8, [n, kBlocks, this.blockSize / 2], packedBytes);
      const scales = this.floatSlot(sName, [n, kBlocks], scaleCount);
      planned = {
        out: {
          kind: 'q4',
          blockSize: this.blockSize,
          scaleType: this.isF16 ? 'f16' : 'f32',
          packed: packed.target,
          scales: scales.target,
        },
        receive: scales.receive,
      };
      this.node(
        `${path}/MatMulNBits`,
        'MatMulNBits',
        [x, qName, sName],
        [mm],
        { K: attr.int(k), N: attr.int(n), bits: attr.int(4), block_size: attr.int(this.blockSize) },
        'com.microsoft',
      );
    } else {
      const wName = `${spec.name}.weight_T`;
      const slot = this.floatSlot(wName, [k, n], n * k);
      planned = {
        out: { kind: 'float', dtype: this.isF16 ? 'F16' : 'F32', transpose: true, target: slot.target },
        receive: slot.receive,
      };
      this.node(`${path}/MatMul`, 'MatMul', [x, wName], [mm]);
    }
    if (spec.bias) {
      this.floatTensor(biasName, spec.bias, [n]);
      this.node(`${path}/Add`, 'Add', [mm, biasName], [value]);
    }
    return { value, outs: [planned] };
  }

  /**
   * Begins the embedding table `[vocab, hidden]`: reserves its storage and returns, per slice of
   * rows, the weight-job outputs that fill it.
   */
  embeddingBegin(name: string, vocab: number, hidden: number): EmbeddingSink {
    if (this.quantizeEmbedding) {
      if (hidden % this.blockSize !== 0) {
        throw new Error(
          `--quantize-embedding needs hidden_size (${hidden}) to be a multiple of the block size (${this.blockSize})`,
        );
      }
      const kBlocks = hidden / this.blockSize;
      const qName = `${name}_Q4`;
      const sName = `${name}_scales`;
      const packed = this.data.reserve(
        qName,
        DataType.UINT8,
        [vocab, hidden / 2],
        (vocab * hidden) / 2,
      ).target;
      const scales = this.floatSlot(sName, [vocab, kBlocks], vocab * kBlocks);
      const scaleBytes = kBlocks * (this.isF16 ? 2 : 4);
      // A tiny model's inline scales arrive a slice at a time.
      const inline = scales.target === 'return' ? new Uint8Array(vocab * scaleBytes) : null;
      if (inline) scales.receive!(inline);
      return {
        slice: (first) => [
          {
            out: {
              kind: 'q4',
              blockSize: this.blockSize,
              scaleType: this.isF16 ? 'f16' : 'f32',
              packed: { fd: packed.fd, position: packed.position + (first * hidden) / 2 },
              scales:
                scales.target === 'return'
                  ? 'return'
                  : { fd: scales.target.fd, position: scales.target.position + first * scaleBytes },
            },
            receive: inline ? (bytes) => inline.set(bytes, first * scaleBytes) : undefined,
          },
        ],
        end: () => ({ kind: 'q4', data: qName, scales: sName }),
      };
    }
    const bytesPer = this.isF16 ? 2 : 4;
    const { target } = this.data.reserve(name, this.floatType, [vocab, hidden], vocab * hidden * bytesPer);
    return {
      slice: (first) => [
        {
          out: {
            kind: 'float',
            dtype: this.isF16 ? 'F16' : 'F32',
            transpose: false,
            target: { fd: target.fd, position: target.position + first * hidden * bytesPer },
          },
        },
      ],
      end: () => ({ kind: 'float', data: name }),
    };
  }

  /** Gather (or GatherBlockQuantized) of `ids` from an embedding written with `embeddingBegin`. */
  embeddingLookup(path: string, ids: string, table: EmbeddingTable): string {
    const out = `${path}/output_0`;
    if (table.kind === 'q4') {
      this.node(
        `${path}/GatherBlockQuantized`,
        'GatherBlockQuantized',
        [table.data, ids, table.scales],
        [out],
        {
          bits: attr.int(4),
          block_size: attr.int(this.blockSize),
          gather_axis: attr.int(0),
          quantize_axis: attr.int(1),
        },
        'com.microsoft',
      );
    } else {
      this.node(`${path}/Gather`, 'Gather', [table.data, ids], [out], { axis: attr.int(0) });
    }
    return out;
  }

  /** Makes `value` the float32 graph output `name` (a Cast in float16 variants, a rename otherwise). */
  floatOutput(name: string, value: string): void {
    if (this.isF16)
      this.node(`/model/${name}/Cast`, 'Cast', [value], [name], { to: attr.int(DataType.FLOAT) });
    else this.renames.set(value, name);
  }

  /** Nodes with output renames applied. */
  finalNodes(): NodeDef[] {
    const r = (s: string) => this.renames.get(s) ?? s;
    return this.nodes.map((n) => ({ ...n, inputs: n.inputs.map(r), outputs: n.outputs.map(r) }));
  }
}

export type EmbeddingTable = { kind: 'float'; data: string } | { kind: 'q4'; data: string; scales: string };

export interface EmbeddingSink {
  /** The outputs that write rows `[first, first + count)` from a `[count, hidden]` weight job. */
  slice(first: number, count: number): PlannedOut[];
  end(): EmbeddingTable;
}

/** One output of a weight job, and where bytes handed back go (an inline initializer). */
export interface PlannedOut {
  out: WeightOut;
  receive?: (bytes: Uint8Array) => void;
}
