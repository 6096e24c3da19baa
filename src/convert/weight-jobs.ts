/**
 * The per-weight work of a conversion as plain data, so it can run on the main thread or in a
 * worker thread (`weight-pool.ts`) with the same code: decode a checkpoint tensor (raw BF16/F16/F32
 * bytes or float32 values) once, then produce every requested variant's bytes - 4-bit blocks and
 * scales for q4/q4f16, transposed float32/float16 for fp32/fp16 - and write each straight into the
 * byte range `ExternalDataWriter.reserve` set aside for it (positional writes, so jobs can finish
 * in any order), or hand it back for a small inline initializer.
 *
 * Scratch buffers are kept per thread and reused from one weight to the next: a 7B conversion
 * would otherwise allocate (and page-fault in) about 30 GB of short-lived arrays.
 *
 * `answerJob` is the worker side of a pool (`weight-pool.ts`): the Node threads write through
 * their own `FileIo`, a page's quantizing workers (src/engine/quantize-worker.ts) cannot open the
 * conversion worker's files and hand their writes back instead.
 *
 * Deliberately does not: decide which variant gets which output (variant.ts does) or open files.
 */
import type { FileIo } from './file-io.ts';
import type { StDtype } from './dtype.ts';
import { decodeFloats } from './float16.ts';
import { checkFinite } from './safetensors.ts';
import { q4Sizes, quantizeQ4IntoJs, transposeInto } from './quantize.ts';
import {
  encodeF16Simd,
  q4SimdReads,
  quantizeQ4Simd,
  transposeSimd,
  transposeSimdReads,
} from './q4-kernel/q4-simd.ts';

/** A byte range of an open external data file. */
export interface FileTarget {
  fd: number;
  position: number;
}

/** Where one output's bytes go: into a data file, or back to the caller (`'return'`). */
export type Target = FileTarget | 'return';

export type WeightOut =
  | {
      kind: 'q4';
      blockSize: number;
      /** Scales rounded to and stored as float16 (q4f16) or float32 (q4). */
      scaleType: 'f32' | 'f16';
      packed: FileTarget;
      scales: Target;
    }
  | {
      kind: 'float';
      dtype: 'F32' | 'F16';
      /** Store `[k, n]` (a MatMul B) instead of the source's `[n, k]`. */
      transpose: boolean;
      target: Target;
    };

/** Undecoded little-endian tensor bytes as stored in the checkpoint. */
export interface RawFloats {
  dtype: StDtype;
  bytes: Uint8Array;
}

export interface WeightJob {
  /** Checkpoint tensor name, for the message when a value is NaN or infinite. */
  name: string;
  /** The weight, row-major `[n, k]`. */
  src: Float32Array | RawFloats;
  n: number;
  k: number;
  outs: WeightOut[];
}

/** The buffer holding a job's source, transferred to the worker and handed back for reuse. */
export function sourceBuffer(job: WeightJob): ArrayBuffer {
  return (job.src instanceof Float32Array ? job.src.buffer : job.src.bytes.buffer) as ArrayBuffer;
}

let f32Scratch = new Float32Array(0);
let transposeScratch = new Float32Array(0);
let packedScratch = new Uint8Array(0);
let scaleScratch = new Float32Array(0);
let f16Scratch = new Uint16Array(0);

function grow<T extends Float32Array | Uint8Array | Uint16Array>(
  buf: T,
  length: number,
  make: (n: number) => T,
): T {
  return buf.length >= length ? buf : make(length);
}

function bytesOf(a: Float32Array | Uint16Array | Uint8Array, count: number): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, count * a.BYTES_PER_ELEMENT);
}

function deliver(io: FileIo, target: Target, bytes: Uint8Array): Uint8Array | null {
  if (target === 'return') return bytes.slice();
  io.writeAt(target.fd, bytes, target.position);
  return null;
}

function encodeFloatsInto(dtype: 'F32' | 'F16', values: Float32Array, count: number): Uint8Array {
  if (dtype === 'F32') return bytesOf(values, count);
  f16Scratch = grow(f16Scratch, count, (n) => new Uint16Array(n));
  return bytesOf(encodeF16Simd(values, f16Scratch, count), count);
}

/** Writes the packed bytes in the scratch buffers to the output's file; scales as `deliver`. */
function writeQ4(
  io: FileIo,
  out: Extract<WeightOut, { kind: 'q4' }>,
  packedBytes: number,
  scaleCount: number,
) {
  io.writeAt(out.packed.fd, packedScratch.subarray(0, packedBytes), out.packed.position);
  return deliver(
    io,
    out.scales,
    encodeFloatsInto(out.scaleType === 'f16' ? 'F16' : 'F32', scaleScratch, scaleCount),
  );
}

/**
 * Runs one job; returns, per output, the bytes of `'return'` targets (the scales or float data of
 * an inline initializer) and null for outputs written to files.
 *
 * @example
 * runWeightJob({ src: w, n: 2, k: 32, outs: [{ kind: 'q4', blockSize: 32, scaleType: 'f32',
 *   packed: { fd, position: 0 }, scales: 'return' }] }, nodeFileIo); // [Uint8Array(8) of two float32 scales]
 */
export function runWeightJob(job: WeightJob, io: FileIo): (Uint8Array | null)[] {
  const { n, k } = job;
  const count = n * k;
  checkFinite(job.name, job.src);
  // Outputs the SIMD kernels produce straight from checkpoint bytes (4-bit blocks when k is a
  // whole number of blocks, transposed floats when n and k are multiples of 4): no float32 copy
  // of the weight is made. Anything else decodes the weight once and shares it.
  const direct = (o: WeightOut, src: WeightJob['src']) =>
    o.kind === 'q4' ? q4SimdReads(src, k, o.blockSize) : o.transpose && transposeSimdReads(src, n, k);
  let w: Float32Array | null = null;
  if (job.src instanceof Float32Array) {
    w = job.src;
  } else if (!job.outs.every((o) => direct(o, job.src))) {
    f32Scratch = grow(f32Scratch, count, (c) => new Float32Array(c));
    w = f32Scratch.subarray(0, count);
    decodeFloats(job.src.dtype, job.src.bytes, w);
  }
  if (w && w.length !== count) throw new Error(`weight job: ${w.length} values do not form ${n} x ${k}`);
  const src = w ?? job.src;
  return job.outs.map((out) => {
    if (out.kind === 'q4') {
      const { packedBytes, scaleCount } = q4Sizes(n, k, out.blockSize);
      packedScratch = grow(packedScratch, packedBytes, (c) => new Uint8Array(c));
      scaleScratch = grow(scaleScratch, scaleCount, (c) => new Float32Array(c));
      if (!quantizeQ4Simd(src, n, k, out.blockSize, out.scaleType, packedScratch, scaleScratch)) {
        quantizeQ4IntoJs(w!, n, k, out.blockSize, out.scaleType, packedScratch, scaleScratch);
      }
      return writeQ4(io, out, packedBytes, scaleCount);
    }
    if (out.transpose) {
      const bytes = transposeSimd(src, n, k, out.dtype);
      if (bytes) return deliver(io, out.target, bytes);
      transposeScratch = grow(transposeScratch, count, (c) => new Float32Array(c));
      return deliver(
        io,
        out.target,
        encodeFloatsInto(out.dtype, transposeInto(w!, n, k, transposeScratch), count),
      );
    }
    return deliver(io, out.target, encodeFloatsInto(out.dtype, w!, count));
  });
}

/** One positional write a worker could not make itself, handed back to the pool's `FileIo`. */
export interface JobWrite {
  fd: number;
  position: number;
  bytes: Uint8Array;
}

/** What a pool sends a worker. */
export interface JobRequest {
  id: number;
  job: WeightJob;
}

/** What a worker answers. */
export interface JobReply {
  id: number;
  out?: (Uint8Array | null)[];
  /** The writes of a worker without file access, in order, for the pool to make. */
  writes?: JobWrite[];
  error?: string;
  /** The job's source buffer, handed back for reuse. */
  spare?: ArrayBuffer;
}

/** A FileIo that only records writes (copies: the bytes are views of reused scratch buffers). */
function recordingIo(writes: JobWrite[]): FileIo {
  const no = (what: string) => () => {
    throw new Error(`weight job: a worker without file access cannot ${what}`);
  };
  return {
    writeAt: (fd, bytes, position) => writes.push({ fd, position, bytes: bytes.slice() }),
    open: no('open files'),
    readAt: no('read files'),
    size: no('size files'),
    close: no('close files'),
    rename: no('rename files'),
  };
}

/**
 * Runs a pool's job in a worker: through `io` when the worker can write the data files itself,
 * or, with `'hand-back'`, recording the writes into the reply. Returns the reply and the buffers
 * to transfer with it (never copied).
 *
 * @example
 * port.on('message', (req: JobRequest) => {
 *   const { reply, transfer } = answerJob(req, nodeFileIo);
 *   port.postMessage(reply, transfer);
 * });
 */
export function answerJob(
  req: JobRequest,
  io: FileIo | 'hand-back',
): { reply: JobReply; transfer: ArrayBuffer[] } {
  const writes: JobWrite[] = [];
  let reply: JobReply;
  try {
    const out = runWeightJob(req.job, io === 'hand-back' ? recordingIo(writes) : io);
    reply = { id: req.id, out, spare: sourceBuffer(req.job) };
    if (io === 'hand-back') reply.writes = writes;
  } catch (e) {
    reply = { id: req.id, error: e instanceof Error ? e.message : String(e) };
  }
  const transfer = [
    ...(reply.out ?? []).filter((b): b is Uint8Array => b !== null).map((b) => b.buffer as ArrayBuffer),
    ...(reply.writes ?? []).map((w) => w.bytes.buffer as ArrayBuffer),
  ];
  if (reply.spare) transfer.push(reply.spare);
  return { reply, transfer };
}
