import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chooseDtype,
  defaultModelDir,
  loadModelDir,
  ModelDirError,
  packageRoot,
  readModelSpec,
} from '../../src/node/model.ts';
import { loadTokenizerDir } from '../../src/node/tokenizer-files.ts';
import { makeTinyModel, REPO_ROOT, type TinyModel } from '../cli/tiny-model.ts';

let m: TinyModel;
beforeAll(async () => {
  m = await makeTinyModel({ dtypes: ['fp32', 'q4'] });
});
afterAll(() => fs.rmSync(m.root, { recursive: true, force: true }));

/** A copy of the tiny model folder to break in one way. */
function copyModel(name: string): string {
  const dir = path.join(m.root, name);
  fs.cpSync(m.dir, dir, { recursive: true });
  return dir;
}

describe('packageRoot()', () => {
  it('is the folder with package.json, whatever the cwd', () => {
    expect(packageRoot()).toBe(REPO_ROOT);
    expect(fs.existsSync(path.join(packageRoot(), 'package.json'))).toBe(true);
  });
});

describe('defaultModelDir(modelsDir)', () => {
  it('picks the first folder by name that has a prm.json', () => {
    const models = path.join(m.root, 'models');
    fs.mkdirSync(path.join(models, 'a-no-spec'), { recursive: true });
    fs.mkdirSync(path.join(models, 'c-model'), { recursive: true });
    fs.writeFileSync(path.join(models, 'c-model', 'prm.json'), '{}');
    fs.mkdirSync(path.join(models, 'b-model'), { recursive: true });
    fs.writeFileSync(path.join(models, 'b-model', 'prm.json'), '{}');
    expect(defaultModelDir(models)).toBe(path.join(models, 'b-model'));
  });
  it.each([['missing'], ['empty']])('says to pass --model when the models folder is %s', (kind) => {
    const models = path.join(m.root, `models-${kind}`);
    if (kind === 'empty') fs.mkdirSync(models);
    expect(() => defaultModelDir(models)).toThrow(/has no folder with a prm.json\. Pass --model DIR/);
  });
});

describe('chooseDtype(dir, spec, requested)', () => {
  it.each([
    { requested: undefined, want: 'q4' },
    { requested: 'fp32' as const, want: 'fp32' },
    { requested: 'q4' as const, want: 'q4' },
  ])('gives $want for $requested', ({ requested, want }) => {
    expect(chooseDtype(m.dir, readModelSpec(m.dir), requested)).toBe(want);
  });
  it('falls back to fp32 when the q4 file is gone', () => {
    const dir = copyModel('no-q4');
    fs.rmSync(path.join(dir, 'onnx', 'model_q4.onnx'));
    expect(chooseDtype(dir, readModelSpec(dir))).toBe('fp32');
    expect(() => chooseDtype(dir, readModelSpec(dir), 'q4')).toThrow(
      /--dtype q4: .*onnx\/model_q4\.onnx is missing; this folder has: fp32 \(onnx\/model\.onnx\)\. Pass --dtype fp32\./,
    );
  });
  it('names a dtype the model does not list', () => {
    expect(() => chooseDtype(m.dir, readModelSpec(m.dir), 'q4f16')).toThrow(
      /model_q4f16\.onnx is not part of this model .*this folder has: fp32 \(onnx\/model\.onnx\), q4 \(onnx\/model_q4\.onnx\)/,
    );
  });
});

describe('loadModelDir(dir, options)', () => {
  it('loads spec, tokenizer and runner', async () => {
    const loaded = await loadModelDir(m.dir, { dtype: 'fp32', threads: 1 });
    try {
      expect(loaded.spec.name).toBe('tiny-test');
      expect(loaded.dtype).toBe('fp32');
      expect(loaded.file).toBe(path.join(m.dir, 'onnx', 'model.onnx'));
      expect(loaded.tokenizer.tokenId('<extra_0>')).toBe(m.ckpt.stepTokenId);
      const [out] = await loaded.runner.run([[1, 2, 3]]);
      expect(out.seqLen).toBe(3);
      expect(out.logits.length).toBe(6);
    } finally {
      await loaded.dispose();
    }
  });

  it.each([
    {
      name: 'a folder that does not exist',
      make: () => path.join(m.root, 'nope'),
      msg: /Model folder .*nope does not exist; check --model/,
    },
    {
      name: 'a folder without prm.json',
      make: () => {
        const dir = copyModel('no-spec');
        fs.rmSync(path.join(dir, 'prm.json'));
        return dir;
      },
      msg: /no-spec\/prm\.json is missing: .* Make one with 'prm convert'/,
    },
    {
      name: 'a prm.json with a bad field',
      make: () => {
        const dir = copyModel('bad-spec');
        const spec = JSON.parse(fs.readFileSync(path.join(dir, 'prm.json'), 'utf8'));
        fs.writeFileSync(path.join(dir, 'prm.json'), JSON.stringify({ ...spec, family: 'gpt' }));
        return dir;
      },
      msg: /bad-spec\/prm\.json: field "family" must be one of/,
    },
    {
      name: 'a folder without tokenizer.json',
      make: () => {
        const dir = copyModel('no-tok');
        fs.rmSync(path.join(dir, 'tokenizer.json'));
        return dir;
      },
      msg: /no-tok\/tokenizer\.json is missing; a model folder needs tokenizer\.json/,
    },
  ])('refuses $name with a message naming the file', async ({ make, msg }) => {
    await expect(loadModelDir(make())).rejects.toThrow(msg);
  });

  it('refuses a folder with no ONNX file at all', async () => {
    const dir = copyModel('no-onnx');
    fs.rmSync(path.join(dir, 'onnx'), { recursive: true });
    await expect(loadModelDir(dir)).rejects.toThrow(ModelDirError);
    await expect(loadModelDir(dir)).rejects.toThrow(
      /has none of the ONNX files its prm\.json lists \(onnx\/model\.onnx, onnx\/model_q4\.onnx\)/,
    );
  });
});

describe('loadTokenizerDir(dir)', () => {
  it('names a tokenizer.json that is not valid JSON', async () => {
    const dir = copyModel('bad-tok');
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{"model": ');
    expect(() => loadTokenizerDir(dir)).toThrow(/bad-tok\/tokenizer\.json is not valid JSON/);
  });
});
