/**
 * Reads and writes Hugging Face checkpoints in the safetensors format
 * (https://huggingface.co/docs/safetensors: 8-byte little-endian header length, a JSON header of
 * `{name: {dtype, shape, data_offsets: [begin, end]}}` with offsets relative to the end of the
 * header, then the raw little-endian tensor bytes).
 *
 * `Checkpoint.open` validates every header up front so a broken download fails before a long
 * conversion starts, then reads one tensor at a time in bounded chunks: a 15 GB checkpoint never
 * sits in memory, only the tensor being converted does.
 *
 * Folders with only PyTorch `.bin` weights are read through `pickle.ts` (a restricted torch.save
 * reader that never executes pickle code); the tensors then read exactly like safetensors ones.
 *
 * Files are read through `CheckpointFiles` / `ByteSource` (byte-source.ts): a local folder
 * (src/node/local-files.ts) or a Hub repo by HTTP range requests (hub-files.ts), so this module
 * has no fs and runs in a page too. Writing safetensors lives in src/node/safetensors-write.ts.
 *
 * Deliberately does not: memory-map, or convert integer tensors to float.
 */
import { coalesceReads, type ByteSource, type CheckpointFiles } from './byte-source.ts';
import { bestEffort } from '../core/best-effort.ts';
import { DTYPE_BYTES, type StDtype } from './dtype.ts';
import { decodeFloats } from './float16.ts';
import { readTorchCheckpoint } from './pickle.ts';

export interface TensorInfo {
  name: string;
  dtype: StDtype;
  shape: number[];
  file: string;
  /** absolute byte offset of the data in file */
  offset: number;
  byteLength: number;
}

/**
 * A checkpoint that cannot be converted: a weights file, the index or config.json (hf-config.ts)
 * is unreadable or unsupported; the message names the file and what to do. `Checkpoint.open`
 * rewords one from a pickle file to add how to get safetensors weights instead.
 */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

// The spec caps the header at 100 MB; a larger length means a corrupt or non-safetensors file.
const MAX_HEADER_BYTES = 100_000_000;
// Reads (and conversions) happen in chunks of this many bytes: bounded memory for 1 GB tensors.
const CHUNK_BYTES = 64 * 1024 * 1024;

/**
 * Index of the first NaN or infinity in float values (a Float32Array, or raw little-endian bytes
 * of `dtype` aligned as for `decodeFloats`), or -1. Tests the exponent bits on the raw words, so
 * it costs one pass of integer compares and no decoding.
 *
 * @example
 * firstNonFinite(new Float32Array([1, NaN])); // 1
 * firstNonFinite({ dtype: 'BF16', bytes: new Uint8Array([0x80, 0x3f]) }); // -1 (1.0)
 */
export function firstNonFinite(src: Float32Array | { dtype: StDtype; bytes: Uint8Array }): number {
  if (src instanceof Float32Array) {
    return firstExponentAllOnes(new Uint32Array(src.buffer, src.byteOffset, src.length), 0x7f800000);
  }
  const { dtype, bytes } = src;
  switch (dtype) {
    case 'F32':
      return firstExponentAllOnes(
        new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4),
        0x7f800000,
      );
    case 'F16':
      return firstExponentAllOnes(
        new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2),
        0x7c00,
      );
    case 'BF16':
      return firstExponentAllOnes(
        new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2),
        0x7f80,
      );
    case 'F64': {
      const v = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
      for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return i;
      return -1;
    }
    default:
      throw new CheckpointError(`cannot check dtype ${dtype} as float`);
  }
}

/**
 * Throws `CheckpointError` naming tensor `name` when its values hold a NaN or infinity: such a
 * weight converts into a model that returns plausible but wrong rewards.
 */
export function checkFinite(name: string, src: Float32Array | { dtype: StDtype; bytes: Uint8Array }): void {
  const i = firstNonFinite(src);
  if (i < 0) return;
  let value: number;
  let count: number;
  if (src instanceof Float32Array) {
    value = src[i];
    count = src.length;
  } else {
    const width = src.dtype === 'F64' ? 8 : src.dtype === 'F32' ? 4 : 2;
    const one = new Float32Array(1);
    decodeFloats(src.dtype, src.bytes.slice(i * width, (i + 1) * width), one);
    value = one[0];
    count = src.bytes.byteLength / width;
  }
  throw new CheckpointError(
    `tensor "${name}" holds ${Number.isNaN(value) ? 'NaN' : 'Inf'} (value ${i} of ${count}), so the converted model ` +
      'would give wrong rewards. The checkpoint is damaged or was saved from a diverged run: download it again, ' +
      'or convert another revision.',
  );
}

function firstExponentAllOnes(words: Uint32Array | Uint16Array, mask: number): number {
  for (let i = 0; i < words.length; i++) if ((words[i] & mask) === mask) return i;
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Header parsing

export interface SafetensorsHeader {
  file: string;
  /** Byte offset where tensor data starts (8 + header length). */
  dataStart: number;
  tensors: TensorInfo[];
  metadata: Record<string, string>;
}

/**
 * Reads and validates the header of one .safetensors file: JSON shape, known dtypes, offsets
 * consistent with dtype x shape, inside the file, and not overlapping.
 *
 * @example
 * const h = await readSafetensorsHeader(await openLocalFile('/models/x/model.safetensors')); // h.tensors[0].offset ...
 */
export async function readSafetensorsHeader(source: ByteSource): Promise<SafetensorsHeader> {
  const file = source.name;
  const size = source.size;
  const bad = (msg: string): never => {
    throw new CheckpointError(`${file}: ${msg}. The file is corrupt or incomplete: download it again.`);
  };
  if (size < 8) bad(`only ${size} bytes, too short for a safetensors header`);
  const lenBuf = await source.read(0, 8);
  const headerLen = Number(new DataView(lenBuf.buffer, lenBuf.byteOffset, 8).getBigUint64(0, true));
  if (headerLen > MAX_HEADER_BYTES) bad(`header length ${headerLen} exceeds the 100 MB limit`);
  if (8 + headerLen > size)
    bad(`header claims ${headerLen} bytes but the file has only ${size - 8} after the length`);
  const hb = await source.read(8, headerLen);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(hb));
  } catch (err) {
    bad(`header is not valid JSON (${(err as Error).message})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) bad('header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataSize = size - dataStart;
  const tensors: TensorInfo[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = (entry ?? {}) as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (!e || typeof e !== 'object') bad(`tensor "${name}": header entry is not an object`);
    const { dtype, shape, data_offsets: offs } = e!;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
      bad(`tensor "${name}": unknown dtype ${JSON.stringify(dtype)}`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      bad(`tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      offs[1] < offs[0]
    ) {
      bad(`tensor "${name}": data_offsets ${JSON.stringify(offs)} is not [begin, end] with begin <= end`);
    }
    const [begin, end] = offs as number[];
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = numel * DTYPE_BYTES[dtype as string];
    if (end - begin !== expected) {
      bad(
        `tensor "${name}": data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} ` +
          `${JSON.stringify(shape)} needs ${expected}`,
      );
    }
    if (end > dataSize) {
      bad(
        `tensor "${name}" ends at data byte ${end} but the file holds only ${dataSize} data bytes (truncated)`,
      );
    }
    tensors.push({
      name,
      dtype: dtype as string,
      shape: shape as number[],
      file,
      offset: dataStart + begin,
      byteLength: expected,
    });
  }
  const sorted = [...tensors].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (sorted[i].offset < prev.offset + prev.byteLength) {
      bad(`tensors "${prev.name}" and "${sorted[i].name}" overlap`);
    }
  }
  return { file, dataStart, tensors, metadata };
}

// ---------------------------------------------------------------------------------------------
// Checkpoint folder

// Never suggest trust_remote_code=True or torch.load without weights_only=True: both run code
// from the checkpoint, which is what the reader just refused to do.
const BIN_HELP =
  'Use the safetensors files of the model instead: look on the Hub for its safetensors revision ' +
  '(the "refs/pr/N" branch opened by the safetensors conversion bot), or ask its authors for one. ' +
  'Do not load this file in Python with trust_remote_code=True or torch.load(..., weights_only=False): ' +
  'that runs whatever code the pickle holds. If you must convert it yourself, do it in a throwaway sandbox ' +
  'with no credentials or network, with torch.load(f, weights_only=True) (which refuses code) and ' +
  'safetensors.torch.save_file(state_dict, "model.safetensors").';

export class Checkpoint {
  /** The folder or repo as shown in messages. */
  readonly dir: string;
  /** Where the files are read from. */
  readonly files: CheckpointFiles;
  readonly config: Record<string, unknown>;
  private readonly tensors: Map<string, TensorInfo>;
  /** Open sources by `TensorInfo.file`. */
  private readonly sources: Map<string, ByteSource>;
  /** Where the weights came from: safetensors, or PyTorch pickle .bin files read by pickle.ts. */
  readonly format: 'safetensors' | 'pytorch';

  private constructor(
    files: CheckpointFiles,
    config: Record<string, unknown>,
    tensors: Map<string, TensorInfo>,
    sources: Map<string, ByteSource>,
    format: 'safetensors' | 'pytorch',
  ) {
    this.dir = files.label;
    this.files = files;
    this.config = config;
    this.tensors = tensors;
    this.format = format;
    this.sources = sources;
    if (files.remote) {
      // Neighbouring small tensors (norms, biases) are fetched together: one range request each group.
      for (const [file, src] of sources) {
        const extents = [...tensors.values()]
          .filter((t) => t.file === file)
          .map((t) => ({ offset: t.offset, length: t.byteLength }));
        sources.set(file, coalesceReads(src, extents));
      }
    }
  }

  /**
   * Opens a Hugging Face checkpoint: config.json plus model.safetensors, or shards listed in
   * model.safetensors.index.json, or (without an index) every *.safetensors file in it; failing
   * those, pytorch_model.bin (or the shards of pytorch_model.bin.index.json) via pickle.ts.
   * Validates every header before returning.
   *
   * @example
   * const ckpt = await Checkpoint.open(localCheckpointFiles('models/Qwen2.5-Math-PRM-7B'));
   * const norm = await ckpt.readF32('model.norm.weight'); // Float32Array(3584)
   * await ckpt.close();
   */
  static async open(files: CheckpointFiles): Promise<Checkpoint> {
    const abs = files.label;
    const entries = await files.list();
    const config = await readConfig(files, entries);
    const tensors = new Map<string, TensorInfo>();
    const sources = new Map<string, ByteSource>();
    const openSource = async (f: string) => {
      const src = await files.open(f);
      sources.set(src.name, src);
      return src;
    };
    const add = (t: TensorInfo) => {
      const prev = tensors.get(t.name);
      if (prev) {
        throw new CheckpointError(
          `tensor "${t.name}" appears in both ${baseName(prev.file)} and ${baseName(t.file)}`,
        );
      }
      tensors.set(t.name, t);
    };
    const done = (format: 'safetensors' | 'pytorch') =>
      new Checkpoint(files, config, tensors, sources, format);
    try {
      if (entries.includes('model.safetensors.index.json')) {
        const weightMap = await readIndex(files, 'model.safetensors.index.json');
        const shardFiles = [...new Set(Object.values(weightMap))].sort();
        const byFile = new Map<string, Map<string, TensorInfo>>();
        for (const f of shardFiles) {
          if (!entries.includes(f)) {
            throw new CheckpointError(
              `${abs}: model.safetensors.index.json lists shard "${f}" but the file is missing. Download it too.`,
            );
          }
          const h = await readSafetensorsHeader(await openSource(f));
          byFile.set(f, new Map(h.tensors.map((t) => [t.name, t])));
        }
        for (const [name, f] of Object.entries(weightMap)) {
          const t = byFile.get(f)!.get(name);
          if (!t) {
            throw new CheckpointError(
              `tensor "${name}": the index says it is in ${f}, but that file's header lacks it`,
            );
          }
          add(t);
        }
        return done('safetensors');
      }

      const stFiles = entries.filter((e) => e.endsWith('.safetensors')).sort();
      if (stFiles.length > 0) {
        for (const f of stFiles)
          for (const t of (await readSafetensorsHeader(await openSource(f))).tensors) add(t);
        return done('safetensors');
      }

      const binFiles = await torchWeightFiles(files, entries);
      if (binFiles.length > 0) {
        for (const f of binFiles) {
          let infos: TensorInfo[];
          try {
            infos = await readTorchCheckpoint(await openSource(f));
          } catch (err) {
            if (err instanceof CheckpointError) {
              throw new CheckpointError(
                `${abs}: has only PyTorch pickle weights (${binFiles.join(', ')}), and ${f} could not be read: ` +
                  `${err.message} ${BIN_HELP}`,
              );
            }
            throw err;
          }
          for (const t of infos) add(t);
        }
        return done('pytorch');
      }
    } catch (err) {
      await Promise.all(
        [...sources.values()].map((s) =>
          bestEffort(s.close(), 'opening already failed with `err`, the error to report'),
        ),
      );
      throw err;
    }
    throw new CheckpointError(
      `${abs}: no weights found (expected model.safetensors or model-0000x-of-0000y.safetensors with ` +
        'model.safetensors.index.json). Download the weight files of the model, not only its config.',
    );
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** The tensor's location and type; throws CheckpointError naming the tensor if missing. */
  info(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (!t) {
      throw new CheckpointError(
        `tensor "${name}" is not in the checkpoint ${this.dir} (${this.tensors.size} tensors). ` +
          'Is this the right model, or is a shard missing?',
      );
    }
    return t;
  }

  /** Raw little-endian bytes of one tensor (a fresh, 8-byte-aligned buffer). */
  async readBytes(name: string): Promise<Uint8Array> {
    const t = this.info(name);
    return this.readRange(t, 0, t.byteLength);
  }

  /**
   * Undecoded bytes of a float tensor, or of rows `[first, first + count)` of a 2-D one, read
   * into `into` when it is large enough (a buffer handed back by a worker), else a fresh buffer.
   *
   * @example
   * const { dtype, bytes } = await ckpt.readRaw('model.layers.0.mlp.up_proj.weight'); // 'BF16', 2 bytes a value
   */
  async readRaw(
    name: string,
    rows?: { first: number; count: number },
    into?: ArrayBuffer,
  ): Promise<{ dtype: StDtype; bytes: Uint8Array }> {
    const t = this.info(name);
    const size = this.floatSize(t);
    let start = 0;
    let length = t.byteLength;
    if (rows) {
      const [n, cols] = t.shape;
      if (t.shape.length !== 2 || rows.first < 0 || rows.count < 0 || rows.first + rows.count > n) {
        throw new CheckpointError(
          `tensor "${name}": rows ${rows.first}..${rows.first + rows.count} are not inside shape ${JSON.stringify(t.shape)}`,
        );
      }
      start = rows.first * cols * size;
      length = rows.count * cols * size;
    }
    return { dtype: t.dtype, bytes: await this.readRange(t, start, length, into) };
  }

  /**
   * Reads one tensor converted to float32 (F32/F16/BF16/F64), in chunks so peak memory is the
   * result plus 64 MB.
   *
   * @example
   * const w = await ckpt.readF32('score.2.weight'); // Float32Array(2 * hidden)
   */
  async readF32(name: string): Promise<Float32Array> {
    const t = this.info(name);
    const size = this.floatSize(t);
    const out = new Float32Array(t.byteLength / size);
    const step = CHUNK_BYTES - (CHUNK_BYTES % size);
    for (let pos = 0; pos < t.byteLength; pos += step) {
      const len = Math.min(step, t.byteLength - pos);
      decodeFloats(t.dtype, await this.readRange(t, pos, len), out, pos / size);
    }
    return out;
  }

  /**
   * Reads selected rows of a 2-D tensor as float32, e.g. the good/bad token rows of a 150k-row
   * LM head, without reading the rest. Result is `rows.length x shape[1]`, row-major, in the
   * order given.
   *
   * @example
   * const pair = await ckpt.readRowsF32('lm_head.weight', [387, 648]); // [bad row, good row]
   */
  async readRowsF32(name: string, rows: number[]): Promise<Float32Array> {
    const t = this.info(name);
    if (t.shape.length !== 2) {
      throw new CheckpointError(
        `tensor "${name}": readRowsF32 needs a 2-D tensor, shape is ${JSON.stringify(t.shape)}`,
      );
    }
    const [n, cols] = t.shape;
    const size = this.floatSize(t);
    const rowBytes = cols * size;
    const out = new Float32Array(rows.length * cols);
    for (const row of rows) {
      if (!Number.isInteger(row) || row < 0 || row >= n) {
        throw new CheckpointError(`tensor "${name}": row ${row} is out of range [0, ${n})`);
      }
    }
    // Runs of consecutive rows (an embedding read in slices) become one read each.
    const maxRun = Math.max(1, Math.floor(CHUNK_BYTES / rowBytes));
    for (let r = 0; r < rows.length;) {
      let len = 1;
      while (r + len < rows.length && len < maxRun && rows[r + len] === rows[r] + len) len++;
      decodeFloats(t.dtype, await this.readRange(t, rows[r] * rowBytes, len * rowBytes), out, r * cols);
      r += len;
    }
    return out;
  }

  async close(): Promise<void> {
    const all = [...this.sources.values()];
    this.sources.clear();
    for (const src of all) await src.close();
  }

  private floatSize(t: TensorInfo): number {
    if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16' && t.dtype !== 'F64') {
      throw new CheckpointError(
        `tensor "${t.name}" has dtype ${t.dtype}; only F32, F16, BF16 and F64 weights can be read as float`,
      );
    }
    return DTYPE_BYTES[t.dtype];
  }

  private async readRange(
    t: TensorInfo,
    start: number,
    length: number,
    into?: ArrayBuffer,
  ): Promise<Uint8Array> {
    const src = this.sources.get(t.file);
    if (!src) throw new CheckpointError(`${t.file}: the checkpoint is closed`);
    return src.read(t.offset + start, length, into);
  }
}

/** The last path part of a file as shown in messages. */
function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

/**
 * A checkpoint's JSON object file (config.json, tokenizer_config.json, ...), parsed, with its
 * text; null when the file is missing. Throws `CheckpointError` when it is not a JSON object.
 *
 * @example
 * const cfg = await readJsonObject(files, 'config.json'); // { value: { model_type: 'qwen2', ... }, text }
 */
export async function readJsonObject(
  files: CheckpointFiles,
  file: string,
): Promise<{ value: Record<string, unknown>; text: string } | null> {
  const text = await files.readText(file);
  if (text === null) return null;
  try {
    const c = JSON.parse(text) as unknown;
    if (!c || typeof c !== 'object' || Array.isArray(c)) throw new Error('not a JSON object');
    return { value: c as Record<string, unknown>, text };
  } catch (err) {
    throw new CheckpointError(`${files.path(file)}: invalid JSON (${(err as Error).message})`, {
      cause: err,
    });
  }
}

async function readConfig(files: CheckpointFiles, entries: string[]): Promise<Record<string, unknown>> {
  const config = entries.includes('config.json') ? (await readJsonObject(files, 'config.json'))?.value : null;
  if (!config) {
    throw new CheckpointError(
      `${files.label}: no config.json. A Hugging Face checkpoint folder needs it next to the weights.`,
    );
  }
  return config;
}

async function readIndex(files: CheckpointFiles, name: string): Promise<Record<string, string>> {
  const file = files.path(name);
  const wm = (await readJsonObject(files, name))?.value.weight_map;
  if (!wm || typeof wm !== 'object' || Array.isArray(wm)) {
    throw new CheckpointError(`${file}: missing "weight_map" object`);
  }
  for (const [k, v] of Object.entries(wm)) {
    if (typeof v !== 'string' || v.includes('/') || v.includes('\\')) {
      throw new CheckpointError(
        `${file}: weight_map["${k}"] must be a file name in the same folder, got ${JSON.stringify(v)}`,
      );
    }
  }
  return wm as Record<string, string>;
}

// pytorch_model.bin, or the shards named by pytorch_model.bin.index.json; never training_args.bin
// and other non-weight pickles that sit in the same folder.
async function torchWeightFiles(files: CheckpointFiles, entries: string[]): Promise<string[]> {
  const dir = files.label;
  if (entries.includes('pytorch_model.bin.index.json')) {
    const weightMap = await readIndex(files, 'pytorch_model.bin.index.json');
    const names = [...new Set(Object.values(weightMap))].sort();
    for (const f of names) {
      if (!entries.includes(f)) {
        throw new CheckpointError(
          `${dir}: pytorch_model.bin.index.json lists "${f}" but the file is missing. Download it too.`,
        );
      }
    }
    return names;
  }
  return entries.filter((e) => /^(pytorch_model|model)(-\d+-of-\d+)?\.bin$/.test(e)).sort();
}
