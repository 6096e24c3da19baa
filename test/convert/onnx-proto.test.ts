import { nodeFileIo } from '../../src/node/file-io.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  attr,
  DataType,
  encodedToBytes,
  encodeModel,
  encodeNode,
  encodeTensor,
  encodeValueInfo,
  writeEncoded,
  type ModelDef,
  type TensorDef,
} from '../../src/convert/onnx-proto.ts';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'prm-proto-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
const ascii = (s: string) => hex(new TextEncoder().encode(s));
const f32 = (xs: number[]) => new Uint8Array(Float32Array.from(xs).buffer);

/** A test-side protobuf reader: top-level fields of a message as [field, value]. */
function fields(b: Uint8Array): [number, bigint | Uint8Array][] {
  const out: [number, bigint | Uint8Array][] = [];
  let i = 0;
  const varint = () => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const x = b[i++];
      v |= BigInt(x & 0x7f) << shift;
      shift += 7n;
      if (!(x & 0x80)) return v;
    }
  };
  while (i < b.length) {
    const tag = Number(varint());
    const wire = tag & 7;
    if (wire === 0) out.push([tag >> 3, varint()]);
    else if (wire === 2) {
      const n = Number(varint());
      out.push([tag >> 3, b.subarray(i, i + n)]);
      i += n;
    } else if (wire === 5) {
      out.push([tag >> 3, b.subarray(i, i + 4)]);
      i += 4;
    } else throw new Error(`wire type ${wire}`);
  }
  return out;
}

describe('encodeTensor(t)', () => {
  it('writes dims, data_type, name and raw_data with the onnx.proto field numbers', () => {
    const bytes = encodedToBytes(
      encodeTensor({ name: 'w', dataType: DataType.FLOAT, dims: [2], raw: f32([1, 2]) }),
    );
    // dims(1)=2, data_type(2)=FLOAT, name(8)="w", raw_data(9)=8 bytes
    expect(hex(bytes)).toBe('08 02 10 01 42 01 77 4a 08 00 00 80 3f 00 00 00 40');
  });

  it('writes external data as location/offset/length entries and data_location EXTERNAL', () => {
    const bytes = encodedToBytes(
      encodeTensor({
        name: 'e',
        dataType: DataType.FLOAT16,
        dims: [3, 4],
        external: { location: 'model.onnx_data', offset: 4096, length: 24 },
      }),
    );
    const f = fields(bytes);
    expect(f.filter(([n]) => n === 1).map(([, v]) => v)).toEqual([3n, 4n]);
    expect(f.find(([n]) => n === 2)?.[1]).toBe(10n);
    const entries = f
      .filter(([n]) => n === 13)
      .map(([, v]) => fields(v as Uint8Array).map(([, s]) => new TextDecoder().decode(s as Uint8Array)));
    expect(entries).toEqual([
      ['location', 'model.onnx_data'],
      ['offset', '4096'],
      ['length', '24'],
    ]);
    expect(f.find(([n]) => n === 14)?.[1]).toBe(1n);
    expect(f.some(([n]) => n === 9)).toBe(false);
  });
});

describe('encodeNode(n)', () => {
  it.each([
    // name(1), i(3) as a 10-byte two's complement varint, type(20) = INT (2)
    ['int -1', attr.int(-1), `0a 04 ${ascii('axis')} 18 ff ff ff ff ff ff ff ff ff 01 a0 01 02`],
    ['int 300', attr.int(300), `0a 04 ${ascii('axis')} 18 ac 02 a0 01 02`],
    // f(2) as fixed32 little-endian, type FLOAT (1)
    ['float 0.5', attr.float(0.5), `0a 04 ${ascii('axis')} 15 00 00 00 3f a0 01 01`],
    // ints(8) unpacked, type INTS (7)
    ['ints [1, 0]', attr.ints([1, 0]), `0a 04 ${ascii('axis')} 40 01 40 00 a0 01 07`],
    // s(4), type STRING (3)
    ['string "ab"', attr.string('ab'), `0a 04 ${ascii('axis')} 22 02 61 62 a0 01 03`],
  ])('encodes a %s attribute', (_label, a, expected) => {
    const f = fields(
      encodedToBytes(encodeNode({ opType: 'X', inputs: [], outputs: [], attributes: { axis: a } })),
    );
    const attribute = f.find(([n]) => n === 5)?.[1] as Uint8Array;
    expect(hex(attribute)).toBe(expected);
  });

  it('keeps empty input names (omitted optional inputs) in position and writes the domain', () => {
    const f = fields(
      encodedToBytes(
        encodeNode({
          opType: 'GroupQueryAttention',
          domain: 'com.microsoft',
          inputs: ['q', '', 'v'],
          outputs: ['o'],
        }),
      ),
    );
    const text = (v: bigint | Uint8Array) => new TextDecoder().decode(v as Uint8Array);
    expect(f.filter(([n]) => n === 1).map(([, v]) => text(v))).toEqual(['q', '', 'v']);
    expect(text(f.find(([n]) => n === 7)![1])).toBe('com.microsoft');
  });
});

describe('encodeValueInfo(v)', () => {
  it('writes symbolic dims as dim_param and fixed dims as dim_value', () => {
    const f = fields(
      encodedToBytes(encodeValueInfo({ name: 'logits', elemType: DataType.FLOAT, shape: ['batch', 2] })),
    );
    const type = fields(f.find(([n]) => n === 2)![1] as Uint8Array);
    const tensorType = fields(type[0][1] as Uint8Array);
    expect(tensorType[0]).toEqual([1, 1n]);
    const dims = fields(tensorType[1][1] as Uint8Array).map(([, d]) => fields(d as Uint8Array)[0]);
    expect(dims[0][0]).toBe(2); // dim_param
    expect(new TextDecoder().decode(dims[0][1] as Uint8Array)).toBe('batch');
    expect(dims[1]).toEqual([1, 2n]); // dim_value
  });
});

/**
 * y = Pad(Mul(Add(LeakyRelu(Transpose(Transpose(x))), c), s)) + 0.5, exercising ints, float,
 * string and tensor attributes, an inline initializer and an external-data initializer.
 */
function testModel(sPart: Pick<TensorDef, 'raw' | 'external'>): ModelDef {
  return {
    irVersion: 8,
    opsets: [{ domain: '', version: 17 }],
    producerName: 'test',
    producerVersion: '0',
    graph: {
      name: 'g',
      nodes: [
        { opType: 'Transpose', inputs: ['x'], outputs: ['t'], attributes: { perm: attr.ints([1, 0]) } },
        { opType: 'Transpose', inputs: ['t'], outputs: ['t2'], attributes: { perm: attr.ints([1, 0]) } },
        { opType: 'LeakyRelu', inputs: ['t2'], outputs: ['l'], attributes: { alpha: attr.float(0.5) } },
        {
          opType: 'Constant',
          inputs: [],
          outputs: ['c'],
          attributes: {
            value: attr.tensor({ name: 'cv', dataType: DataType.FLOAT, dims: [3], raw: f32([1, 2, 3]) }),
          },
        },
        { opType: 'Add', inputs: ['l', 'c'], outputs: ['a'] },
        { opType: 'Mul', inputs: ['a', 's'], outputs: ['m'] },
        {
          opType: 'Pad',
          inputs: ['m', 'pads'],
          outputs: ['p'],
          attributes: { mode: attr.string('constant') },
        },
        {
          opType: 'Constant',
          inputs: [],
          outputs: ['h'],
          attributes: { value_floats: attr.floats([0.5, 0.5, 0.5, 0.5]) },
        },
        { opType: 'Add', inputs: ['p', 'h'], outputs: ['y'] },
      ],
      initializers: [
        {
          name: 'pads',
          dataType: DataType.INT64,
          dims: [4],
          raw: new Uint8Array(BigInt64Array.from([0n, 1n, 0n, 0n]).buffer),
        },
        { name: 's', dataType: DataType.FLOAT, dims: [3], ...sPart },
      ],
      inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['batch', 3] }],
      outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: ['batch', 4] }],
    },
  };
}

const X = [1, -2, 3, -4, 5, 6];
const expectedY = (x: number[]) => {
  const lr = (v: number) => (v >= 0 ? v : 0.5 * v);
  const y: number[] = [];
  for (let r = 0; r < x.length / 3; r++) {
    y.push(0.5);
    for (let j = 0; j < 3; j++) y.push((lr(x[r * 3 + j]) + j + 1) * (j + 2) + 0.5);
  }
  return y;
};

async function run(
  model: Uint8Array | string,
): Promise<{ y: number[]; inputs: readonly string[]; outputs: readonly string[] }> {
  const s = await ort.InferenceSession.create(model as string);
  const r = await s.run({ x: new ort.Tensor('float32', Float32Array.from(X), [2, 3]) });
  const result = { y: Array.from(r.y.data as Float32Array), inputs: s.inputNames, outputs: s.outputNames };
  await s.release();
  return result;
}

describe('encodeModel(m) loaded by onnxruntime-node', () => {
  it('runs a model with inline initializers and every attribute kind', async () => {
    const out = await run(encodedToBytes(encodeModel(testModel({ raw: f32([2, 3, 4]) }))));
    expect(out.inputs).toEqual(['x']);
    expect(out.outputs).toEqual(['y']);
    expect(out.y).toEqual(expectedY(X));
  });

  it('runs a model whose initializer lives in an external data file next to it', async () => {
    const dir = await mkdtemp(join(tmp, 'ext-'));
    await writeFile(join(dir, 'm.onnx_data'), new Uint8Array([...new Uint8Array(64), ...f32([2, 3, 4])]));
    const model = encodeModel(testModel({ external: { location: 'm.onnx_data', offset: 64, length: 12 } }));
    writeEncoded(model, nodeFileIo, join(dir, 'm.onnx'));
    expect((await run(join(dir, 'm.onnx'))).y).toEqual(expectedY(X));
  });
});

describe('writeEncoded(e, io, path)', () => {
  it('copies file-slice parts into the output and equals encodedToBytes', async () => {
    const dataPath = join(tmp, 'slice.bin');
    await writeFile(dataPath, new Uint8Array([9, 9, ...f32([2, 3, 4]), 9]));
    const model = encodeModel(testModel({ raw: { path: dataPath, offset: 2, length: 12 } }));
    const path = join(tmp, 'slice.onnx');
    const written = writeEncoded(model, nodeFileIo, path);
    const bytes = new Uint8Array(await readFile(path));
    expect(written).toBe(bytes.length);
    expect(hex(bytes)).toBe(hex(encodedToBytes(encodeModel(testModel({ raw: f32([2, 3, 4]) })))));
    expect((await run(path)).y).toEqual(expectedY(X));
  });
});
