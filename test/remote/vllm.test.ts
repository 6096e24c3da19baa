import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { singleTokenId } from '../../src/core/families/common.ts';
import { planScore, runPlans, type ScorePlan } from '../../src/core/pipeline.ts';
import { RemoteError, type ServerPrompt } from '../../src/core/vllm.ts';
import { loadModelDir, type LoadedModel } from '../../src/node/model.ts';
import { openServerModel } from '../../src/node/server-model.ts';
import { createVllmRunner, normalizeServerUrl } from '../../src/remote/vllm.ts';
import { makeTinyCheckpoint } from '../convert/tiny-checkpoint.ts';
import { convertCheckpoint } from '../../src/convert/convert.ts';
import { makeTinyModel, type TinyModel } from '../cli/tiny-model.ts';
import { startVllmStandIn, type VllmStandIn, type VllmStandInOptions } from '../support/vllm-standin.ts';

const NAME = 'Qwen/Qwen2.5-Math-PRM-7B';
const PROBLEM = 'Tom has 3 apples and buys 4 more. How many apples does he have?';
const STEPS = ['3 + 4 = 7 apples.', 'He has 7 apples.', 'The answer is 7.'];

let m: TinyModel;
let local: LoadedModel;
let prompt: ServerPrompt;
const servers: VllmStandIn[] = [];

async function standIn(o: Partial<VllmStandInOptions> = {}): Promise<VllmStandIn> {
  const s = await startVllmStandIn({ modelDir: m.dir, servedName: NAME, dtype: 'q4', ...o });
  servers.push(s);
  return s;
}

function plans(problem = PROBLEM, steps = STEPS): ScorePlan[] {
  return [planScore(local.spec, local.tokenizer, problem, steps, false)];
}

const runner = (s: VllmStandIn, extra: Partial<Parameters<typeof createVllmRunner>[0]> = {}) =>
  createVllmRunner({ url: s.url, model: NAME, prompt, backoffMs: 5, ...extra });

beforeAll(async () => {
  m = await makeTinyModel({ dtypes: ['q4'], contextLength: 512 });
  local = await loadModelDir(m.dir, { dtype: 'q4', threads: 1 });
  prompt = {
    family: local.spec.family,
    stepToken: local.spec.step_token,
    stepTokenId: singleTokenId(local.tokenizer, local.spec.step_token),
  };
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await local?.dispose();
  if (m) fs.rmSync(m.root, { recursive: true, force: true });
});

describe('a vLLM server (stand-in) as a scoring runner', () => {
  it('gives exactly the local rewards for the same planned prompts, sending our ids as token_classify', async () => {
    const s = await standIn();
    const p = [...plans(), ...plans('What is 2 + 2?', ['2 + 2 = 4.', 'So 4.'])];
    const remote = await runPlans(runner(s), p, 0.5);
    const here = await runPlans(local.runner, p, 0.5);
    expect(remote.map((r) => r.rewards)).toEqual(here.map((r) => r.rewards));
    expect(remote.map((r) => r.firstError)).toEqual(here.map((r) => r.firstError));
    expect(s.calls).toHaveLength(1);
    expect(s.calls[0]).toMatchObject({
      model: NAME,
      task: 'token_classify',
      input: p.map((x) => x.inputIds),
    });
  });

  it('checks the server first: model name, then a probe whose rows must match the steps', async () => {
    const s = await standIn();
    const served = await openServerModel({ url: `${s.url}/v1/`, model: NAME, promptDir: m.dir });
    expect(served.dtype).toBe('vllm');
    expect(s.paths.slice(0, 2)).toEqual(['/v1/models', '/pooling']);
    await expect(openServerModel({ url: s.url, model: 'other', promptDir: m.dir })).rejects.toThrow(
      /does not serve a model named "other"; it serves "Qwen\/Qwen2.5-Math-PRM-7B"/,
    );
  });

  it('names the --pooler-config step_tag_id when the server pools at another step tag or at every token', async () => {
    const wrongTag = await standIn({ pooler: { step_tag_id: prompt.stepTokenId + 1 } });
    const e = await runPlans(runner(wrongTag), plans(), 0.5).catch((x) => x);
    expect(e).toBeInstanceOf(RemoteError);
    expect(e.code).toBe('config');
    expect(e.message).toMatch(/rows for 3 steps: the server's step_tag_id is not our step token/);
    expect(e.message).toContain(
      `--pooler-config '{"pooling_type":"STEP","step_tag_id":${prompt.stepTokenId}}'`,
    );

    const everyToken = await standIn({ pooler: { step_tag_id: null } });
    await expect(runPlans(runner(everyToken), plans(), 0.5)).rejects.toThrow(
      /one row per token .* step_tag_id is not set/,
    );
    const all = await standIn({ pooler: { pooling_type: 'ALL' } });
    await expect(runPlans(runner(all), plans(), 0.5)).rejects.toThrow(/one row per token/);
  });

  it('says the activation is off (use_activation) when rows are raw logits', async () => {
    const s = await standIn({ pooler: { use_activation: false } });
    await expect(runPlans(runner(s), plans(), 0.5)).rejects.toThrow(
      /raw scores, not probabilities.*"use_activation":true to --pooler-config/,
    );
  });

  it('refuses a non-PRM setup: one vector per prompt (LAST), one score per step, a whole vocabulary', async () => {
    const last = await standIn({ pooler: { pooling_type: 'LAST' } });
    await expect(runPlans(runner(last), plans(), 0.5)).rejects.toThrow(/one vector of 2 numbers.*not STEP/);
    const single = await standIn({ headWidth: 1 });
    await expect(runPlans(runner(single), plans(), 0.5)).rejects.toThrow(
      /one number per step: a single-label head/,
    );
    const vocab = await standIn({ lmVocab: { size: 40, bad: 3, good: 5 } });
    await expect(runPlans(runner(vocab), plans(), 0.5)).rejects.toThrow(/40 numbers per step/);
  });

  it('reads HTTP 400/404 error bodies, retries a 500 with backoff, gives up after the retries', async () => {
    const s = await standIn();
    s.fail(1, 400, "This model's maximum context length is 512 tokens. However, you requested 900 tokens.");
    await expect(runPlans(runner(s), plans(), 0.5)).rejects.toThrow(
      /answered 400: This model's maximum context length is 512 tokens.*--max-model-len/,
    );
    const foreign = [{ ...plans()[0], inputIds: [...plans()[0].inputIds, 10 ** 6] }];
    await expect(runPlans(runner(s), foreign, 0.5)).rejects.toThrow(
      /answered 400: Token id 1000000 is out of vocabulary\. The server's model has another tokenizer/,
    );
    const wrongName = createVllmRunner({ url: s.url, model: 'nope', prompt, backoffMs: 5 });
    await expect(runPlans(wrongName, plans(), 0.5)).rejects.toThrow(/404: The model `nope` does not exist/);

    const retries: number[] = [];
    s.fail(2, 500);
    const ok = await runPlans(runner(s, { onRetry: (r) => retries.push(r.waitMs) }), plans(), 0.5);
    expect(ok[0].rewards).toHaveLength(3);
    expect(retries).toEqual([5, 10]);

    s.fail(3, 503);
    const e = await runPlans(runner(s, { retries: 2 }), plans(), 0.5).catch((x) => x);
    expect(e).toMatchObject({ code: 'http', status: 503 });
    expect(e.message).toMatch(/answered 503.*gave up after 3 tries/);
  });

  it('times out a hung request and retries it; a closed connection is retried too', async () => {
    const s = await standIn();
    s.hang(1);
    s.drop(1);
    const seen: string[] = [];
    const r = await runPlans(
      runner(s, { timeoutMs: 300, onRetry: (x) => seen.push(x.error.code) }),
      plans(),
      0.5,
    );
    expect(r[0].rewards).toHaveLength(3);
    expect(seen).toEqual(['timeout', 'unreachable']);
    s.hang(1);
    await expect(runPlans(runner(s, { timeoutMs: 200, retries: 0 }), plans(), 0.5)).rejects.toThrow(
      /did not answer within 200 ms/,
    );
  });

  it('stops at once when cancelled, and says so', async () => {
    const s = await standIn();
    s.hang(1);
    const ac = new AbortController();
    const p = runPlans(runner(s, { signal: ac.signal }), plans(), 0.5);
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('says what to do when nothing listens at the URL, with the CORS flag when a page origin is given', async () => {
    const s = await standIn();
    const url = s.url;
    await s.close();
    servers.splice(servers.indexOf(s), 1);
    const e = await runPlans(
      createVllmRunner({ url, model: NAME, prompt, retries: 0, origin: 'http://127.0.0.1:4173' }),
      plans(),
      0.5,
    ).catch((x) => x);
    expect(e.code).toBe('unreachable');
    expect(e.message).toContain(`Could not reach the vLLM server at ${url}`);
    expect(e.message).toContain(`--allowed-origins '["http://127.0.0.1:4173"]'`);
  });

  it('normalizes pasted URLs and refuses what is not one', () => {
    expect(normalizeServerUrl(' http://127.0.0.1:8000/v1/ ')).toBe('http://127.0.0.1:8000');
    expect(normalizeServerUrl('https://h.example/vllm/pooling')).toBe('https://h.example/vllm');
    expect(() => normalizeServerUrl('127.0.0.1:8000')).toThrow(/must start with http|not a URL/);
    expect(() => normalizeServerUrl('ftp://x')).toThrow(/must start with http:\/\/ or https:\/\//);
  });
});

describe('Math-Shepherd style (token-pair) over STEP pooling with returned_token_ids', () => {
  let dir: string;
  let root: string;
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(m.root, 'shepherd-'));
    const ckpt = await makeTinyCheckpoint({
      dir: path.join(root, 'ckpt'),
      arch: 'llama',
      head: 'token-pair',
      hidden: 64,
      heads: 4,
      kvHeads: 2,
      layers: 1,
      seed: 3,
    });
    dir = path.join(root, 'model');
    await convertCheckpoint({
      checkpointDir: ckpt.dir,
      outDir: dir,
      name: 'tiny-shepherd',
      dtypes: ['fp32'],
      contextLength: 512,
    });
  });

  it('gives the local rewards when returned_token_ids are [bad, good], and names them when missing', async () => {
    const shepherd = await loadModelDir(dir, { dtype: 'fp32', threads: 1 });
    try {
      const p = [planScore(shepherd.spec, shepherd.tokenizer, PROBLEM, STEPS, false)];
      const sp: ServerPrompt = {
        family: 'token-pair',
        stepToken: shepherd.spec.step_token,
        stepTokenId: singleTokenId(shepherd.tokenizer, shepherd.spec.step_token),
      };
      const vocab = { size: 50, bad: 7, good: 9 };
      const good = await startVllmStandIn({
        modelDir: dir,
        servedName: 'shepherd',
        lmVocab: vocab,
        pooler: { returned_token_ids: [vocab.bad, vocab.good] },
      });
      const missing = await startVllmStandIn({ modelDir: dir, servedName: 'shepherd', lmVocab: vocab });
      servers.push(good, missing);
      const r = await runPlans(createVllmRunner({ url: good.url, model: 'shepherd', prompt: sp }), p, 0.5);
      expect(r[0].rewards).toEqual((await runPlans(shepherd.runner, p, 0.5))[0].rewards);
      const e = await runPlans(
        createVllmRunner({ url: missing.url, model: 'shepherd', prompt: sp }),
        p,
        0.5,
      ).catch((x) => x);
      expect(e.message).toMatch(
        /50 numbers per step: the whole vocabulary, because returned_token_ids is not set/,
      );
      expect(e.message).toContain(`"step_tag_id":${sp.stepTokenId},"returned_token_ids":[BAD_ID,GOOD_ID]`);
    } finally {
      await shepherd.dispose();
    }
  });
});
