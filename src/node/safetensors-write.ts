/**
 * Writes safetensors files (https://huggingface.co/docs/safetensors) for tests, benchmarks and
 * training: the Node side of src/convert/safetensors.ts, which only reads.
 */
import { createWriteStream } from 'node:fs';
import { bestEffort } from '../core/best-effort.ts';
import { DTYPE_BYTES } from '../convert/dtype.ts';
import { encodeFloats } from '../convert/float16.ts';
import { CheckpointError } from '../convert/safetensors.ts';

export interface TensorToWrite {
  name: string;
  dtype: 'F32' | 'F16' | 'BF16';
  shape: number[];
  data: Float32Array;
}

/** A tensor whose data is produced only when it is written (for streaming huge checkpoints). */
export interface TensorSpec {
  name: string;
  dtype: 'F32' | 'F16' | 'BF16';
  shape: number[];
}

/**
 * Lazy tensors: the header is built from `specs`, then `data(spec, i)` is called once per tensor,
 * in order, and its result written and dropped. It may return float32 values (encoded to
 * `spec.dtype`) or the already-encoded little-endian bytes.
 */
export interface LazyTensors {
  specs: TensorSpec[];
  data(spec: TensorSpec, index: number): Float32Array | Uint8Array | Promise<Float32Array | Uint8Array>;
}

/**
 * Writes a safetensors file. Tensors are laid out in the order given; the header is padded with
 * spaces to a multiple of 8 bytes (allowed by the spec) so data stays aligned. Pass `LazyTensors`
 * to stream files far larger than memory: only one tensor is held at a time.
 *
 * @example
 * await writeSafetensors('model.safetensors', [
 *   { name: 'model.norm.weight', dtype: 'BF16', shape: [4], data: new Float32Array([1, 1, 1, 1]) },
 * ]);
 */
export async function writeSafetensors(
  path: string,
  tensors: TensorToWrite[] | LazyTensors,
  metadata?: Record<string, string>,
): Promise<void> {
  const lazy: LazyTensors = Array.isArray(tensors)
    ? { specs: tensors, data: (_s, i) => (tensors as TensorToWrite[])[i].data }
    : tensors;
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let pos = 0;
  const sizes: number[] = [];
  for (const s of lazy.specs) {
    if (!(s.dtype in DTYPE_BYTES))
      throw new CheckpointError(`tensor "${s.name}": cannot write dtype ${s.dtype}`);
    if (s.name in header) throw new CheckpointError(`tensor "${s.name}" is listed twice`);
    const bytes = s.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[s.dtype];
    header[s.name] = { dtype: s.dtype, shape: s.shape, data_offsets: [pos, pos + bytes] };
    sizes.push(bytes);
    pos += bytes;
  }
  let json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - ((8 + jsonBytes) % 8)) % 8);
  const headerBuf = Buffer.from(json, 'utf8');
  const lenBuf = Buffer.alloc(8);
  lenBuf.writeBigUInt64LE(BigInt(headerBuf.length));

  const stream = createWriteStream(path);
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  void bestEffort(
    failed,
    'raced by every write below, which rethrows it; this keeps it from going unhandled',
  );
  const write = async (chunk: Uint8Array) => {
    if (!stream.write(chunk)) {
      await Promise.race([new Promise<void>((r) => stream.once('drain', () => r())), failed]);
    }
  };
  try {
    await write(lenBuf);
    await write(headerBuf);
    for (let i = 0; i < lazy.specs.length; i++) {
      const s = lazy.specs[i];
      const d = await lazy.data(s, i);
      const bytes = d instanceof Float32Array ? encodeFloats(s.dtype, d) : d;
      if (bytes.byteLength !== sizes[i]) {
        throw new CheckpointError(
          `tensor "${s.name}": got ${bytes.byteLength} bytes of data, shape ${JSON.stringify(s.shape)} ${s.dtype} needs ${sizes[i]}`,
        );
      }
      await write(bytes);
    }
  } catch (err) {
    stream.destroy();
    throw err;
  }
  await Promise.race([new Promise<void>((r) => stream.end(() => r())), failed]);
}

/** Writes `model.safetensors.index.json` for shards: `weight_map` name -> file, `metadata.total_size`. */
export function safetensorsIndex(weightMap: Record<string, string>, totalSize: number): string {
  return JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2) + '\n';
}
