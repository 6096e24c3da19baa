import { describe, expect, it } from 'vitest';
import { EngineError } from '../../src/engine/errors.ts';
import { checkLength, readBody } from '../../src/engine/sources/fetch.ts';
import { normaliseEndpoint } from '../../src/engine/sources/hub.ts';
import { localFiles } from '../../src/engine/sources/local.ts';

const file = (name: string, text = 'x') => new File([text], name);

describe('localFiles(files, paths)', () => {
  it('finds the model root under a picked parent folder and reads files by model-relative path', async () => {
    const files = localFiles(
      [file('prm.json', '{}'), file('tokenizer.json'), file('model.onnx', 'abc'), file('notes.txt')],
      [
        'models/demo/prm.json',
        'models/demo/tokenizer.json',
        'models/demo/onnx/model.onnx',
        'models/notes.txt',
      ],
    );
    expect(files.label).toBe('models/demo/');
    expect((await files.list()).map((f) => [f.path, f.size])).toEqual([
      ['prm.json', 2],
      ['tokenizer.json', 1],
      ['onnx/model.onnx', 3],
    ]);
    expect(await (await files.read('onnx/model.onnx')).text()).toBe('abc');
  });

  it.each([
    {
      name: 'no prm.json',
      paths: ['demo/tokenizer.json'],
      code: 'bad-model',
      message: /prm\.json is missing from the picked folder "demo"/,
    },
    {
      name: 'two models side by side',
      paths: ['a/prm.json', 'b/prm.json'],
      code: 'bad-request',
      message: /holds several models \(a\/prm\.json, b\/prm\.json\)/,
    },
    { name: 'an empty folder', paths: [], code: 'bad-request', message: /picked folder is empty/ },
  ])('throws EngineError($code) for $name', ({ paths, code, message }) => {
    const run = () =>
      localFiles(
        paths.map((p) => file(p.split('/').at(-1)!)),
        paths,
      );
    expect(run).toThrow(EngineError);
    expect(run).toThrow(message);
    try {
      run();
    } catch (e) {
      expect((e as EngineError).code).toBe(code);
    }
  });

  it('read(path) of a file not in the folder is a bad-model error naming it', async () => {
    const files = localFiles([file('prm.json')], ['demo/prm.json']);
    await expect(files.read('tokenizer.json')).rejects.toThrow(/demo\/tokenizer\.json is missing/);
  });
});

describe('checkLength(file, got, announced, expected)', () => {
  it.each([
    { got: 10, announced: 10, expected: 10, error: null },
    { got: 10, announced: null, expected: null, error: null },
    { got: 5, announced: 10, expected: 10, error: /x\.onnx is truncated: received 5 of 10 bytes/ },
    {
      got: 5,
      announced: null,
      expected: 10,
      error: /x\.onnx has 5 bytes but the model listing says 10; the file is truncated/,
    },
  ])('checkLength(x.onnx, $got, $announced, $expected)', ({ got, announced, expected, error }) => {
    const run = () => checkLength('x.onnx', got, announced, expected);
    if (error) expect(run).toThrow(error);
    else expect(run).not.toThrow();
  });
});

describe('readBody(res, file, expected, options)', () => {
  it('reports progress and returns the bytes', async () => {
    const seen: number[] = [];
    const blob = await readBody(new Response('hello', { headers: { 'content-length': '5' } }), 'f', 5, {
      onProgress: (n) => seen.push(n),
    });
    expect(await blob.text()).toBe('hello');
    expect(seen.at(-1)).toBe(5);
  });

  it('refuses a body shorter than the listing says', async () => {
    await expect(readBody(new Response('hel'), 'onnx/model.onnx_data', 5)).rejects.toThrow(
      /has 3 bytes but the model listing says 5/,
    );
  });
});

describe('normaliseEndpoint(endpoint)', () => {
  it.each([
    [undefined, 'https://huggingface.co'],
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080'],
  ])('normaliseEndpoint(%s) = %s', (input, expected) => {
    expect(normaliseEndpoint(input)).toBe(expected);
  });

  it.each(['not a url', 'ftp://example.com'])('normaliseEndpoint(%s) throws bad-request', (input) => {
    expect(() => normaliseEndpoint(input)).toThrow(EngineError);
  });
});
