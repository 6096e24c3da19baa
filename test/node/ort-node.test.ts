import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as ort from 'onnxruntime-node';
import { DataType, encodeModel, encodedToBytes, type ValueInfoDef } from '../../src/convert/onnx-proto.ts';
import { referenceForward } from '../../src/convert/reference.ts';
import { GraphContractError, padBatch } from '../../src/core/runner.ts';
import { checkGraphContract, createOrtRunner } from '../../src/node/ort-node.ts';
import { makeTinyModel, type TinyModel } from '../cli/tiny-model.ts';

type Meta = ort.InferenceSession.ValueMetadata;
const t = (name: string, type: string, shape: (number | string)[]): Meta =>
  ({ name, isTensor: true, type, shape }) as unknown as Meta;
const ids = t('input_ids', 'int64', ['batch', 'seq']);
const mask = t('attention_mask', 'int64', ['batch', 'seq']);
const logits = t('logits', 'float32', ['batch', 'seq', 2]);

describe('padBatch(batch, padId)', () => {
  it.each([
    { batch: [[5, 6, 7], [8]], pad: 0, ids: [5, 6, 7, 8, 0, 0], mask: [1, 1, 1, 1, 0, 0], maxLen: 3 },
    { batch: [[1], [2, 3]], pad: 9, ids: [1, 9, 2, 3], mask: [1, 0, 1, 1], maxLen: 2 },
    { batch: [[4, 4]], pad: 0, ids: [4, 4], mask: [1, 1], maxLen: 2 },
  ])('right-pads $batch with $pad', ({ batch, pad, ids: wantIds, mask: wantMask, maxLen }) => {
    const got = padBatch(batch, pad);
    expect(Array.from(got.ids, Number)).toEqual(wantIds);
    expect(Array.from(got.mask, Number)).toEqual(wantMask);
    expect(got.maxLen).toBe(maxLen);
  });
});

describe('checkGraphContract(file, inputs, outputs)', () => {
  it('accepts input_ids + attention_mask -> logits [batch, seq, 2]', () => {
    expect(() => checkGraphContract('m.onnx', [ids, mask], [logits])).not.toThrow();
  });
  it.each([
    { name: 'a missing attention_mask', inputs: [ids], outputs: [logits], msg: /no input "attention_mask"/ },
    {
      name: 'int32 ids',
      inputs: [t('input_ids', 'int32', ['b', 's']), mask],
      outputs: [logits],
      msg: /int32, expected int64/,
    },
    {
      name: 'an extra position_ids input',
      inputs: [ids, mask, t('position_ids', 'int64', ['b', 's'])],
      outputs: [logits],
      msg: /does not feed: position_ids/,
    },
    {
      name: 'no logits output',
      inputs: [ids, mask],
      outputs: [t('scores', 'float32', ['b', 's', 2])],
      msg: /no output "logits"/,
    },
    {
      name: 'float16 logits',
      inputs: [ids, mask],
      outputs: [t('logits', 'float16', ['b', 's', 2])],
      msg: /float16, expected float32/,
    },
    {
      name: 'logits with 3 classes',
      inputs: [ids, mask],
      outputs: [t('logits', 'float32', ['b', 's', 3])],
      msg: /expected \[batch, seq, 2\]/,
    },
  ])('refuses $name, naming the file', ({ inputs, outputs, msg }) => {
    expect(() => checkGraphContract('dir/m.onnx', inputs, outputs)).toThrow(GraphContractError);
    expect(() => checkGraphContract('dir/m.onnx', inputs, outputs)).toThrow(msg);
    expect(() => checkGraphContract('dir/m.onnx', inputs, outputs)).toThrow(/dir\/m\.onnx/);
  });
});

describe('createOrtRunner(file)', () => {
  let m: TinyModel;
  beforeAll(async () => {
    m = await makeTinyModel({ dtypes: ['fp32'] });
  });
  afterAll(() => fs.rmSync(m.root, { recursive: true, force: true }));

  const inputs = [
    [1, 5, 9, 12, 3, 7, 30, 31, 2],
    [4, 8],
    [10, 11, 12, 13, 14],
  ];

  it('returns per-item logits [seqLen, 2] equal to the reference forward pass within 1e-4', async () => {
    const runner = await createOrtRunner(path.join(m.dir, 'onnx', 'model.onnx'));
    try {
      const outs = await runner.run(inputs);
      expect(outs.map((o) => o.seqLen)).toEqual(inputs.map((x) => x.length));
      outs.forEach((o, i) => {
        const ref = referenceForward(m.ckpt.cfg, (n) => m.ckpt.weights[n], inputs[i]);
        expect(o.logits.length).toBe(ref.length);
        o.logits.forEach((v, j) => expect(Math.abs(v - ref[j])).toBeLessThan(1e-4));
      });
    } finally {
      await runner.dispose();
    }
  });

  it('gives the same logits in a padded batch as one at a time (right padding)', async () => {
    const runner = await createOrtRunner(path.join(m.dir, 'onnx', 'model.onnx'), { threads: 1 });
    try {
      const batched = await runner.run(inputs);
      const single = await Promise.all(inputs.map(async (x) => (await runner.run([x]))[0]));
      batched.forEach((b, i) =>
        b.logits.forEach((v, j) => expect(Math.abs(v - single[i].logits[j])).toBeLessThan(1e-5)),
      );
    } finally {
      await runner.dispose();
    }
  });

  it('rejects an empty item and runs after dispose', async () => {
    const runner = await createOrtRunner(path.join(m.dir, 'onnx', 'model.onnx'), { threads: 1 });
    await expect(runner.run([[1, 2], []])).rejects.toThrow(/item 1 has no tokens/);
    expect(await runner.run([])).toEqual([]);
    await runner.dispose();
    await expect(runner.run([[1]])).rejects.toThrow(/disposed/);
  });

  it('refuses a real graph that breaks the contract, naming the file', async () => {
    const vi = (
      name: string,
      elemType: ValueInfoDef['elemType'],
      shape: (number | string)[],
    ): ValueInfoDef => ({
      name,
      elemType,
      shape,
    });
    const bytes = encodedToBytes(
      encodeModel({
        irVersion: 8,
        opsets: [{ domain: '', version: 17 }],
        producerName: 'test',
        producerVersion: '0',
        graph: {
          name: 'g',
          nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'] }],
          initializers: [],
          inputs: [vi('x', DataType.FLOAT, ['n'])],
          outputs: [vi('y', DataType.FLOAT, ['n'])],
        },
      }),
    );
    const file = path.join(m.root, 'identity.onnx');
    fs.writeFileSync(file, bytes);
    await expect(createOrtRunner(file)).rejects.toThrow(/identity\.onnx: the graph has no input "input_ids"/);
  });

  it('names the file when onnxruntime cannot open it', async () => {
    const file = path.join(m.root, 'garbage.onnx');
    fs.writeFileSync(file, 'not an onnx file');
    await expect(createOrtRunner(file)).rejects.toThrow(
      /Could not open .*garbage\.onnx with onnxruntime-node/,
    );
  });
});
