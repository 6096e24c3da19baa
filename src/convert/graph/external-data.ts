/**
 * Lays initializer bytes out on disk as they are produced, one reserved byte range per tensor, in
 * `<model file>_data`, `<model file>_data_1`, ... (the transformers.js chunk naming,
 * `getExternalDataChunkNames` in @huggingface/transformers). A new chunk starts before a tensor
 * that would push the current one past `chunkBytes`, so each browser fetch stays under the ~2 GB
 * ArrayBuffer limit. Ranges are filled by positional writes, from worker threads too
 * (`../weight-pool.ts`), so tensors may be written in any order. At the end the caller either keeps the files as ONNX external data or, for a
 * model small enough to be one protobuf, inlines the bytes (`asInline`) and deletes them.
 *
 * Deliberately does not: hold tensor data in memory, or split one tensor across chunks (ONNX
 * external data cannot). Node only.
 */
import { closeSync, fstatSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DataTypeCode, TensorDef } from '../onnx-proto.ts';
import { writeAllAt, type FileTarget } from '../weight-jobs.ts';

// onnxruntime memory-maps external data whose offset is page aligned; small tensors pack tightly.
const BIG_TENSOR = 1 << 20;
const PAGE = 4096;
const SMALL_ALIGN = 64;

interface Chunk {
  file: string;
  fd: number;
  size: number;
}

export class ExternalDataWriter {
  readonly dir: string;
  readonly modelFile: string;
  readonly chunkBytes: number;
  private readonly chunks: Chunk[] = [];
  readonly tensors: TensorDef[] = [];
  private closed = false;

  /**
   * @example
   * const w = new ExternalDataWriter('/tmp/out/onnx', 'model_q4.onnx');
   * const def = w.add('model.norm.weight', DataType.FLOAT, [8], new Uint8Array(32));
   * w.close(); // def.external = { location: 'model_q4.onnx_data', offset: 0, length: 32 }
   */
  constructor(dir: string, modelFile: string, chunkBytes = 2_000_000_000) {
    this.dir = dir;
    this.modelFile = modelFile;
    this.chunkBytes = chunkBytes;
  }

  /** Total bytes written, padding included. */
  get totalBytes(): number {
    return this.chunks.reduce((s, c) => s + c.size, 0);
  }

  /** Files written, relative to `dir`. */
  get files(): string[] {
    return this.chunks.map((c) => c.file);
  }

  /** Writes one whole tensor and returns its (external) TensorProto description. */
  add(name: string, dataType: DataTypeCode, dims: number[], bytes: Uint8Array): TensorDef {
    const { def, target } = this.reserve(name, dataType, dims, bytes.byteLength);
    writeAllAt(target.fd, bytes, target.position);
    return def;
  }

  /**
   * Sets aside `byteLength` bytes for one tensor and returns where to write them: any thread may
   * fill the range later with positional writes (`writeAllAt`), in any order, before `close`.
   * Alignment padding between tensors is left as a file hole, which reads as zeros.
   */
  reserve(
    name: string,
    dataType: DataTypeCode,
    dims: number[],
    byteLength: number,
  ): { def: TensorDef; target: FileTarget } {
    if (this.closed) throw new Error('ExternalDataWriter: already closed');
    let chunk = this.chunks.at(-1);
    const align = byteLength >= BIG_TENSOR ? PAGE : SMALL_ALIGN;
    let offset = chunk ? Math.ceil(chunk.size / align) * align : 0;
    if (!chunk || (offset + byteLength > this.chunkBytes && chunk.size > 0)) {
      const i = this.chunks.length;
      const file = `${this.modelFile}_data${i === 0 ? '' : `_${i}`}`;
      chunk = { file, fd: openSync(join(this.dir, file), 'w'), size: 0 };
      this.chunks.push(chunk);
      offset = 0;
    }
    chunk.size = offset + byteLength;
    const def: TensorDef = {
      name,
      dataType,
      dims,
      external: { location: chunk.file, offset, length: byteLength },
    };
    this.tensors.push(def);
    return { def, target: { fd: chunk.fd, position: offset } };
  }

  /**
   * Closes the files once every reserved range has been written; a file shorter than its last
   * reservation means a write never happened, which is an error, not a model.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const short: string[] = [];
    for (const c of this.chunks) {
      if (fstatSync(c.fd).size < c.size) short.push(c.file);
      closeSync(c.fd);
    }
    if (short.length > 0) {
      throw new Error(`ExternalDataWriter: ${short.join(', ')} ended before the last tensor was written`);
    }
  }

  /**
   * Rewrites every tensor description to inline `raw_data` read from the data files when the
   * model is written (call after `close`; delete the files with `removeFiles` afterwards).
   */
  asInline(): void {
    for (const t of this.tensors) {
      const e = t.external!;
      t.raw = { path: join(this.dir, e.location), offset: e.offset, length: e.length };
      delete t.external;
    }
  }

  removeFiles(): void {
    for (const c of this.chunks) rmSync(join(this.dir, c.file), { force: true });
  }
}
