import { describe, expect, it } from 'vitest';
import {
  CATALOG,
  estimateQ4Bytes,
  fitEstimate,
  isConvertible,
  largestWeightBytes,
  parseCatalog,
  type DeviceFacts,
} from '../../src/core/catalog.ts';

const byRepo = (repo: string) => CATALOG.find((e) => e.repo === repo)!;

describe('the PRM catalog (src/core/prm-catalog.json)', () => {
  it('lists the models issue 14 names, each citing a source', () => {
    const repos = CATALOG.map((e) => `${e.repo}@${e.revision}`);
    for (const r of [
      'HuggingFaceH4/Qwen2.5-Math-1.5B-Instruct-PRM-0.2@main',
      'plaguss/Qwen2.5-0.5B-Math-Shepherd-PRM-0.2@main',
      'trl-lib/Qwen2-0.5B-Reward-Math-Sheperd@main',
      'Skywork/Skywork-o1-Open-PRM-Qwen-2.5-1.5B@main',
      'Skywork/Skywork-o1-Open-PRM-Qwen-2.5-7B@main',
      'Qwen/Qwen2.5-Math-PRM-7B@main',
      'Qwen/Qwen2.5-Math-7B-PRM800K@main',
      'peiyi9979/math-shepherd-mistral-7b-prm@refs/pr/5',
      'RLHFlow/Llama3.1-8B-PRM-Deepseek-Data@main',
      'Gen-Verse/ReasonFlux-PRM-1.5B@main',
    ])
      expect(repos).toContain(r);
    for (const e of CATALOG) expect(e.sources.length, e.repo).toBeGreaterThan(0);
  });

  it('records the prompt facts of the reference (separator, step token, system prompt)', () => {
    expect(byRepo('HuggingFaceH4/Qwen2.5-Math-1.5B-Instruct-PRM-0.2').prompt.stepSeparator).toBe('\n\n');
    const qwen = byRepo('Qwen/Qwen2.5-Math-PRM-7B');
    expect(qwen.family).toBe('qwen-prm');
    expect(qwen.prompt.stepToken).toBe('<extra_0>');
    expect(qwen.prompt.systemPrompt).toBe(
      'Please reason step by step, and put your final answer within \\boxed{}.',
    );
    expect(byRepo('Skywork/Skywork-o1-Open-PRM-Qwen-2.5-1.5B').checkpoint).toEqual({
      format: 'pytorch',
      bytes: 3.09e9,
    });
    expect(byRepo('peiyi9979/math-shepherd-mistral-7b-prm').prompt.stepToken).toBe(' ки');
  });

  it('offers conversion only where the family is scored and the format confirmed', () => {
    expect(isConvertible(byRepo('Qwen/Qwen2.5-Math-PRM-7B'))).toBe(true);
    expect(isConvertible(byRepo('RLHFlow/Llama3.1-8B-PRM-Deepseek-Data'))).toBe(true);
    expect(isConvertible(byRepo('Gen-Verse/ReasonFlux-PRM-1.5B'))).toBe(false);
  });

  it.each<[string, unknown, RegExp]>([
    ['no list', {}, /no "models" list/],
    [
      'a bad repo',
      { models: [{ ...byRepo('Qwen/Qwen2.5-Math-PRM-7B'), repo: 'nope' }] },
      /row 0 \(nope\): "repo"/,
    ],
    [
      'an unknown family',
      { models: [{ ...byRepo('Qwen/Qwen2.5-Math-PRM-7B'), family: 'magic' }] },
      /"family" is missing or malformed/,
    ],
    ['no sources', { models: [{ ...byRepo('Qwen/Qwen2.5-Math-PRM-7B'), sources: [] }] }, /"sources"/],
    [
      'a duplicate',
      { models: [byRepo('Qwen/Qwen2.5-Math-PRM-7B'), byRepo('Qwen/Qwen2.5-Math-PRM-7B')] },
      /listed twice/,
    ],
  ])('parseCatalog refuses %s', (_what, data, message) => {
    expect(() => parseCatalog(data)).toThrow(message);
  });
});

describe('estimateQ4Bytes / largestWeightBytes', () => {
  it('7B with a 4-bit embedding: 0.56 bytes a parameter; largest weight the 4-bit embedding', () => {
    const e = byRepo('Qwen/Qwen2.5-Math-PRM-7B');
    expect(estimateQ4Bytes(e)).toBe(Math.round(7.6e9 * 0.56));
    expect(largestWeightBytes(e)).toBe(Math.round(152064 * 3584 * 0.56));
  });
  it('1.5B keeps its embedding float32 (4 bytes a value)', () => {
    const e = byRepo('HuggingFaceH4/Qwen2.5-Math-1.5B-Instruct-PRM-0.2');
    expect(largestWeightBytes(e)).toBe(151936 * 1536 * 4);
    expect(estimateQ4Bytes(e)).toBe(Math.round(1.5e9 * 0.56 + 151936 * 1536 * 3.44));
  });
});

describe('fitEstimate(entry, device)', () => {
  const big: DeviceFacts = {
    gpu: { maxBufferSize: 4 * 2 ** 30, maxStorageBufferBindingSize: 4 * 2 ** 30 },
    storage: { quota: 100e9, usage: 1e9 },
  };
  const qwen7 = byRepo('Qwen/Qwen2.5-Math-PRM-7B');
  const h4 = byRepo('HuggingFaceH4/Qwen2.5-Math-1.5B-Instruct-PRM-0.2');

  it('fits a desktop GPU with room on disk', () => {
    expect(fitEstimate(qwen7, big).verdict).toBe('fits');
  });
  it('no: too little free storage, with the numbers', () => {
    const f = fitEstimate(qwen7, { ...big, storage: { quota: 5e9, usage: 2e9 } });
    expect(f.verdict).toBe('no');
    expect(f.reasons[0]).toBe('needs about 4.0 GB of storage; 2.8 GB is free for this site');
  });
  it('tight: under 1.5x headroom', () => {
    expect(fitEstimate(qwen7, { ...big, storage: { quota: 6e9, usage: 0 } }).verdict).toBe('tight');
  });
  it("no: the largest weight exceeds the adapter's buffer limit (spec default 128 MiB binding)", () => {
    const f = fitEstimate(h4, {
      ...big,
      gpu: { maxBufferSize: 2 ** 28, maxStorageBufferBindingSize: 2 ** 27 },
    });
    expect(f.verdict).toBe('no');
    expect(f.reasons[1]).toMatch(/largest weight \(0\.9 GB\) exceeds this GPU's buffer limit \(0\.1 GB\)/);
  });
  it('without WebGPU: a 7B is too big for WASM, a 0.5B is tight', () => {
    expect(fitEstimate(qwen7, { ...big, gpu: null }).verdict).toBe('no');
    expect(
      fitEstimate(byRepo('plaguss/Qwen2.5-0.5B-Math-Shepherd-PRM-0.2'), { ...big, gpu: null }).verdict,
    ).toBe('tight');
  });
  it('a model smaller than the buffer limit fits it even when its largest weight is not listed', () => {
    const small = byRepo('plaguss/Qwen2.5-0.5B-Math-Shepherd-PRM-0.2');
    expect(largestWeightBytes(small)).toBeNull();
    expect(fitEstimate(small, big)).toMatchObject({ verdict: 'fits' });
    const twoGiB = { ...big, gpu: { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 31 } };
    expect(fitEstimate(byRepo('Skywork/Skywork-o1-Open-PRM-Qwen-2.5-7B'), twoGiB).verdict).toBe('unknown');
  });
  it('unknown when the browser does not report storage', () => {
    expect(fitEstimate(qwen7, { ...big, storage: null }).verdict).toBe('unknown');
  });
  it('no for a model whose format is not confirmed', () => {
    expect(fitEstimate(byRepo('Gen-Verse/ReasonFlux-PRM-1.5B'), big)).toMatchObject({
      verdict: 'no',
      reasons: ['its format is not confirmed'],
    });
  });
  it('RLHFlow converts as user-turns with a 4-bit embedding, which fits a 1 GiB buffer', () => {
    const rlhflow = byRepo('RLHFlow/Llama3.1-8B-PRM-Deepseek-Data');
    expect(rlhflow.convertFlags).toEqual(['--family', 'user-turns', '--quantize-embedding']);
    const oneGiB = { ...big, gpu: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 } };
    expect(fitEstimate(rlhflow, oneGiB).verdict).toBe('fits');
  });
});
