import { describe, expect, it } from 'vitest';
import {
  classifyRepoFiles,
  hubEndpoint,
  HubRefError,
  hubResolveUrl,
  hubTreeUrl,
  parseHubRef,
} from '../../src/core/hub-ref.ts';

describe('parseHubRef(text)', () => {
  it.each<[string, { repo: string; revision: string }]>([
    ['Qwen/Qwen2.5-Math-PRM-7B', { repo: 'Qwen/Qwen2.5-Math-PRM-7B', revision: 'main' }],
    [
      'peiyi9979/math-shepherd-mistral-7b-prm@refs/pr/5',
      { repo: 'peiyi9979/math-shepherd-mistral-7b-prm', revision: 'refs/pr/5' },
    ],
    ['a/b@0123abc', { repo: 'a/b', revision: '0123abc' }],
  ])('%s', (text, want) => {
    expect(parseHubRef(text)).toEqual(want);
  });

  it.each([
    ['Qwen', /"Qwen" is not a Hub repo id/],
    ['a/b/c', /"a\/b\/c" is not a Hub repo id/],
    ['a/b@', /"" is not a revision/],
    ['a/b@x/../y', /is not a revision/],
  ])('refuses %s', (text, message) => {
    expect(() => parseHubRef(text)).toThrow(HubRefError);
    expect(() => parseHubRef(text)).toThrow(message);
  });
});

describe('hubEndpoint(flag, env)', () => {
  it('takes the flag, else HF_ENDPOINT, else the Hub; drops trailing slashes', () => {
    expect(hubEndpoint('http://127.0.0.1:9/', { HF_ENDPOINT: 'https://mirror' })).toBe('http://127.0.0.1:9');
    expect(hubEndpoint(undefined, { HF_ENDPOINT: 'https://hf-mirror.com/' })).toBe('https://hf-mirror.com');
    expect(hubEndpoint(undefined, {})).toBe('https://huggingface.co');
  });
  it.each(['not a url', 'ftp://example.com'])('refuses %s', (e) => {
    expect(() => hubEndpoint(e)).toThrow(HubRefError);
  });
});

describe('Hub URLs', () => {
  it('percent-encode the revision whole and each path part', () => {
    expect(hubResolveUrl('https://h', 'o/n', 'refs/pr/5', 'a b/c.json')).toBe(
      'https://h/o/n/resolve/refs%2Fpr%2F5/a%20b/c.json',
    );
    expect(hubTreeUrl('https://h', 'o/n', 'main', false)).toBe('https://h/api/models/o/n/tree/main');
  });
});

describe('classifyRepoFiles(paths)', () => {
  it.each<[string[], string]>([
    [['prm.json', 'config.json', 'onnx/model_q4.onnx'], 'converted'],
    [['config.json', 'model-00001-of-00004.safetensors', 'model.safetensors.index.json'], 'checkpoint'],
    [['config.json', 'pytorch_model.bin', 'tokenizer.json'], 'checkpoint'],
    [['config.json', 'training_args.bin'], 'unknown'],
    [['README.md'], 'unknown'],
  ])('%j -> %s', (paths, kind) => {
    expect(classifyRepoFiles(paths)).toBe(kind);
  });
});
