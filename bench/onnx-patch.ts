/**
 * Benchmark experiments on converted graphs without re-converting: set an integer attribute on
 * every node of one op type (e.g. `accuracy_level` = 4 on MatMulNBits, which lets onnxruntime's
 * CPU kernels quantize activations to int8) and write the variant into a copy of the model
 * folder, so `prm bench --model COPY` measures it against the original.
 *
 *   npx tsx bench/onnx-patch.ts --model models/<name> --out .bench/acc4 --op MatMulNBits \
 *     --attr accuracy_level=4 [--dtype q4]
 *
 * A minimal protobuf rewriter over the few ModelProto fields on the path to the nodes (model 7 =
 * graph, graph 1 = node, node 4 = op_type, node 5 = attribute). It leaves every other byte as it
 * is, does not touch subgraphs, and replaces an attribute only by appending (onnxruntime reads
 * the last one); it is a measuring aid, not a converter.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { modelFileFor } from '../src/core/spec.ts';
import type { Dtype } from '../src/core/types.ts';

function readVarint(b: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let mul = 1;
  for (;;) {
    const byte = b[pos++];
    value += (byte & 0x7f) * mul;
    if (byte < 0x80) return [value, pos];
    mul *= 128;
  }
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 128) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

interface Field {
  no: number;
  wire: number;
  /** Whole field (tag + length + payload). */
  start: number;
  end: number;
  /** Payload of a length-delimited field. */
  dataStart: number;
}

function fields(b: Uint8Array, from: number, to: number): Field[] {
  const out: Field[] = [];
  let pos = from;
  while (pos < to) {
    const start = pos;
    const [tag, p1] = readVarint(b, pos);
    const no = Math.floor(tag / 8);
    const wire = tag & 7;
    pos = p1;
    let dataStart = pos;
    if (wire === 0) pos = readVarint(b, pos)[1];
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const [len, p2] = readVarint(b, pos);
      dataStart = p2;
      pos = p2 + len;
    } else throw new Error(`unsupported protobuf wire type ${wire} at byte ${start}`);
    out.push({ no, wire, start, end: pos, dataStart });
  }
  return out;
}

function lengthField(no: number, payload: Uint8Array): Uint8Array {
  const head = [...varint(no * 8 + 2), ...varint(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** AttributeProto { name, type: INT (2), i }. */
function intAttribute(name: string, value: number): Uint8Array {
  const nameBytes = lengthField(1, new TextEncoder().encode(name));
  return concat([
    nameBytes,
    Uint8Array.from([...varint(3 * 8), ...varint(value)]),
    Uint8Array.from([...varint(20 * 8), 2]),
  ]);
}

/**
 * Returns the model with `name = value` added to every `opType` node of the main graph (a new
 * buffer; the input itself when no node matched), and how many nodes changed.
 *
 * @example
 * const { bytes, count } = setIntAttribute(readFileSync('model_q4.onnx'), 'MatMulNBits', 'accuracy_level', 4);
 */
export function setIntAttribute(
  model: Uint8Array,
  opType: string,
  name: string,
  value: number,
): { bytes: Uint8Array; count: number } {
  let count = 0;
  const attribute = lengthField(5, intAttribute(name, value));
  const parts: Uint8Array[] = [];
  for (const f of fields(model, 0, model.length)) {
    if (f.no !== 7 || f.wire !== 2) {
      parts.push(model.subarray(f.start, f.end));
      continue;
    }
    const graphParts: Uint8Array[] = [];
    for (const g of fields(model, f.dataStart, f.end)) {
      if (g.no !== 1 || g.wire !== 2) {
        graphParts.push(model.subarray(g.start, g.end));
        continue;
      }
      const node = model.subarray(g.dataStart, g.end);
      const op = fields(model, g.dataStart, g.end).find((n) => n.no === 4);
      const isTarget = op && new TextDecoder().decode(model.subarray(op.dataStart, op.end)) === opType;
      if (isTarget) count++;
      graphParts.push(lengthField(1, isTarget ? concat([node, attribute]) : node));
    }
    parts.push(lengthField(7, concat(graphParts)));
  }
  // Untouched models come back as they were (re-encoding would shorten padded length varints).
  return count === 0 ? { bytes: model, count } : { bytes: concat(parts), count };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      out: { type: 'string' },
      op: { type: 'string', default: 'MatMulNBits' },
      attr: { type: 'string', default: 'accuracy_level=4' },
      dtype: { type: 'string', default: 'q4' },
    },
  });
  const m = /^(\w+)=(-?\d+)$/.exec(values.attr!);
  if (!values.model || !values.out || !m) {
    console.error(
      'Usage: npx tsx bench/onnx-patch.ts --model DIR --out DIR [--op MatMulNBits] [--attr accuracy_level=4] [--dtype q4]',
    );
    process.exit(2);
  }
  const out = resolve(values.out);
  cpSync(resolve(values.model), out, { recursive: true });
  const file = join(out, modelFileFor(values.dtype as Dtype));
  const { bytes, count } = setIntAttribute(readFileSync(file), values.op!, m[1], Number(m[2]));
  writeFileSync(file, bytes);
  console.log(`${file}: set ${m[1]}=${m[2]} on ${count} ${values.op} nodes`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  });
}
