import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenizerFileError, tokenizerFromFiles, tokenizerFromJSON } from '../../src/engine/tokenizer.ts';
import { makeTinyCheckpoint, type TinyCheckpoint } from '../convert/tiny-checkpoint.ts';

let dir: string;
let ckpt: TinyCheckpoint;
let json: string;
let config: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'prm-tok-'));
  ckpt = await makeTinyCheckpoint({ dir, arch: 'qwen2', head: 'qwen-prm' });
  json = await readFile(join(dir, 'tokenizer.json'), 'utf8');
  config = await readFile(join(dir, 'tokenizer_config.json'), 'utf8');
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('tokenizerFromFiles(tokenizerJson, tokenizerConfigJson, prefix)', () => {
  it.each([
    ['<extra_0>', 'an added special token'],
    ['<|im_start|>', 'a ChatML token'],
    ['flamingos', 'a vocabulary word'],
  ])('tokenId(%s) returns the id of %s', (token) => {
    expect(tokenizerFromFiles(json, config).tokenId(token)).toBe(ckpt.tokenIds[token]);
  });

  it('tokenId() returns undefined for a string that is not one token', () => {
    expect(tokenizerFromFiles(json, config).tokenId('not-a-token')).toBeUndefined();
  });

  it('encode() keeps added tokens whole and adds no special tokens by default', () => {
    const tok = tokenizerFromFiles(json, config);
    expect(tok.encode('2 + 3 = 5<extra_0>')).toEqual(
      ['2', '+', '3', '=', '5', '<extra_0>'].map((t) => ckpt.tokenIds[t]),
    );
  });

  it('encode() says which word has no id when the vocabulary has no unknown token', () => {
    const j = JSON.parse(json);
    j.model = { type: 'WordLevel', vocab: { two: 0, plus: 1 } };
    delete j.model.unk_token;
    const tok = tokenizerFromJSON(j, JSON.parse(config), 'm/tokenizer.json');
    expect(tok.encode('two plus two')).toEqual([0, 1, 0]);
    expect(() => tok.encode('two plus three')).toThrow(TokenizerFileError);
    expect(() => tok.encode('two plus three')).toThrow(
      /m\/tokenizer\.json has no id for "three" and no unknown token/,
    );
  });

  it('applyChatTemplate() renders ChatML without a generation prompt', () => {
    const tok = tokenizerFromFiles(json, config);
    expect(
      tok.applyChatTemplate!([
        { role: 'user', content: '1 + 1' },
        { role: 'assistant', content: '2<extra_0>' },
      ]),
    ).toBe('<|im_start|>user\n1 + 1<|im_end|>\n<|im_start|>assistant\n2<extra_0><|im_end|>\n');
  });

  it('has no applyChatTemplate when tokenizer_config.json has no chat_template', () => {
    const { chat_template: _, ...plain } = JSON.parse(config);
    expect(tokenizerFromJSON(JSON.parse(json), plain).applyChatTemplate).toBeUndefined();
  });

  it.each([
    {
      name: 'tokenizer.json not JSON',
      j: '{oops',
      c: '{}',
      file: 'm/tokenizer.json',
      message: /m\/tokenizer\.json is not valid JSON/,
    },
    {
      name: 'tokenizer_config.json a list',
      j: '{}',
      c: '[]',
      file: 'm/tokenizer_config.json',
      message: /must hold a JSON object, got a list/,
    },
    {
      name: 'no model section',
      j: '{"version":"1.0"}',
      c: '{}',
      file: 'm/tokenizer.json',
      message: /has no "model" section/,
    },
  ])('throws TokenizerFileError naming the file for $name', ({ j, c, file, message }) => {
    let err: unknown;
    try {
      tokenizerFromFiles(j, c, 'm/');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TokenizerFileError);
    expect((err as TokenizerFileError).file).toBe(file);
    expect((err as Error).message).toMatch(message);
  });
});
