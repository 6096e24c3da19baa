/**
 * Lays initializer bytes out on disk as they are produced, one reserved byte range per tensor, in
 * `<model file>_data`, `<model file>_data_1`, ... (the transformers.js chunk naming,
 * `getExternalDataChunkNames` in @huggingface/transformers). A new chunk starts before a tensor
 * that would push the current one past `chunkBytes`, so each browser fetch stays under the ~2 GB
 * ArrayBuffer limit. Ranges are filled by positional writes, from worker threads too
 * (`../weight-pool.ts`), so tensors may be written in any order.
 *
 * The first chunk is laid out so it can also become the model file itself: it starts with room
 * for the ModelProto `graph` tag and length, and each tensor's bytes are preceded by room for its
 * GraphProto initializer header (`initializerHeader`). A model small enough to be one protobuf is
 * finished in place by `writeInlineModel` (headers, the rest of the graph and the model fields
 * written around the weights, then a rename), so its weights are written once, not written to a
 * scratch file and copied. A larger model keeps the chunks as ONNX external data; the unused
 * header room there is a few zero bytes per tensor.
 *
 * Deliberately does not: hold tensor data in memory, or split one tensor across chunks (ONNX
 * external data cannot). Files are written through a `FileIo` (Node fs, or OPFS in a page).
 */
import { joinPath, type FileIo } from '../file-io.ts';
import {
  GRAPH_TAG,
  PADDED_VARINT_BYTES,
  initializerHeader,
  paddedVarint,
  writeEncodedAt,
  type DataTypeCode,
  type Encoded,
  type TensorDef,
} from '../onnx-proto.ts';
import type { FileTarget } from '../weight-jobs.ts';

// onnxruntime memory-maps external data whose offset is page aligned; small tensors pack tightly.
const BIG_TENSOR = 1 << 20;
const PAGE = 4096;
const SMALL_ALIGN = 64;

interface Chunk {
  file: string;
  fd: number;
  size: number;
}

/** Bytes before the first tensor of chunk 0: the graph tag and its 5-byte length. */
const GRAPH_PREFIX = 1 + PADDED_VARINT_BYTES;

export class ExternalDataWriter {
  readonly io: FileIo;
  readonly dir: string;
  readonly modelFile: string;
  readonly chunkBytes: number;
  private readonly chunks: Chunk[] = [];
  readonly tensors: TensorDef[] = [];
  /** Initializer headers of chunk 0's tensors and where they go. */
  private readonly headers: { at: number; bytes: Uint8Array }[] = [];
  private closed = false;

  /**
   * @example
   * const w = new ExternalDataWriter(nodeFileIo, '/tmp/out/onnx', 'model_q4.onnx');
   * const def = w.add('model.norm.weight', DataType.FLOAT, [8], new Uint8Array(32));
   * w.close(); // def.external = { location: 'model_q4.onnx_data', offset: 64, length: 32 }
   */
  constructor(io: FileIo, dir: string, modelFile: string, chunkBytes = 2_000_000_000) {
    this.io = io;
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
    this.io.writeAt(target.fd, bytes, target.position);
    return def;
  }

  /**
   * Sets aside `byteLength` bytes for one tensor and returns where to write them: any thread may
   * fill the range later with positional writes (`FileIo.writeAt`), in any order, before `close`.
   * Alignment padding between tensors is left as a file hole, which reads as zeros.
   */
  reserve(
    name: string,
    dataType: DataTypeCode,
    dims: number[],
    byteLength: number,
  ): { def: TensorDef; target: FileTarget } {
    if (this.closed) throw new Error('ExternalDataWriter: already closed');
    const align = byteLength >= BIG_TENSOR ? PAGE : SMALL_ALIGN;
    let chunk = this.chunks.at(-1) ?? this.openChunk();
    let place = this.place(chunk, name, dataType, dims, byteLength, align);
    const empty = chunk.size === (chunk === this.chunks[0] ? GRAPH_PREFIX : 0);
    if (place.offset + byteLength > this.chunkBytes && !empty) {
      chunk = this.openChunk();
      place = this.place(chunk, name, dataType, dims, byteLength, align);
    }
    const offset = place.offset;
    if (place.header) this.headers.push({ at: chunk.size, bytes: place.header });
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

  /** Where a tensor's bytes would start in `chunk`; in chunk 0, after its initializer header. */
  private place(
    chunk: Chunk,
    name: string,
    dataType: DataTypeCode,
    dims: number[],
    byteLength: number,
    align: number,
  ): { offset: number; header?: Uint8Array } {
    if (chunk !== this.chunks[0]) return { offset: Math.ceil(chunk.size / align) * align };
    const header = initializerHeader({ name, dataType, dims }, byteLength, chunk.size, align);
    return { offset: chunk.size + header.length, header };
  }

  private openChunk(): Chunk {
    const i = this.chunks.length;
    const file = `${this.modelFile}_data${i === 0 ? '' : `_${i}`}`;
    const chunk = { file, fd: this.io.open(joinPath(this.dir, file), 'w'), size: i === 0 ? GRAPH_PREFIX : 0 };
    this.chunks.push(chunk);
    return chunk;
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
      if (this.io.size(c.fd) < c.size) short.push(c.file);
      this.io.close(c.fd);
    }
    if (short.length > 0) {
      throw new Error(`ExternalDataWriter: ${short.join(', ')} ended before the last tensor was written`);
    }
  }

  /**
   * Turns the single data chunk into the model file `modelFile` (call after `close`): writes each
   * tensor's initializer header before its bytes, then `graphRest` (the GraphProto's other fields:
   * nodes, name, small initializers, inputs, outputs) and `modelRest` (the ModelProto's other
   * fields) after them, patches the graph length in at the start, and renames the file. Returns
   * the model's size in bytes. For a model whose data fits one protobuf (under 2 GB).
   */
  async writeInlineModel(graphRest: Encoded, modelRest: Encoded): Promise<number> {
    if (!this.closed) throw new Error('ExternalDataWriter: close before writeInlineModel');
    if (this.chunks.length > 1)
      throw new Error('ExternalDataWriter: an inline model needs a single data chunk');
    const io = this.io;
    if (this.chunks.length === 0) io.close(this.openChunk().fd); // every tensor was inline
    const chunk = this.chunks[0];
    const path = joinPath(this.dir, chunk.file);
    const graphEnd = chunk.size + graphRest.length;
    const fd = io.open(path, 'r+');
    try {
      for (const h of this.headers) io.writeAt(fd, h.bytes, h.at);
      writeEncodedAt(graphRest, io, fd, chunk.size);
      io.writeAt(fd, Uint8Array.of(GRAPH_TAG, ...paddedVarint(graphEnd - GRAPH_PREFIX)), 0);
      writeEncodedAt(modelRest, io, fd, graphEnd);
      if (io.size(fd) !== graphEnd + modelRest.length) {
        throw new Error(`ExternalDataWriter: ${chunk.file} is longer than the model written into it`);
      }
    } finally {
      io.close(fd);
    }
    await io.rename(path, joinPath(this.dir, this.modelFile));
    this.chunks.length = 0;
    return graphEnd + modelRest.length;
  }
}
