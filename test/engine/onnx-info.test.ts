import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataType, encodedToBytes, encodeModel } from '../../src/convert/onnx-proto.ts';
import { checkExternalData, checkGraphContract, checkSessionNames } from '../../src/engine/contract.ts';
import { OnnxFormatError, readOnnxInfo } from '../../src/engine/onnx-info.ts';
import { makeFixtureModels, type FixtureModels } from '../browser/fixtures/models.ts';

let fx: FixtureModels;
beforeAll(async () => {
  fx = await makeFixtureModels(await mkdtemp(join(tmpdir(), 'prm-onnx-info-')));
}, 60_000);
afterAll(async () => {
  if (fx) await rm(fx.root, { recursive: true, force: true });
});

function tinyModel(
  over: {
    inputs?: string[];
    output?: string;
    outType?: number;
    outShape?: (number | string)[];
    external?: boolean;
  } = {},
): Uint8Array {
  const inputs = over.inputs ?? ['input_ids', 'attention_mask'];
  return encodedToBytes(
    encodeModel({
      irVersion: 8,
      opsets: [{ domain: '', version: 17 }],
      producerName: 't',
      producerVersion: '0',
      graph: {
        name: 'g',
        nodes: [],
        initializers: [
          { name: 'w', dataType: DataType.FLOAT, dims: [3, 4], raw: new Uint8Array(48) },
          ...(over.external
            ? [
                {
                  name: 'big',
                  dataType: DataType.FLOAT,
                  dims: [100, 10],
                  external: { location: 'model.onnx_data', offset: 64, length: 4000 },
                },
              ]
            : []),
        ],
        inputs: inputs.map((name) => ({ name, elemType: DataType.INT64, shape: ['batch', 'seq'] })),
        outputs: [
          {
            name: over.output ?? 'logits',
            elemType: (over.outType ?? DataType.FLOAT) as 1,
            shape: over.outShape ?? ['batch', 'seq', 2],
          },
        ],
      },
    }),
  );
}

describe('readOnnxInfo(bytes, file)', () => {
  it('reads a converted model: inputs, outputs, external data needs and the largest weight', async () => {
    const bytes = new Uint8Array(await readFile(join(fx.qwen, 'onnx', 'model.onnx')));
    const info = readOnnxInfo(bytes, 'onnx/model.onnx');
    expect(info.inputs.map((i) => [i.name, i.elemType, i.dims?.length])).toEqual([
      ['input_ids', 'int64', 2],
      ['attention_mask', 'int64', 2],
    ]);
    expect(info.outputs.map((o) => [o.name, o.elemType, o.dims?.length, o.dims?.[2]])).toEqual([
      ['logits', 'float32', 3, 2],
    ]);
    expect(info.irVersion).toBeGreaterThan(0);
    const dataSize = (await stat(join(fx.qwen, 'onnx', 'model.onnx_data'))).size;
    expect(info.external).toEqual([
      { location: 'model.onnx_data', requiredBytes: expect.any(Number), tensors: expect.any(Number) },
    ]);
    expect(info.external[0].requiredBytes).toBeLessThanOrEqual(dataSize);
    expect(info.external[0].requiredBytes).toBeGreaterThan(dataSize - 4096);
    // The MLP projections are the largest weights of the tiny model: hidden 64 x intermediate 128 floats
    // (the embedding is 96 x 64).
    expect(info.largestInitializer).toEqual({
      name: 'model.layers.0.mlp.gate_proj.weight_T',
      bytes: 64 * 128 * 4,
    });
  });

  it('reads inline and external initializers of a hand-built graph', () => {
    const info = readOnnxInfo(tinyModel({ external: true }));
    expect(info.initializerCount).toBe(2);
    expect(info.initializerBytes).toBe(48 + 4000);
    expect(info.external).toEqual([{ location: 'model.onnx_data', requiredBytes: 4064, tensors: 1 }]);
  });

  it.each([
    { name: 'empty', bytes: new Uint8Array(0), message: /is empty \(0 bytes\)/ },
    {
      name: 'cut in half',
      bytes: tinyModel().subarray(0, 40),
      message: /truncated or not an ONNX model: a \d+-byte field runs past the end/,
    },
    {
      name: 'JSON text',
      bytes: new TextEncoder().encode('{"error":"Not Found"}'),
      message: /truncated or not an ONNX model|not an ONNX model/,
    },
  ])('throws OnnxFormatError naming the file for $name', ({ bytes, message }) => {
    expect(() => readOnnxInfo(bytes, 'onnx/model_q4.onnx')).toThrow(OnnxFormatError);
    expect(() => readOnnxInfo(bytes, 'onnx/model_q4.onnx')).toThrow(message);
    expect(() => readOnnxInfo(bytes, 'onnx/model_q4.onnx')).toThrow(/^onnx\/model_q4\.onnx /);
  });
});

describe('checkGraphContract(info, file)', () => {
  it.each([
    { name: 'the contract', model: tinyModel(), error: null },
    {
      name: 'input ids renamed',
      model: tinyModel({ inputs: ['ids', 'attention_mask'] }),
      error:
        /m\.onnx: the graph has no input "input_ids" \(inputs: ids \(int64 \[batch, seq\]\), attention_mask/,
    },
    {
      name: 'a KV cache input',
      model: tinyModel({ inputs: ['input_ids', 'attention_mask', 'past_key_values.0.key'] }),
      error: /inputs the engine does not feed: past_key_values\.0\.key/,
    },
    {
      name: 'no logits',
      model: tinyModel({ output: 'scores' }),
      error: /no output "logits" \(outputs: scores/,
    },
    {
      name: 'fp16 logits',
      model: tinyModel({ outType: DataType.FLOAT16 }),
      error: /"logits" is float16, expected float32/,
    },
    {
      name: 'three classes',
      model: tinyModel({ outShape: ['batch', 'seq', 3] }),
      error: /shape \[batch, seq, 3\], expected \[batch, seq, 2\]/,
    },
  ])('$name', ({ model, error }) => {
    const run = () => checkGraphContract(readOnnxInfo(model, 'm.onnx'), 'm.onnx');
    if (error) expect(run).toThrow(error);
    else expect(run).not.toThrow();
  });

  it('checkSessionNames(inputNames, outputNames, file) applies the same rule to session names', () => {
    expect(() => checkSessionNames(['input_ids', 'attention_mask'], ['logits'], 'm.onnx')).not.toThrow();
    expect(() => checkSessionNames(['input_ids'], ['logits'], 'm.onnx')).toThrow(/no input "attention_mask"/);
  });
});

describe('checkExternalData(external, modelFile, sizeOf)', () => {
  const ext = [{ location: 'model.onnx_data', requiredBytes: 4064, tensors: 3 }];
  it.each([
    { name: 'a complete file', size: 4064, error: null },
    {
      name: 'a truncated file',
      size: 1000,
      error: /onnx\/model\.onnx_data is truncated: the graph reads 4064 bytes from it but it has 1000/,
    },
    {
      name: 'a missing file',
      size: undefined,
      error: /stores 3 weights in "model\.onnx_data", but the model has no file onnx\/model\.onnx_data/,
    },
  ])('$name', ({ size, error }) => {
    const run = () => checkExternalData(ext, 'onnx/model.onnx', () => size);
    if (error) expect(run).toThrow(error);
    else expect(run).not.toThrow();
  });
});
