/**
 * Emits one decoder graph into several ONNX variants at once (fp32, fp16, q4, q4f16), the way
 * onnxruntime-genai's model builder emits ops one by one: each weight is read from the checkpoint
 * once, checked against the shape the config implies, handed to every variant (which transposes,
 * casts or quantizes it and streams it to disk) and dropped.
 *
 * The emitters (`decoder.ts`, `heads/*`) speak only to this class; it names every value
 * `<path>/output_<i>` so names agree across variants.
 *
 * Deliberately does not: know any architecture (the emitters do) or write model files
 * (`model.ts` does).
 */
import { attr, DataType, type AttributeDef, type DataTypeCode, type ValueInfoDef } from '../onnx-proto.ts';
import type { PlannedOut, VariantGraph } from './variant.ts';
import { runWeightJob, type RawFloats, type WeightJob } from '../weight-jobs.ts';
import { DTYPE_BYTES } from '../dtype.ts';
import { CheckpointError, checkFinite } from '../safetensors.ts';

/** What the builder needs from a checkpoint (`Checkpoint` in ../safetensors.ts fits). */
export interface WeightSource {
  has(name: string): boolean;
  info(name: string): { shape: number[]; dtype: string };
  readF32(name: string): Promise<Float32Array>;
  readRowsF32(name: string, rows: number[]): Promise<Float32Array>;
  /**
   * Undecoded bytes of rows `[first, first + count)` (default: the whole tensor), read into
   * `into` when it is large enough. Lets worker threads do the decoding.
   */
  readRaw?(name: string, rows?: { first: number; count: number }, into?: ArrayBuffer): Promise<RawFloats>;
}

/** Workers that run weight jobs (../weight-pool.ts: Node threads, or a page's module workers). */
export interface JobPool {
  takeSpare(bytes: number): ArrayBuffer | undefined;
  submit(job: WeightJob, onDone: (out: (Uint8Array | null)[]) => void): Promise<void>;
  drain(): Promise<void>;
  close(): Promise<void>;
}

export interface ParallelOptions {
  /** Worker threads for decoding, quantizing and writing weights; 0 = all on the main thread. */
  threads: number;
  /** Weights smaller than this many values are done on the main thread (worker start-up costs more). */
  minValues: number;
  /** Starts the pool when `threads` > 0 (the pool's workers write through their own FileIo). */
  makePool?: (threads: number) => JobPool;
}

/**
 * Picks up an interrupted conversion: weight jobs are numbered in the order the graph is emitted
 * (the same for the same checkpoint and options), and a job recorded as done whose outputs all go
 * to the data files is not read or run again; everything else (the graph, small inline weights)
 * is rebuilt and rewritten with the same bytes.
 */
export interface ResumeOptions {
  /** Jobs whose bytes are already in the files. */
  done: ReadonlySet<number>;
  /** Called once a job's outputs are written, with its number. */
  onDone(index: number): void;
}

export interface BuildProgress {
  /** Checkpoint tensor just read. */
  name: string;
  /** How many checkpoint tensors have been read so far. */
  index: number;
  /**
   * External data bytes laid out so far, all variants together; with worker threads the last few
   * tensors' bytes may still be on their way to disk.
   */
  bytesWritten: number;
}

// Embedding rows are read and converted in slices of about this many values (64 MB as float32).
const EMBEDDING_SLICE_VALUES = 16 * 1024 * 1024;

export class GraphBuilder {
  readonly variants: VariantGraph[];
  readonly inputs: ValueInfoDef[] = [];
  readonly outputs: ValueInfoDef[] = [];
  private readonly source: WeightSource;
  private readonly onProgress?: (p: BuildProgress) => void;
  private readonly paths = new Set<string>();
  private readCount = 0;
  private readonly parallel: ParallelOptions;
  private pool: JobPool | null = null;
  private readonly resume?: ResumeOptions;
  private jobCount = 0;

  constructor(
    source: WeightSource,
    variants: VariantGraph[],
    onProgress?: (p: BuildProgress) => void,
    parallel: ParallelOptions = { threads: 0, minValues: 0 },
    resume?: ResumeOptions,
  ) {
    if (variants.length === 0) throw new Error('GraphBuilder: no variants to build');
    this.source = source;
    this.variants = variants;
    this.onProgress = onProgress;
    this.parallel = parallel;
    this.resume = resume;
  }

  /** Waits until every weight is on disk; throws the first failure of a worker. */
  async finish(): Promise<void> {
    await this.pool?.drain();
  }

  /** Stops the worker threads (call before closing the data files, on success or failure). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.close();
  }

  /**
   * Runs one weight job, on a worker thread when the weight is big enough and the source can hand
   * over raw bytes of checkpoint tensor `name`, else here - also from raw bytes when the source
   * has them, so the SIMD kernels decode straight from checkpoint bytes with no float32 copy of
   * the weight. `readF32` is for data not read from the checkpoint (`name` null, `label` names it
   * in messages) and sources without raw reads.
   */
  private async runJob(
    name: string | null,
    label: string,
    n: number,
    k: number,
    planned: PlannedOut[],
    rows: { first: number; count: number } | undefined,
    readF32: () => Promise<Float32Array>,
  ): Promise<void> {
    const receive = (out: (Uint8Array | null)[]) =>
      out.forEach((bytes, i) => {
        if (bytes) planned[i].receive!(bytes);
      });
    const outs = planned.map((p) => p.out);
    const index = this.jobCount++;
    const toFiles = outs.every((o) => (o.kind === 'q4' ? o.scales !== 'return' : o.target !== 'return'));
    if (toFiles && this.resume?.done.has(index)) return;
    const done = () => this.resume?.onDone(index);
    const { threads, minValues } = this.parallel;
    const makePool = this.parallel.makePool;
    if (name !== null && threads > 0 && makePool && n * k >= minValues && this.source.readRaw) {
      this.pool ??= makePool(threads);
      const bytes = n * k * (DTYPE_BYTES[this.source.info(name).dtype] ?? 4);
      const src = await this.source.readRaw(name, rows, this.pool.takeSpare(bytes));
      await this.pool.submit({ name: label, src, n, k, outs }, (out) => {
        receive(out);
        done();
      });
    } else {
      const src =
        name !== null && this.source.readRaw ? await this.source.readRaw(name, rows) : await readF32();
      receive(runWeightJob({ name: label, src, n, k, outs }, this.variants[0].data.io));
      done();
    }
  }

  private claim(path: string): void {
    if (this.paths.has(path)) throw new Error(`GraphBuilder: node path ${path} used twice`);
    this.paths.add(path);
  }

  /** Whether the checkpoint has a tensor (for optional weights such as `score.bias`). */
  hasTensor(name: string): boolean {
    return this.source.has(name);
  }

  /** Declares a graph input (same in every variant). */
  input(name: string, elemType: DataTypeCode, shape: (number | string)[]): string {
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  /** Declares the float32 graph output `name`, fed by `value` (cast from float16 where needed). */
  output(name: string, value: string, shape: (number | string)[]): void {
    for (const v of this.variants) v.floatOutput(name, value);
    this.outputs.push({ name, elemType: DataType.FLOAT, shape });
  }

  /**
   * Adds one node to every variant; returns its output names `<path>/output_<i>`. An empty string
   * in `inputs` is an omitted optional input.
   *
   * @example
   * const [y] = b.op('/model/layers.0/mlp/act/Sigmoid', 'Sigmoid', [gate]);
   */
  op(
    path: string,
    opType: string,
    inputs: string[],
    options: {
      attrs?: Record<string, AttributeDef>;
      domain?: string;
      outputs?: number;
      unused?: number[];
    } = {},
  ): string[] {
    this.claim(path);
    const count = options.outputs ?? 1;
    const outs = Array.from({ length: count }, (_, i) =>
      options.unused?.includes(i) ? '' : `${path}/output_${i}`,
    );
    for (const v of this.variants) v.node(path, opType, inputs, outs, options.attrs, options.domain);
    return outs;
  }

  /** An inline int64 (or int32) constant in every variant. */
  intConstant(name: string, values: number[], dims: number[], type: 'int64' | 'int32' = 'int64'): string {
    for (const v of this.variants) v.intConstant(name, values, dims, type);
    return name;
  }

  /** A float constant stored in each variant's activation type. */
  floatConstant(name: string, values: Float32Array, dims: number[]): string {
    for (const v of this.variants) v.floatTensor(name, values, dims);
    return name;
  }

  private progress(name: string): void {
    this.readCount++;
    const bytesWritten = this.variants.reduce((s, v) => s + v.data.totalBytes, 0);
    this.onProgress?.({ name, index: this.readCount, bytesWritten });
  }

  /** Checks a checkpoint tensor's shape before reading it. */
  private checkShape(name: string, shape: number[]): void {
    if (!this.source.has(name)) {
      throw new CheckpointError(
        `the checkpoint has no tensor "${name}", which this model needs. Is a shard missing?`,
      );
    }
    const got = this.source.info(name).shape;
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
      throw new CheckpointError(
        `tensor "${name}" has shape ${JSON.stringify(got)} but config.json implies ${JSON.stringify(shape)}. ` +
          'Does config.json belong to these weights?',
      );
    }
  }

  /** Reads a float tensor of the given shape (checked first). */
  async read(name: string, shape: number[]): Promise<Float32Array> {
    this.checkShape(name, shape);
    const data = await this.source.readF32(name);
    checkFinite(name, data);
    this.progress(name);
    return data;
  }

  /** Reads selected rows of a 2-D tensor `[rows, cols]` (checked first). */
  async readRows(name: string, shape: [number, number], rows: number[]): Promise<Float32Array> {
    this.checkShape(name, shape);
    const data = await this.source.readRowsF32(name, rows);
    checkFinite(name, data);
    this.progress(name);
    return data;
  }

  /**
   * `y = x W^T + b` for checkpoint weights `<name>.weight` [n, k] and optional `<name>.bias` [n].
   * Pass `weight` to use already-read data (e.g. two rows of an LM head) instead.
   */
  async linear(
    path: string,
    x: string,
    spec: { name: string; n: number; k: number; bias: boolean; quantize: boolean; weight?: Float32Array },
  ): Promise<string> {
    this.claim(path);
    const weightName = `${spec.name}.weight`;
    if (!spec.weight) this.checkShape(weightName, [spec.n, spec.k]);
    const bias = spec.bias ? await this.read(`${spec.name}.bias`, [spec.n]) : undefined;
    let value = '';
    const planned: PlannedOut[] = [];
    for (const v of this.variants) {
      const r = v.linear(path, x, { name: spec.name, n: spec.n, k: spec.k, bias, quantize: spec.quantize });
      value = r.value;
      planned.push(...r.outs);
    }
    if (spec.weight) {
      const w = spec.weight;
      await this.runJob(null, weightName, spec.n, spec.k, planned, undefined, async () => w);
    } else {
      await this.runJob(weightName, weightName, spec.n, spec.k, planned, undefined, () =>
        this.source.readF32(weightName),
      );
      this.progress(weightName);
    }
    return value;
  }

  /** RMSNorm: ai.onnx SimplifiedLayerNormalization (an onnxruntime contrib op in the default domain). */
  async rmsNorm(path: string, x: string, weightName: string, size: number, eps: number): Promise<string> {
    const w = this.floatConstant(weightName, await this.read(weightName, [size]), [size]);
    const [y] = this.op(path, 'SimplifiedLayerNormalization', [x, w], {
      attrs: { axis: attr.int(-1), epsilon: attr.float(eps), stash_type: attr.int(1) },
    });
    return y;
  }

  /**
   * Residual add + RMSNorm: com.microsoft SkipSimplifiedLayerNormalization. Returns the normalised
   * value and (output 3) the residual sum `x + skip` for the next block.
   */
  async skipRmsNorm(
    path: string,
    x: string,
    skip: string,
    weightName: string,
    size: number,
    eps: number,
    wantSum: boolean,
  ): Promise<[string, string]> {
    const w = this.floatConstant(weightName, await this.read(weightName, [size]), [size]);
    const outs = this.op(path, 'SkipSimplifiedLayerNormalization', [x, skip, w], {
      attrs: { epsilon: attr.float(eps) },
      domain: 'com.microsoft',
      outputs: wantSum ? 4 : 1,
      unused: [1, 2],
    });
    return [outs[0], wantSum ? outs[3] : ''];
  }

  /**
   * Embedding lookup of `ids` in `name` [vocab, hidden], read and converted in row slices so a
   * 2 GB float32 table never sits in memory whole.
   */
  async embedding(path: string, ids: string, name: string, vocab: number, hidden: number): Promise<string> {
    this.claim(path);
    this.checkShape(name, [vocab, hidden]);
    const sinks = this.variants.map((v) => v.embeddingBegin(name, vocab, hidden));
    const sliceRows = Math.max(1, Math.floor(EMBEDDING_SLICE_VALUES / hidden));
    for (let first = 0; first < vocab; first += sliceRows) {
      const count = Math.min(sliceRows, vocab - first);
      const planned = sinks.flatMap((s) => s.slice(first, count));
      await this.runJob(name, name, count, hidden, planned, { first, count }, () =>
        this.source.readRowsF32(
          name,
          Array.from({ length: count }, (_, i) => first + i),
        ),
      );
    }
    this.progress(name);
    let out = '';
    this.variants.forEach((v, i) => {
      out = v.embeddingLookup(path, ids, sinks[i].end());
    });
    return out;
  }
}
