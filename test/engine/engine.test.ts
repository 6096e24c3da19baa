import { statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreSolution } from '../../src/core/pipeline.ts';
import { parseModelSpec } from '../../src/core/spec.ts';
import type { Environment } from '../../src/engine/backend.ts';
import { Engine } from '../../src/engine/engine.ts';
import type { WorkerReply, WorkerRequest } from '../../src/engine/protocol.ts';
import type { ModelFiles } from '../../src/engine/sources/types.ts';
import { tokenizerFromFiles } from '../../src/engine/tokenizer.ts';
import { createOrtRunner } from '../../src/node/ort-node.ts';
import { makeFixtureModels, type FixtureModels } from '../browser/fixtures/models.ts';
import { dirFiles, nodeRuntime, type NodeRuntimeOptions } from './dir-source.ts';

const NO_GPU: Environment = {
  adapter: null,
  noAdapterReason: 'No WebGPU adapter',
  crossOriginIsolated: true,
  hardwareConcurrency: 2,
};
const GPU: Environment = {
  adapter: {
    vendor: 'test',
    architecture: 'fake',
    shaderF16: false,
    maxBufferSize: 2 ** 30,
    maxStorageBufferBindingSize: 2 ** 30,
  },
  crossOriginIsolated: true,
  hardwareConcurrency: 2,
};

const PROBLEM = 'Sue has 2 flamingos and 3 more flamingos. What is the total?';
const STEPS = ['2 + 3 = 5', 'so the total is 5', 'the answer is $ 5 $'];

let fx: FixtureModels;
let reference: number[];

beforeAll(async () => {
  fx = await makeFixtureModels(await mkdtemp(join(tmpdir(), 'prm-engine-node-')));
  // Reference: the core pipeline over onnxruntime-node's CLI runner, no engine code involved.
  const spec = parseModelSpec(await readFile(join(fx.qwen, 'prm.json'), 'utf8'));
  const tok = tokenizerFromFiles(
    await readFile(join(fx.qwen, 'tokenizer.json'), 'utf8'),
    await readFile(join(fx.qwen, 'tokenizer_config.json'), 'utf8'),
  );
  const runner = await createOrtRunner(join(fx.qwen, 'onnx', 'model_q4.onnx'), { threads: 1 });
  reference = (await scoreSolution(spec, tok, runner, PROBLEM, STEPS)).rewards;
  await runner.dispose();
}, 120_000);

afterAll(async () => {
  if (fx) await rm(fx.root, { recursive: true, force: true });
});

/** An engine over a folder source and onnxruntime-node, recording every reply. */
function harness(
  env: Environment,
  runtimeOptions: NodeRuntimeOptions = {},
  wrap: (files: ModelFiles) => ModelFiles = (f) => f,
) {
  const replies: WorkerReply[] = [];
  const runtime = nodeRuntime(runtimeOptions);
  const engine = new Engine({
    runtime,
    probe: async () => env,
    open: async (source) => {
      if (source.kind !== 'bundled') throw new Error('tests open bundled ids as folders');
      return wrap(dirFiles(join(fx.root, source.id)));
    },
    listBundled: async () => [],
    cacheList: async () => [],
    cacheClear: async () => undefined,
    post: (r) => replies.push(r),
  });
  const send = (req: WorkerRequest) => engine.handle(req);
  const of = <S extends WorkerReply['status']>(status: S, requestId?: number) =>
    replies.filter(
      (r): r is Extract<WorkerReply, { status: S }> =>
        r.status === status && (requestId === undefined || ('requestId' in r && r.requestId === requestId)),
    );
  return { engine, runtime, replies, send, of };
}

const load = (
  id: string,
  requestId = 1,
  extra: Partial<Extract<WorkerRequest, { type: 'load' }>> = {},
): WorkerRequest => ({
  type: 'load',
  requestId,
  source: { kind: 'bundled', id },
  ...extra,
});
const score = (
  requestId: number,
  solutions: string[][] = [STEPS],
  extra: Partial<Extract<WorkerRequest, { type: 'score' }>> = {},
): WorkerRequest => ({
  type: 'score',
  requestId,
  problem: PROBLEM,
  solutions,
  ...extra,
});

describe('Engine.handle(load) then handle(score) on onnxruntime-node', () => {
  it('plans, loads on WASM without an adapter, and scores like the core pipeline on onnxruntime-node', async () => {
    const h = harness(NO_GPU);
    await h.send(load('tiny-qwen'));
    const [plan] = h.of('plan', 1);
    expect(plan.plan.backend).toMatchObject({ backend: 'wasm', dtype: 'q4', threads: 2 });
    expect(plan.plan.backend.reason).toMatch(/No WebGPU adapter, so running on WASM/);
    expect(plan.plan.files.map((f) => f.path)).toEqual([
      'prm.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'onnx/model_q4.onnx',
      'onnx/model_q4.onnx_data',
    ]);
    const onDisk = plan.plan.files.reduce((a, f) => a + statSync(join(fx.qwen, f.path)).size, 0);
    expect(plan.plan.totalBytes).toBe(onDisk);
    const [loaded] = h.of('loaded', 1);
    expect(loaded.model.backend.backend).toBe('wasm');
    expect(loaded.model.timings.compileMs).toBeGreaterThanOrEqual(0);
    const progress = h.of('progress', 1).filter((p) => p.phase === 'download');
    expect(progress.at(-1)?.loaded).toBe(progress.at(-1)?.total);

    await h.send(score(2));
    const [scored] = h.of('scored', 2);
    expect(scored.results[0].rewards).toHaveLength(3);
    scored.results[0].rewards.forEach((r, i) => expect(r).toBeCloseTo(reference[i], 6));
    expect(scored.results[0]).toMatchObject({ scoredSteps: 3, totalSteps: 3 });
  });

  it('scores several solutions in one request, each like a single one', async () => {
    const h = harness(NO_GPU);
    await h.send(load('tiny-qwen'));
    await h.send(score(2, [STEPS, STEPS.slice(0, 1), STEPS]));
    const [scored] = h.of('scored', 2);
    expect(scored.results.map((r) => r.rewards.length)).toEqual([3, 1, 3]);
    scored.results[2].rewards.forEach((r, i) => expect(r).toBeCloseTo(reference[i], 5));
    expect(scored.results[1].rewards[0]).toBeCloseTo(reference[0], 5);
  });

  it('a failed load of a bad model keeps the loaded model scoring', async () => {
    const h = harness(NO_GPU);
    await h.send(load('tiny-qwen'));
    await h.send(load('bad-inputs', 2));
    expect(h.of('error', 2)[0]).toMatchObject({ code: 'bad-model' });
    await h.send(score(3));
    h.of('scored', 3)[0].results[0].rewards.forEach((r, i) => expect(r).toBeCloseTo(reference[i], 6));
  });

  it('inspect replies plan only: size, dtype and backend before any weight is read', async () => {
    const h = harness(GPU);
    await h.send({ type: 'inspect', requestId: 4, source: { kind: 'bundled', id: 'tiny-qwen' } });
    expect(h.replies.map((r) => r.status)).toEqual(['plan']);
    expect(h.of('plan', 4)[0].plan.backend).toMatchObject({ backend: 'webgpu', dtype: 'q4' });
    expect(h.runtime.created).toEqual([]);
  });

  it('reports compile and warm-up phases while loading', async () => {
    const h = harness(NO_GPU);
    await h.send(load('tiny-qwen'));
    const phases = [...new Set(h.of('progress', 1).map((p) => p.phase))];
    expect(phases).toEqual(['download', 'compile', 'warmup']);
  });

  it('answers score before load with error not-loaded', async () => {
    const h = harness(NO_GPU);
    await h.send(score(5));
    expect(h.of('error', 5)[0]).toMatchObject({ code: 'not-loaded' });
  });
});

describe('Engine on the asyncify build (no JSPI)', () => {
  /** The fixture with its external data file listed as `bytes` long (nothing reads it first). */
  const sized =
    (bytes: number) =>
    (files: ModelFiles): ModelFiles => ({
      ...files,
      list: async () =>
        (await files.list()).map((f) => (f.path === 'onnx/model_q4.onnx_data' ? { ...f, size: bytes } : f)),
    });

  it('refuses a model over 4 GB before reading its weights, saying its size and the limit', async () => {
    let big = false;
    const h = harness({ ...GPU, ortBuild: 'asyncify' }, {}, (f) => (big ? sized(5 * 2 ** 30)(f) : f));
    await h.send(load('tiny-qwen'));
    big = true;
    await h.send(load('tiny-qwen', 2));
    const [error] = h.of('error', 2);
    expect(error).toMatchObject({ code: 'memory' });
    expect(error.message).toMatch(
      /no WebAssembly JSPI.*this model is 5(\.\d+)? GB, over the 4 GB this page loads/,
    );
    expect(h.of('plan', 2)).toEqual([]);
    expect(h.runtime.created).toHaveLength(1);
    // The model loaded before keeps scoring.
    await h.send(score(3));
    expect(h.of('scored', 3)[0].results[0].rewards).toHaveLength(3);
  });

  it('loads a model between 1 and 4 GB with the warning; the JSPI build has none', async () => {
    const asyncify = harness({ ...GPU, ortBuild: 'asyncify' }, {}, sized(2 * 2 ** 30));
    await asyncify.send({ type: 'inspect', requestId: 1, source: { kind: 'bundled', id: 'tiny-qwen' } });
    expect(asyncify.of('plan', 1)[0].plan.warnings.join('\n')).toMatch(
      /asyncify build .* reads all of a model's weight files into this tab's memory at once/,
    );
    const jspi = harness({ ...GPU, ortBuild: 'jspi' }, {}, sized(2 * 2 ** 30));
    await jspi.send({ type: 'inspect', requestId: 1, source: { kind: 'bundled', id: 'tiny-qwen' } });
    expect(jspi.of('plan', 1)[0].plan.warnings.join('\n')).not.toMatch(/asyncify/);
  });
});

describe('Engine WebGPU -> WASM fallback', () => {
  it('a failed WebGPU run replies backend-changed, reloads on WASM, retries once, and returns the WASM numbers', async () => {
    // Run 1 is the warm-up; run 2 is the score.
    const h = harness(GPU, { failWebgpuRunAt: 2 });
    await h.send(load('tiny-qwen'));
    expect(h.of('loaded', 1)[0].model.backend.backend).toBe('webgpu');
    await h.send(score(2));
    const changed = h.of('backend-changed', 2);
    expect(changed).toHaveLength(1);
    expect(changed[0].backend.backend).toBe('wasm');
    expect(changed[0].reason).toMatch(/WebGPU run failed \(simulated GPU failure\)/);
    const [scored] = h.of('scored', 2);
    scored.results[0].rewards.forEach((r, i) => expect(r).toBeCloseTo(reference[i], 6));
    expect(h.runtime.created.map((c) => c.backend)).toEqual(['webgpu', 'wasm']);
  });

  it('a WebGPU session that cannot be created loads on WASM and says why', async () => {
    const h = harness(GPU, { failWebgpuCreate: true });
    await h.send(load('tiny-qwen'));
    expect(h.of('backend-changed', 1)[0].reason).toMatch(/simulated adapter failure.*WASM/);
    expect(h.of('loaded', 1)[0].model.backend).toMatchObject({ backend: 'wasm', dtype: 'q4' });
  });

  it('a lost GPU device makes the next score reload on WASM first', async () => {
    const h = harness(GPU);
    await h.send(load('tiny-qwen'));
    h.runtime.lose('the GPU device was lost (destroyed)');
    await h.send(score(2));
    expect(h.of('backend-changed', 2)[0].reason).toMatch(/GPU device was lost/);
    expect(h.of('scored', 2)).toHaveLength(1);
  });
});

describe('Engine cancel and context guard', () => {
  it('a cancelled score replies cancelled and never scored', async () => {
    const h = harness(NO_GPU);
    await h.send(load('tiny-qwen'));
    const done = h.send(score(2, [STEPS, STEPS, STEPS]));
    await h.send({ type: 'cancel', requestId: 2 });
    await done;
    expect(h.of('cancelled', 2)).toHaveLength(1);
    expect(h.of('scored', 2)).toHaveLength(0);
  });

  it('a solution longer than the context replies context-overflow with the steps that fit; truncate scores those', async () => {
    const h = harness(NO_GPU);
    await h.send(load('tiny-qwen'));
    const long = Array.from({ length: 30 }, (_, i) => `step ${i % 10} is 1 + 1`);
    await h.send(score(2, [long]));
    const [overflow] = h.of('context-overflow', 2);
    expect(overflow.limit).toBe(fx.contextLength);
    expect(overflow.tokenCount).toBeGreaterThan(fx.contextLength);
    expect(overflow.fittingSteps).toBeGreaterThan(0);
    expect(overflow.fittingSteps).toBeLessThan(30);
    expect(h.of('scored', 2)).toHaveLength(0);

    await h.send(score(3, [long], { truncate: true }));
    const [scored] = h.of('scored', 3);
    expect(scored.results[0]).toMatchObject({ scoredSteps: overflow.fittingSteps, totalSteps: 30 });
    expect(scored.results[0].rewards).toHaveLength(overflow.fittingSteps);
  });

  it('a step containing the step token is a prompt error naming the step', async () => {
    const h = harness(NO_GPU);
    await h.send(load('tiny-qwen'));
    await h.send(score(2, [['1 + 1 = 2 <extra_0>']]));
    expect(h.of('error', 2)[0]).toMatchObject({ code: 'prompt', message: expect.stringMatching(/Step 1/) });
  });
});

describe('Engine.handle(load) of a bad model names the file and the problem', () => {
  it.each([
    { id: 'no-spec', file: /no-spec\/prm\.json$/, message: /prm\.json is missing/ },
    {
      id: 'no-step-token',
      file: /no-step-token\/tokenizer\.json$/,
      message: /no single token for the step token "<extra_0>"/,
    },
    { id: 'bad-inputs', file: /bad-inputs\/onnx\/model\.onnx$/, message: /no input "input_ids"/ },
    {
      id: 'truncated-data',
      file: /truncated-data\/onnx\/model_q4\.onnx_data$/,
      message: /truncated: the graph reads \d+ bytes from it but it has 1000/,
    },
    {
      id: 'truncated-onnx',
      file: /truncated-onnx\/onnx\/model_q4\.onnx$/,
      message: /truncated or not an ONNX model/,
    },
  ])('$id -> bad-model $message', async ({ id, file, message }) => {
    const h = harness(NO_GPU);
    await h.send(load(id));
    const [err] = h.of('error', 1);
    expect(err).toMatchObject({ code: 'bad-model' });
    expect(err.message).toMatch(message);
    expect(err.file).toMatch(file);
    expect(h.of('loaded', 1)).toHaveLength(0);
  });
});
