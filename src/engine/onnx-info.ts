/**
 * Reads what the engine must know about an `.onnx` file before handing it to onnxruntime: the
 * graph's inputs and outputs (for the PRM contract), the size of its largest weight (against the
 * GPU's buffer limits) and which external data files it needs and how many bytes of each (to catch
 * a truncated download before onnxruntime fails with an opaque message).
 *
 * A small protobuf DECODER for the few fields of onnx.proto it needs; it skips tensor bytes by
 * their length, so a large model costs a pass over its headers only. It does not validate the
 * graph (onnxruntime does that), read subgraphs, functions, sparse or typed (non-raw) tensor
 * values, or decode any weight.
 */

/** The file is not a readable ONNX model (cut short or not protobuf); names the file. */
export class OnnxFormatError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'OnnxFormatError';
  }
}

export interface OnnxValueInfo {
  name: string;
  /** ONNX element type name, e.g. `int64`, `float32`; `unknown` when the graph does not say. */
  elemType: string;
  /** Static sizes as numbers, symbolic ones as their names, `null` when absent. */
  dims: (number | string | null)[] | null;
}

export interface OnnxExternalFile {
  /** The `location` string stored in the model (what onnxruntime's `externalData.path` must equal). */
  location: string;
  /** Bytes the file must have at least: the furthest `offset + length` any tensor reads. */
  requiredBytes: number;
  tensors: number;
}

export interface OnnxInfo {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializerCount: number;
  /** Bytes of all initializers, inline and external. */
  initializerBytes: number;
  largestInitializer: { name: string; bytes: number } | null;
  external: OnnxExternalFile[];
}

const ELEM_TYPES: Record<number, { name: string; bits: number }> = {
  1: { name: 'float32', bits: 32 },
  2: { name: 'uint8', bits: 8 },
  3: { name: 'int8', bits: 8 },
  4: { name: 'uint16', bits: 16 },
  5: { name: 'int16', bits: 16 },
  6: { name: 'int32', bits: 32 },
  7: { name: 'int64', bits: 64 },
  8: { name: 'string', bits: 0 },
  9: { name: 'bool', bits: 8 },
  10: { name: 'float16', bits: 16 },
  11: { name: 'float64', bits: 64 },
  12: { name: 'uint32', bits: 32 },
  13: { name: 'uint64', bits: 64 },
  16: { name: 'bfloat16', bits: 16 },
  21: { name: 'uint4', bits: 4 },
  22: { name: 'int4', bits: 4 },
};

const decoder = new TextDecoder();

interface Field {
  no: number;
  wire: number;
  /** Varint / fixed value (wire 0, 1, 5). */
  value: number;
  /** Payload bounds (wire 2). */
  start: number;
  end: number;
}

/** Iterates the fields of one message in `buf[start, end)`; throws when a field runs past `end`. */
class Reader {
  constructor(
    private readonly buf: Uint8Array,
    private readonly file: string,
  ) {}

  private fail(at: number, what: string): never {
    throw new OnnxFormatError(
      this.file,
      `${this.file} is truncated or not an ONNX model: ${what} at byte ${at} of ${this.buf.length}. ` +
        'Download or copy the file again; if it came from `prm convert`, re-run the conversion.',
    );
  }

  varint(pos: { at: number }, end: number): number {
    let result = 0;
    let scale = 1;
    // Sizes and offsets fit 49 bits (7 bytes) as plain numbers; longer forms are negative int64
    // values (two's complement, e.g. dim -1), decoded through BigInt.
    for (let i = 0; i < 7; i++) {
      if (pos.at >= end) this.fail(pos.at, 'a number runs past the end');
      const b = this.buf[pos.at++];
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    let big = BigInt(result);
    for (let shift = 49n; shift < 70n; shift += 7n) {
      if (pos.at >= end) this.fail(pos.at, 'a number runs past the end');
      const b = this.buf[pos.at++];
      big |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return Number(BigInt.asIntN(64, big));
    }
    return this.fail(pos.at, 'a number longer than 10 bytes');
  }

  *fields(start: number, end: number): Generator<Field> {
    const pos = { at: start };
    while (pos.at < end) {
      const fieldStart = pos.at;
      const key = this.varint(pos, end);
      const no = Math.floor(key / 8);
      const wire = key & 7;
      if (no === 0) this.fail(fieldStart, 'field number 0');
      switch (wire) {
        case 0:
          yield { no, wire, value: this.varint(pos, end), start: 0, end: 0 };
          break;
        case 1:
          if (pos.at + 8 > end) this.fail(fieldStart, 'an 8-byte field runs past the end');
          pos.at += 8;
          yield { no, wire, value: 0, start: 0, end: 0 };
          break;
        case 2: {
          const len = this.varint(pos, end);
          if (pos.at + len > end) this.fail(fieldStart, `a ${len}-byte field runs past the end`);
          const s = pos.at;
          pos.at += len;
          yield { no, wire, value: len, start: s, end: pos.at };
          break;
        }
        case 5:
          if (pos.at + 4 > end) this.fail(fieldStart, 'a 4-byte field runs past the end');
          pos.at += 4;
          yield { no, wire, value: 0, start: 0, end: 0 };
          break;
        default:
          this.fail(fieldStart, `unknown wire type ${wire}`);
      }
    }
  }

  str(f: Field): string {
    return decoder.decode(this.buf.subarray(f.start, f.end));
  }

  /** Repeated int64 field values, packed or not. */
  ints(f: Field, into: number[]): void {
    if (f.wire === 0) {
      into.push(f.value);
      return;
    }
    const pos = { at: f.start };
    while (pos.at < f.end) into.push(this.varint(pos, f.end));
  }
}

function readValueInfo(r: Reader, start: number, end: number): OnnxValueInfo {
  const info: OnnxValueInfo = { name: '', elemType: 'unknown', dims: null };
  for (const f of r.fields(start, end)) {
    if (f.no === 1 && f.wire === 2) info.name = r.str(f);
    if (f.no !== 2 || f.wire !== 2) continue;
    for (const t of r.fields(f.start, f.end)) {
      if (t.no !== 1 || t.wire !== 2) continue; // TypeProto.tensor_type
      for (const tt of r.fields(t.start, t.end)) {
        if (tt.no === 1 && tt.wire === 0) info.elemType = ELEM_TYPES[tt.value]?.name ?? `type ${tt.value}`;
        if (tt.no !== 2 || tt.wire !== 2) continue;
        info.dims = [];
        for (const d of r.fields(tt.start, tt.end)) {
          if (d.no !== 1 || d.wire !== 2) continue;
          let dim: number | string | null = null;
          for (const dv of r.fields(d.start, d.end)) {
            if (dv.no === 1 && dv.wire === 0) dim = dv.value;
            if (dv.no === 2 && dv.wire === 2) dim = r.str(dv);
          }
          info.dims.push(dim);
        }
      }
    }
  }
  return info;
}

interface TensorHeader {
  name: string;
  bytes: number;
  external: { location: string; offset: number; length: number } | null;
}

function readTensor(r: Reader, start: number, end: number, file: string): TensorHeader {
  const dims: number[] = [];
  let dataType = 0;
  let name = '';
  let rawBytes = -1;
  let typedBytes = 0;
  let externalLocation = false;
  const entries = new Map<string, string>();
  for (const f of r.fields(start, end)) {
    if (f.no === 1) r.ints(f, dims);
    else if (f.no === 2 && f.wire === 0) dataType = f.value;
    else if (f.no === 8 && f.wire === 2) name = r.str(f);
    else if (f.no === 9 && f.wire === 2) rawBytes = f.value;
    else if ([4, 5, 7, 10, 11].includes(f.no) && f.wire === 2) typedBytes += f.value;
    else if (f.no === 14 && f.wire === 0) externalLocation = f.value === 1;
    else if (f.no === 13 && f.wire === 2) {
      let key = '';
      let value = '';
      for (const e of r.fields(f.start, f.end)) {
        if (e.no === 1 && e.wire === 2) key = r.str(e);
        if (e.no === 2 && e.wire === 2) value = r.str(e);
      }
      entries.set(key, value);
    }
  }
  const count = dims.reduce((a, b) => a * b, 1);
  const bits = ELEM_TYPES[dataType]?.bits ?? 0;
  const fromShape = Math.ceil((count * bits) / 8);
  if (externalLocation) {
    const location = entries.get('location');
    if (!location) {
      throw new OnnxFormatError(
        file,
        `${file}: tensor "${name}" is stored externally but names no location.`,
      );
    }
    const offset = Number(entries.get('offset') ?? 0);
    const length = entries.has('length') ? Number(entries.get('length')) : fromShape;
    if (!Number.isFinite(offset) || !Number.isFinite(length) || offset < 0 || length < 0) {
      throw new OnnxFormatError(file, `${file}: tensor "${name}" has a bad external offset/length.`);
    }
    return { name, bytes: length, external: { location, offset, length } };
  }
  return { name, bytes: rawBytes >= 0 ? rawBytes : typedBytes || fromShape, external: null };
}

/**
 * Inputs, outputs, weight sizes and external data needs of an ONNX model file.
 *
 * @example
 * const info = readOnnxInfo(new Uint8Array(await blob.arrayBuffer()), 'onnx/model_q4.onnx');
 * info.inputs.map((i) => i.name); // ['input_ids', 'attention_mask']
 * info.external; // [{ location: 'model_q4.onnx_data', requiredBytes: 1048576, tensors: 12 }]
 */
export function readOnnxInfo(bytes: Uint8Array, file = 'model.onnx'): OnnxInfo {
  if (bytes.length === 0) {
    throw new OnnxFormatError(file, `${file} is empty (0 bytes); download or copy it again.`);
  }
  const r = new Reader(bytes, file);
  const info: OnnxInfo = {
    irVersion: 0,
    opsets: [],
    inputs: [],
    outputs: [],
    initializerCount: 0,
    initializerBytes: 0,
    largestInitializer: null,
    external: [],
  };
  let sawGraph = false;
  const external = new Map<string, OnnxExternalFile>();
  for (const f of r.fields(0, bytes.length)) {
    if (f.no === 1 && f.wire === 0) info.irVersion = f.value;
    else if (f.no === 8 && f.wire === 2) {
      const op = { domain: '', version: 0 };
      for (const o of r.fields(f.start, f.end)) {
        if (o.no === 1 && o.wire === 2) op.domain = r.str(o);
        if (o.no === 2 && o.wire === 0) op.version = o.value;
      }
      info.opsets.push(op);
    } else if (f.no === 7 && f.wire === 2) {
      sawGraph = true;
      const inits: string[] = [];
      for (const g of r.fields(f.start, f.end)) {
        if (g.wire !== 2) continue;
        if (g.no === 11) info.inputs.push(readValueInfo(r, g.start, g.end));
        else if (g.no === 12) info.outputs.push(readValueInfo(r, g.start, g.end));
        else if (g.no === 5) {
          const t = readTensor(r, g.start, g.end, file);
          inits.push(t.name);
          info.initializerCount++;
          info.initializerBytes += t.bytes;
          if (!info.largestInitializer || t.bytes > info.largestInitializer.bytes) {
            info.largestInitializer = { name: t.name, bytes: t.bytes };
          }
          if (t.external) {
            const e = external.get(t.external.location) ?? {
              location: t.external.location,
              requiredBytes: 0,
              tensors: 0,
            };
            e.requiredBytes = Math.max(e.requiredBytes, t.external.offset + t.external.length);
            e.tensors++;
            external.set(e.location, e);
          }
        }
      }
      // Old exporters list initializers among the graph inputs; they are not fed by the caller.
      const initSet = new Set(inits);
      info.inputs = info.inputs.filter((i) => !initSet.has(i.name));
    }
  }
  if (!sawGraph || info.irVersion === 0) {
    throw new OnnxFormatError(
      file,
      `${file} is not an ONNX model (no ${sawGraph ? 'IR version' : 'graph'} found); check that the file is the .onnx, not its external data or an HTML error page.`,
    );
  }
  info.external = [...external.values()];
  return info;
}
