/**
 * The worker's engine on a vLLM server (issue 17), in Node against the stand-in: connecting
 * checks the server and reports a remote backend, scoring goes through the server with the local
 * rewards, a cancel stops a hung request, misconfiguration and a dead server keep their codes,
 * and loading a local model afterwards scores locally again.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreSolution } from '../../src/core/pipeline.ts';
import type { Environment } from '../../src/engine/backend.ts';
import { Engine } from '../../src/engine/engine.ts';
import type { WorkerReply, WorkerRequest } from '../../src/engine/protocol.ts';
import { loadModelDir } from '../../src/node/model.ts';
import { makeTinyModel, type TinyModel } from '../cli/tiny-model.ts';
import { startVllmStandIn, type VllmStandIn } from '../support/vllm-standin.ts';
import { dirFiles, nodeRuntime } from './dir-source.ts';

const ENV: Environment = {
  adapter: null,
  noAdapterReason: 'No WebGPU adapter',
  crossOriginIsolated: true,
  hardwareConcurrency: 2,
};
const PROBLEM = 'Tom has 3 apples and buys 4 more. How many apples does he have?';
const STEPS = ['3 + 4 = 7 apples.', 'The answer is 7.'];
const NAME = 'served-prm';

let m: TinyModel;
let vllm: VllmStandIn;
let reference: number[];

beforeAll(async () => {
  m = await makeTinyModel({ dtypes: ['q4'] });
  vllm = await startVllmStandIn({ modelDir: m.dir, servedName: NAME, dtype: 'q4' });
  const local = await loadModelDir(m.dir, { dtype: 'q4' });
  reference = (await scoreSolution(local.spec, local.tokenizer, local.runner, PROBLEM, STEPS)).rewards;
  await local.dispose();
});
afterAll(async () => {
  await vllm?.close();
  if (m) fs.rmSync(m.root, { recursive: true, force: true });
});

function harness() {
  const replies: WorkerReply[] = [];
  const engine = new Engine({
    runtime: nodeRuntime(),
    probe: async () => ENV,
    open: async () => dirFiles(m.dir),
    listBundled: async () => [],
    cacheList: async () => [],
    cacheClear: async () => undefined,
    post: (r) => replies.push(r),
    origin: 'http://127.0.0.1:4173',
  });
  const of = <S extends WorkerReply['status']>(status: S, requestId: number) =>
    replies.filter(
      (r): r is Extract<WorkerReply, { status: S }> =>
        r.status === status && 'requestId' in r && r.requestId === requestId,
    );
  return { engine, replies, of, send: (req: WorkerRequest) => engine.handle(req) };
}

const connect = (requestId: number, url: string, model = NAME): WorkerRequest => ({
  type: 'load',
  requestId,
  source: { kind: 'vllm', url, model, prompt: { kind: 'bundled', id: 'tiny' } },
});
const score = (requestId: number): WorkerRequest => ({
  type: 'score',
  requestId,
  problem: PROBLEM,
  solutions: [STEPS],
});

describe('Engine on a vLLM server (stand-in)', () => {
  it('connects after a check, reports a remote backend, and scores on the server with the local rewards', async () => {
    const h = harness();
    const calls = vllm.calls.length;
    await h.send(connect(1, `${vllm.url}/`));
    const [loaded] = h.of('loaded', 1);
    expect(loaded.model.backend).toMatchObject({
      backend: 'remote',
      dtype: 'vllm',
      server: { url: vllm.url, model: NAME },
    });
    expect(loaded.model.spec.name).toBe(NAME);
    expect(loaded.model.backend.reason).toMatch(/the problem and steps are sent to it/);
    expect(vllm.calls.length - calls).toBe(1);

    await h.send(score(2));
    const [scored] = h.of('scored', 2);
    expect(scored.results[0].rewards).toEqual(reference);
    expect(vllm.calls.length - calls).toBe(2);

    // A local model chosen afterwards scores here again: nothing more reaches the server.
    await h.send({ type: 'load', requestId: 3, source: { kind: 'bundled', id: 'tiny' } });
    expect(h.of('loaded', 3)[0].model.backend.backend).toBe('wasm');
    await h.send(score(4));
    expect(h.of('scored', 4)[0].results[0].rewards.length).toBe(2);
    expect(vllm.calls.length - calls).toBe(2);
  });

  it('cancels a request the server never answers', async () => {
    const h = harness();
    await h.send(connect(1, vllm.url));
    vllm.hang(1);
    const done = h.send(score(2));
    await new Promise((r) => setTimeout(r, 100));
    await h.send({ type: 'cancel', requestId: 2 });
    await done;
    expect(h.of('cancelled', 2)).toHaveLength(1);
    expect(h.of('scored', 2)).toHaveLength(0);
  });

  it('gives code server for a misconfigured pooler and network for a dead server, with what to do', async () => {
    const wrong = await startVllmStandIn({
      modelDir: m.dir,
      servedName: NAME,
      dtype: 'q4',
      pooler: { use_activation: false },
    });
    const h = harness();
    try {
      await h.send(connect(1, wrong.url));
      const [err] = h.of('error', 1);
      expect(err.code).toBe('server');
      expect(err.message).toMatch(/"use_activation":true to --pooler-config/);
      await h.send(connect(2, vllm.url, 'not-served'));
      expect(h.of('error', 2)[0]).toMatchObject({ code: 'server' });
      expect(h.of('error', 2)[0].message).toMatch(/does not serve a model named "not-served"/);
    } finally {
      await wrong.close();
    }
    const url = wrong.url;
    await h.send(connect(3, url));
    const [dead] = h.of('error', 3);
    expect(dead.code).toBe('network');
    expect(dead.message).toContain(`--allowed-origins '["http://127.0.0.1:4173"]'`);
  }, 30_000);
});
