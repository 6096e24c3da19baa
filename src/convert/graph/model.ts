/**
 * Builds the ONNX files of one checkpoint, every requested dtype in one pass over the weights,
 * and writes them as `<dir>/model*.onnx` (+ `model*.onnx_data[_i]` external data when the weights
 * are too big for one protobuf).
 *
 * Graph contract (the same for every family): inputs `input_ids`, `attention_mask` (int64
 * [batch, sequence], right-padded), one output `logits` (float32 [batch, sequence, 2]).
 *
 * Deliberately does not: write the rest of the model folder (convert.ts does) or read config.json
 * (it takes a parsed `DecoderConfig`).
 */
import type { Dtype } from '../../core/types.ts';
import type { DecoderConfig } from '../hf-config.ts';
import {
  DataType,
  encodeGraph,
  encodeModel,
  encodeModelFields,
  writeEncoded,
  type GraphDef,
} from '../onnx-proto.ts';
import {
  GraphBuilder,
  type BuildProgress,
  type ParallelOptions,
  type ResumeOptions,
  type WeightSource,
} from './builder.ts';
import { emitDecoder } from './decoder.ts';
import { emitHead, type HeadOptions } from './heads/index.ts';
import { VariantGraph } from './variant.ts';
import { joinPath, type FileIo } from '../file-io.ts';

export const IR_VERSION = 8;
export const OPSETS = [
  { domain: '', version: 17 },
  { domain: 'com.microsoft', version: 1 },
];

export interface BuildOptions {
  /** How files are written (Node fs, or OPFS in a page). */
  io: FileIo;
  /** Folder the .onnx files go to (exists). */
  dir: string;
  dtypes: Dtype[];
  blockSize: number;
  quantizeEmbedding: boolean;
  /** Rotary cache length = the longest input the model accepts. */
  contextLength: number;
  head: HeadOptions;
  /** Weights up to this many bytes are stored inside the .onnx; above, as external data. */
  inlineLimit?: number;
  /** Maximum size of one external data file (a single larger tensor gets a file of its own). */
  chunkBytes?: number;
  producerVersion?: string;
  onProgress?: (p: BuildProgress) => void;
  /** Worker threads for the weights (default: none). */
  parallel?: ParallelOptions;
  /** Skip the weights an interrupted run already wrote (the files must hold its bytes). */
  resume?: ResumeOptions;
}

export interface BuiltModel {
  dtype: Dtype;
  /** File name inside `dir`, e.g. `model_q4.onnx`. */
  file: string;
  /** External data files inside `dir` (empty when the weights are inline). */
  externalData: string[];
  /** Bytes of the .onnx plus its external data. */
  bytes: number;
}

// protobuf refuses messages of 2 GiB or more; leave room for the graph itself.
const DEFAULT_INLINE_LIMIT = 1_900_000_000;

/**
 * Emits and writes one ONNX model per dtype.
 *
 * @example
 * const ckpt = await Checkpoint.open('ckpt');
 * const cfg = parseDecoderConfig(ckpt.config);
 * await buildOnnxModels(ckpt, cfg, { io: nodeFileIo, dir: 'out/onnx', dtypes: ['q4'], blockSize: 32,
 *   quantizeEmbedding: false, contextLength: 4096, head: {} });
 * // out/onnx/model_q4.onnx
 */
export async function buildOnnxModels(
  source: WeightSource,
  cfg: DecoderConfig,
  options: BuildOptions,
): Promise<BuiltModel[]> {
  const variants = options.dtypes.map(
    (dtype) =>
      new VariantGraph(options.io, options.dir, {
        dtype,
        blockSize: options.blockSize,
        quantizeEmbedding: options.quantizeEmbedding,
        chunkBytes: options.chunkBytes,
      }),
  );
  const b = new GraphBuilder(source, variants, options.onProgress, options.parallel, options.resume);
  try {
    const ids = b.input('input_ids', DataType.INT64, ['batch', 'sequence']);
    const mask = b.input('attention_mask', DataType.INT64, ['batch', 'sequence']);
    const { hidden } = await emitDecoder(b, cfg, ids, mask, options.contextLength);
    const logits = await emitHead(b, cfg, hidden, options.head);
    b.output('logits', logits, ['batch', 'sequence', 2]);
    await b.finish();
    await b.close();

    const built: BuiltModel[] = [];
    for (const v of variants) {
      v.data.close();
      const inline = v.data.totalBytes <= (options.inlineLimit ?? DEFAULT_INLINE_LIMIT);
      const fields = {
        irVersion: IR_VERSION,
        opsets: OPSETS,
        producerName: 'prm-playground',
        producerVersion: options.producerVersion ?? '0.1.0',
        docString: `${cfg.architectureName} (${cfg.arch}, ${cfg.head} head) as ${v.dtype}: logits [batch, sequence, 2], class 1 = step correct`,
      };
      const graph: GraphDef = {
        name: `prm_${cfg.head}_${v.dtype}`,
        nodes: v.finalNodes(),
        initializers: [...v.inlineInitializers, ...(inline ? [] : v.data.tensors)],
        inputs: b.inputs,
        outputs: b.outputs,
      };
      // Inline: the data file already holds the weights where the model needs them; the rest of
      // the protobuf is written around them (no copy). Otherwise a model file that points to it.
      const size = inline
        ? await v.data.writeInlineModel(encodeGraph(graph), encodeModelFields(fields))
        : writeEncoded(encodeModel({ ...fields, graph }), options.io, joinPath(options.dir, v.modelFile));
      built.push({
        dtype: v.dtype,
        file: v.modelFile,
        externalData: inline ? [] : v.data.files,
        bytes: size + (inline ? 0 : v.data.totalBytes),
      });
    }
    return built;
  } finally {
    // Workers stop before the files they write to are closed.
    await b.close();
    for (const v of variants) {
      try {
        v.data.close();
      } catch {
        // already reported by the failure that got us here
      }
    }
  }
}
