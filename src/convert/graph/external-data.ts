/**
 * Streams initializer bytes to disk as they are produced, one tensor at a time, into
 * `<model file>_data`, `<model file>_data_1`, ... (the transformers.js chunk naming,
 * `getExternalDataChunkNames` in @huggingface/transformers). A new chunk starts before a tensor
 * that would push the current one past `chunkBytes`, so each browser fetch stays under the ~2 GB
 * ArrayBuffer limit. At the end the caller either keeps the files as ONNX external data or, for a
 * model small enough to be one protobuf, inlines the bytes (`asInline`) and deletes them.
 *
 * Deliberately does not: hold tensor data in memory, or split one tensor across chunks (ONNX
 * external data cannot). Node only.
 */
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { DataTypeCode, TensorDef } from '../onnx-proto.ts';

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
  private open: { def: TensorDef; remaining: number } | null = null;
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
    const def = this.begin(name, dataType, dims, bytes.byteLength);
    this.write(bytes);
    return def;
  }

  /** Starts a tensor of `byteLength` bytes, to be filled by `write` calls before the next `begin`. */
  begin(name: string, dataType: DataTypeCode, dims: number[], byteLength: number): TensorDef {
    if (this.closed) throw new Error('ExternalDataWriter: already closed');
    if (this.open) throw new Error(`ExternalDataWriter: tensor ${this.open.def.name} is still being written`);
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
    if (offset > chunk.size) writeAllSync(chunk.fd, new Uint8Array(offset - chunk.size));
    chunk.size = offset;
    const def: TensorDef = {
      name,
      dataType,
      dims,
      external: { location: chunk.file, offset, length: byteLength },
    };
    this.tensors.push(def);
    this.open = { def, remaining: byteLength };
    if (byteLength === 0) this.open = null;
    return def;
  }

  /** Appends bytes to the tensor started by `begin`. */
  write(bytes: Uint8Array): void {
    const open = this.open;
    if (!open) throw new Error('ExternalDataWriter: write without begin');
    if (bytes.byteLength > open.remaining) {
      throw new Error(`ExternalDataWriter: tensor ${open.def.name} got more bytes than its declared length`);
    }
    const chunk = this.chunks.at(-1)!;
    writeAllSync(chunk.fd, bytes);
    chunk.size += bytes.byteLength;
    open.remaining -= bytes.byteLength;
    if (open.remaining === 0) this.open = null;
  }

  /** Closes the files; every started tensor must be complete. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.chunks) closeSync(c.fd);
    if (this.open) throw new Error(`ExternalDataWriter: tensor ${this.open.def.name} is incomplete`);
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

function writeAllSync(fd: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done);
}
