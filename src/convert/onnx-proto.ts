/**
 * A minimal, hand-written protobuf ENCODER for the parts of `onnx.proto` the converter emits:
 * ModelProto, GraphProto, NodeProto, AttributeProto (int, float, ints, floats, string, tensor),
 * TensorProto (inline `raw_data` or external data), ValueInfoProto with symbolic dims.
 *
 * Encoding is bottom-up into a list of parts with known lengths, so a tensor's bytes can be a
 * `FileSlice` (bytes already in a file) that is copied into the output only when the model file is
 * written: a 2 GB model never has to sit in memory as one buffer. The converter itself writes no
 * slices: a model under 2 GB is finished around its weights in place (`initializerHeader`,
 * `paddedVarint`, `encodeModelFields`; see ExternalDataWriter.writeInlineModel).
 *
 * Deliberately does not: decode protobuf, validate graphs (onnxruntime does that when it loads the
 * model), or support sparse tensors, subgraphs, functions or training info. Field numbers follow
 * onnx/onnx.proto (proto2 syntax: repeated scalars are written unpacked, which every parser reads).
 */
import type { FileIo } from './file-io.ts';

/** TensorProto.DataType values used here. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
} as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

/** Bytes already written to a file, copied into the output when the model is written. */
export interface FileSlice {
  path: string;
  offset: number;
  length: number;
}

export type Part = Uint8Array | FileSlice;

/** An encoded message: its parts, in order, and their total byte length. */
export interface Encoded {
  parts: Part[];
  length: number;
}

export interface TensorDef {
  name: string;
  dataType: DataTypeCode;
  dims: number[];
  /** Inline bytes (little-endian, row-major), stored as `raw_data`. */
  raw?: Uint8Array | FileSlice;
  /** Bytes in an external file next to the model: `location` is relative to the model file. */
  external?: { location: string; offset: number; length: number };
}

export type AttributeDef =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'ints'; value: number[] }
  | { type: 'floats'; value: number[] }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: TensorDef };

export interface NodeDef {
  opType: string;
  /** '' (ai.onnx) when absent. */
  domain?: string;
  name?: string;
  /** '' marks an omitted optional input / unused output. */
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, AttributeDef>;
}

/** A tensor-typed graph input/output; string dims are symbolic (`dim_param`). */
export interface ValueInfoDef {
  name: string;
  elemType: DataTypeCode;
  shape: (number | string)[];
}

export interface GraphDef {
  name: string;
  nodes: NodeDef[];
  initializers: TensorDef[];
  inputs: ValueInfoDef[];
  outputs: ValueInfoDef[];
}

export interface ModelDef {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  docString?: string;
  metadata?: Record<string, string>;
  graph: GraphDef;
}

/** Attribute constructors, e.g. `{ num_heads: attr.int(28), epsilon: attr.float(1e-6) }`. */
export const attr = {
  int: (value: number): AttributeDef => ({ type: 'int', value }),
  float: (value: number): AttributeDef => ({ type: 'float', value }),
  ints: (value: number[]): AttributeDef => ({ type: 'ints', value }),
  floats: (value: number[]): AttributeDef => ({ type: 'floats', value }),
  string: (value: string): AttributeDef => ({ type: 'string', value }),
  tensor: (value: TensorDef): AttributeDef => ({ type: 'tensor', value }),
};

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const textEncoder = new TextEncoder();

/** Accumulates the fields of one message; nested messages are appended without copying. */
class MessageWriter {
  private parts: Part[] = [];
  private length = 0;
  private scratch = new Uint8Array(64);
  private used = 0;

  private flushScratch(): void {
    if (this.used === 0) return;
    this.parts.push(this.scratch.subarray(0, this.used));
    this.scratch = new Uint8Array(Math.max(64, this.scratch.length));
    this.used = 0;
  }

  byte(b: number): void {
    if (this.used === this.scratch.length) {
      this.flushScratch();
      this.scratch = new Uint8Array(256);
    }
    this.scratch[this.used++] = b;
    this.length++;
  }

  rawVarint(value: number | bigint): void {
    if (typeof value === 'number' && value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
      // Plain arithmetic: bit operators would truncate to 32 bits.
      let v = value;
      while (v >= 0x80) {
        this.byte((v % 0x80) | 0x80);
        v = Math.floor(v / 0x80);
      }
      this.byte(v);
      return;
    }
    // Negative int64 (e.g. axis -1) is sent as its 64-bit two's complement: 10 bytes.
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  tag(field: number, wire: number): void {
    this.rawVarint(field * 8 + wire);
  }

  varint(field: number, value: number | bigint): void {
    if (typeof value === 'number' && !Number.isInteger(value)) {
      throw new Error(`onnx-proto: field ${field} needs an integer, got ${value}`);
    }
    this.tag(field, WIRE_VARINT);
    this.rawVarint(value);
  }

  float32(field: number, value: number): void {
    this.tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    for (const x of b) this.byte(x);
  }

  string(field: number, value: string): void {
    this.bytes(field, textEncoder.encode(value));
  }

  bytes(field: number, data: Uint8Array | FileSlice): void {
    this.tag(field, WIRE_LEN);
    const n = data instanceof Uint8Array ? data.length : data.length;
    this.rawVarint(n);
    this.flushScratch();
    this.parts.push(data);
    this.length += n;
  }

  message(field: number, msg: Encoded): void {
    this.tag(field, WIRE_LEN);
    this.rawVarint(msg.length);
    this.flushScratch();
    for (const p of msg.parts) this.parts.push(p);
    this.length += msg.length;
  }

  finish(): Encoded {
    this.flushScratch();
    return { parts: this.parts, length: this.length };
  }
}

function encodeStringEntry(key: string, value: string): Encoded {
  const w = new MessageWriter();
  w.string(1, key);
  w.string(2, value);
  return w.finish();
}

/** Encodes a TensorProto. */
export function encodeTensor(t: TensorDef): Encoded {
  const w = new MessageWriter();
  for (const d of t.dims) w.varint(1, d);
  w.varint(2, t.dataType);
  w.string(8, t.name);
  if (t.raw && t.external) throw new Error(`onnx-proto: tensor ${t.name} has both inline and external data`);
  if (t.raw) w.bytes(9, t.raw);
  if (t.external) {
    w.message(13, encodeStringEntry('location', t.external.location));
    w.message(13, encodeStringEntry('offset', String(t.external.offset)));
    w.message(13, encodeStringEntry('length', String(t.external.length)));
    w.varint(14, 1); // data_location = EXTERNAL
  }
  return w.finish();
}

/** Bytes a varint of the non-negative integer `v` takes. */
export function varintBytes(v: number): number {
  let n = 1;
  for (let x = v; x >= 0x80; x = Math.floor(x / 0x80)) n++;
  return n;
}

/** Bytes of `paddedVarint`. */
export const PADDED_VARINT_BYTES = 5;

/**
 * `v` (under 2^35) as a varint of exactly 5 bytes - unused high groups carry a continuation bit,
 * a longer-than-needed encoding every protobuf parser reads - so a length can be written before
 * the bytes it counts are known and patched in afterwards.
 */
export function paddedVarint(v: number): Uint8Array {
  if (!(v >= 0 && v < 2 ** 35)) throw new Error(`onnx-proto: ${v} does not fit a 5-byte varint`);
  const out = new Uint8Array(PADDED_VARINT_BYTES);
  let x = v;
  for (let i = 0; i < PADDED_VARINT_BYTES; i++) {
    out[i] = (x % 0x80) | (i < PADDED_VARINT_BYTES - 1 ? 0x80 : 0);
    x = Math.floor(x / 0x80);
  }
  return out;
}

/** The tag that opens ModelProto.graph (field 7, length-delimited). */
export const GRAPH_TAG = 7 * 8 + WIRE_LEN;

/**
 * A GraphProto `initializer` field (5) up to the first byte of its `raw_data`, for a tensor of
 * `byteLength` bytes written right after it in the same file: so a model file can be laid out
 * while its weights are still being produced. The header ends at an offset that is a multiple of
 * `align` when it starts at `start`: the gap is filled with a `doc_string` of spaces (the smallest
 * that works), so weights stay page aligned as in external data.
 *
 * @example
 * const h = initializerHeader({ name: 'w', dataType: DataType.FLOAT, dims: [2] }, 8, 6, 64);
 * (6 + h.length) % 64 // 0; then 8 bytes of raw_data follow
 */
export function initializerHeader(
  t: Pick<TensorDef, 'name' | 'dataType' | 'dims'>,
  byteLength: number,
  start: number,
  align: number,
): Uint8Array {
  const w = new MessageWriter();
  for (const d of t.dims) w.varint(1, d);
  w.varint(2, t.dataType);
  w.string(8, t.name);
  const base = encodedToBytes(w.finish());
  const raw = 1 + varintBytes(byteLength); // raw_data (field 9) tag + length
  // pad -1: no filler; pad >= 0: doc_string (field 12) tag, length and `pad` spaces.
  const fill = (pad: number) => (pad < 0 ? 0 : 1 + varintBytes(pad) + pad);
  const headerBytes = (pad: number) => {
    const tensorBytes = base.length + fill(pad) + raw + byteLength;
    return 1 + varintBytes(tensorBytes) + base.length + fill(pad) + raw;
  };
  let pad = -1;
  while ((start + headerBytes(pad)) % align !== 0) {
    if (++pad > 2 * align + 32) throw new Error(`onnx-proto: cannot align ${t.name} to ${align} bytes`);
  }
  const h = new MessageWriter();
  h.tag(5, WIRE_LEN);
  h.rawVarint(base.length + fill(pad) + raw + byteLength);
  for (const b of base) h.byte(b);
  if (pad >= 0) {
    h.tag(12, WIRE_LEN);
    h.rawVarint(pad);
    for (let i = 0; i < pad; i++) h.byte(0x20);
  }
  h.tag(9, WIRE_LEN);
  h.rawVarint(byteLength);
  const out = encodedToBytes(h.finish());
  if (out.length !== headerBytes(pad)) throw new Error('onnx-proto: initializer header length mismatch');
  return out;
}

const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

function encodeAttribute(name: string, a: AttributeDef): Encoded {
  const w = new MessageWriter();
  w.string(1, name);
  switch (a.type) {
    case 'float':
      w.float32(2, a.value);
      break;
    case 'int':
      w.varint(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'tensor':
      w.message(5, encodeTensor(a.value));
      break;
    case 'floats':
      for (const f of a.value) w.float32(7, f);
      break;
    case 'ints':
      for (const i of a.value) w.varint(8, i);
      break;
  }
  w.varint(20, ATTR_TYPE[a.type]);
  return w.finish();
}

/** Encodes a NodeProto. */
export function encodeNode(n: NodeDef): Encoded {
  const w = new MessageWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const [k, a] of Object.entries(n.attributes ?? {})) w.message(5, encodeAttribute(k, a));
  if (n.domain) w.string(7, n.domain);
  return w.finish();
}

/** Encodes a ValueInfoProto of tensor type. */
export function encodeValueInfo(v: ValueInfoDef): Encoded {
  const shape = new MessageWriter();
  for (const d of v.shape) {
    const dim = new MessageWriter();
    if (typeof d === 'number') dim.varint(1, d);
    else dim.string(2, d);
    shape.message(1, dim.finish());
  }
  const tensorType = new MessageWriter();
  tensorType.varint(1, v.elemType);
  tensorType.message(2, shape.finish());
  const type = new MessageWriter();
  type.message(1, tensorType.finish());
  const w = new MessageWriter();
  w.string(1, v.name);
  w.message(2, type.finish());
  return w.finish();
}

/** Encodes a GraphProto. */
export function encodeGraph(g: GraphDef): Encoded {
  const w = new MessageWriter();
  for (const n of g.nodes) w.message(1, encodeNode(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, encodeTensor(t));
  for (const i of g.inputs) w.message(11, encodeValueInfo(i));
  for (const o of g.outputs) w.message(12, encodeValueInfo(o));
  return w.finish();
}

/**
 * Encodes a ModelProto.
 *
 * @example
 * const enc = encodeModel({ irVersion: 8, opsets: [{ domain: '', version: 17 }], producerName: 'prm',
 *   producerVersion: '0.1', graph: { name: 'g', nodes: [{ opType: 'Relu', inputs: ['x'], outputs: ['y'] }],
 *   initializers: [], inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['n'] }],
 *   outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: ['n'] }] } });
 * writeFileSync('relu.onnx', encodedToBytes(enc));
 */
export function encodeModel(m: ModelDef): Encoded {
  return encodeModelFields(m, encodeGraph(m.graph));
}

/**
 * The ModelProto fields other than `graph` (IR version, producer, doc string, opsets, metadata),
 * to follow a graph already written in place (`ExternalDataWriter.writeInlineModel`); protobuf
 * fields may come in any order.
 */
export function encodeModelFields(m: Omit<ModelDef, 'graph'>, graph?: Encoded): Encoded {
  const w = new MessageWriter();
  w.varint(1, m.irVersion);
  w.string(2, m.producerName);
  w.string(3, m.producerVersion);
  if (m.docString) w.string(6, m.docString);
  if (graph) w.message(7, graph);
  for (const o of m.opsets) {
    const op = new MessageWriter();
    if (o.domain) op.string(1, o.domain);
    op.varint(2, o.version);
    w.message(8, op.finish());
  }
  for (const [k, v] of Object.entries(m.metadata ?? {})) w.message(14, encodeStringEntry(k, v));
  return w.finish();
}

/**
 * Joins an encoded message into one buffer (for small models and tests); file-slice parts are
 * read through `io`.
 */
export function encodedToBytes(e: Encoded, io?: FileIo): Uint8Array {
  const out = new Uint8Array(e.length);
  let at = 0;
  for (const p of e.parts) {
    if (p instanceof Uint8Array) out.set(p, at);
    else readSlice(p, out.subarray(at, at + p.length), io);
    at += p.length;
  }
  return out;
}

function readSlice(slice: FileSlice, into: Uint8Array, io: FileIo | undefined): void {
  if (!io) throw new Error(`onnx-proto: reading the file slice of ${slice.path} needs a FileIo`);
  io.readAt(slice.path, slice.offset, into);
}

/**
 * Writes an encoded message to `path`, copying file slices in 16 MiB pieces so memory stays flat.
 * Returns the number of bytes written.
 */
export function writeEncoded(e: Encoded, io: FileIo, path: string): number {
  const out = io.open(path, 'w');
  try {
    writeEncodedAt(e, io, out, 0);
  } finally {
    io.close(out);
  }
  return e.length;
}

/** Writes an encoded message into the open file `out` from byte `position` on (see writeEncoded). */
export function writeEncodedAt(e: Encoded, io: FileIo, out: number, position: number): void {
  const CHUNK = 16 * 1024 * 1024;
  let at = position;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const put = (data: Uint8Array) => {
    io.writeAt(out, data, at);
    at += data.length;
  };
  const flush = () => {
    if (pendingBytes === 0) return;
    const joined = new Uint8Array(pendingBytes);
    let o = 0;
    for (const p of pending) {
      joined.set(p, o);
      o += p.length;
    }
    put(joined);
    pending = [];
    pendingBytes = 0;
  };
  let buf: Uint8Array | undefined;
  for (const p of e.parts) {
    if (p instanceof Uint8Array) {
      // Thousands of tiny header parts: batch them into few writes.
      pending.push(p);
      pendingBytes += p.length;
      if (pendingBytes >= CHUNK) flush();
      continue;
    }
    flush();
    buf ??= new Uint8Array(CHUNK);
    for (let done = 0; done < p.length;) {
      const n = Math.min(CHUNK, p.length - done);
      const view = buf.subarray(0, n);
      readSlice({ path: p.path, offset: p.offset + done, length: n }, view, io);
      put(view);
      done += n;
    }
  }
  flush();
}
