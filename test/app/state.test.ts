// AppState (a runes class in a .svelte.ts file) driven outside any component, with an engine
// client over a scripted fake worker. The fake's rewards are fixtures for the state logic,
// not model output: model numbers are checked in test/browser/app.browser.test.ts against the CLI.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXAMPLES } from '../../src/app/lib/examples.ts';
import { describe, expect, it } from 'vitest';
import { AppState } from '../../src/app/state.svelte.ts';
import { EngineState, type EngineClientLike, type Probe } from '../../src/app/engine.svelte.ts';
import { shareFragment, draftFromFragment } from '../../src/app/lib/share.ts';
import type { LoadedModel, WorkerReply, WorkerRequest } from '../../src/engine/protocol.ts';
import type { ModelSpec } from '../../src/core/types.ts';

const spec: ModelSpec = {
  format: 'prm-playground/1',
  name: 'fixture-prm',
  family: 'qwen-prm',
  architecture: 'qwen2',
  step_separator: '<extra_0>',
  step_token: '<extra_0>',
  step_joiner: '',
  system_prompt: null,
  default_threshold: 0.4,
  context_length: 64,
  dtypes: ['q4'],
};

const model: LoadedModel = {
  spec,
  bytes: 1234,
  label: 'models/fixture/',
  warnings: [],
  timings: { loadMs: 1, compileMs: 1, warmupMs: 1 },
  backend: {
    backend: 'wasm',
    dtype: 'q4',
    reason: 'no WebGPU adapter',
    threads: 1,
    crossOriginIsolated: false,
  },
};

type Script = (req: WorkerRequest, reply: (r: WorkerReply) => void) => void;

/**
 * An engine client (the `EngineClientLike` surface of src/engine/client.ts) whose worker is
 * `script`: requests go to the script, replies come back asynchronously and settle requests as
 * the real client does (progress and plan to hooks, error rejects with the engine's code).
 */
function fakeClient(script: Script) {
  const sent: WorkerRequest[] = [];
  let next = 1;
  const pending = new Map<
    number,
    {
      final: string[];
      hooks: Record<string, (x: never) => void>;
      resolve(r: WorkerReply): void;
      reject(e: Error): void;
    }
  >();
  const post = (req: WorkerRequest) => {
    sent.push(req);
    script(req, (r) =>
      queueMicrotask(() => {
        const id = 'requestId' in r ? r.requestId : undefined;
        const p = id === undefined ? undefined : pending.get(id);
        if (!p) return;
        if (r.status === 'progress') p.hooks.onProgress?.(r as never);
        else if (r.status === 'plan') p.hooks.onPlan?.(r.plan as never);
        else if (r.status === 'error') {
          pending.delete(id!);
          p.reject(Object.assign(new Error(r.message), { code: r.code }));
        } else if (p.final.includes(r.status)) {
          pending.delete(id!);
          p.resolve(r);
        }
      }),
    );
  };
  function request<T>(msg: Record<string, unknown>, final: string[], hooks: Record<string, unknown> = {}) {
    const requestId = next++;
    const result = new Promise<T>((resolve, reject) =>
      pending.set(requestId, {
        final,
        hooks: hooks as never,
        resolve: resolve as (r: WorkerReply) => void,
        reject,
      }),
    );
    post({ ...msg, requestId } as WorkerRequest);
    return { result, cancel: () => post({ type: 'cancel', requestId }) };
  }
  const client: EngineClientLike = {
    onBackendChanged: null,
    probe: () => request<Probe>({ type: 'probe' }, ['probed']).result,
    listBundled: async () =>
      (
        await request<Extract<WorkerReply, { status: 'bundled' }>>({ type: 'list-bundled' }, ['bundled'])
          .result
      ).models,
    load: (source, { onPlan, onProgress, ...rest }) => {
      const run = request<WorkerReply>({ type: 'load', source, ...rest }, ['loaded', 'cancelled'], {
        onPlan,
        onProgress,
      });
      return { ...run, result: run.result.then((r) => (r.status === 'loaded' ? r.model : null)) };
    },
    score: (problem, solutions, { onProgress, ...rest }) =>
      request({ type: 'score', problem, solutions, ...rest }, ['scored', 'context-overflow', 'cancelled'], {
        onProgress,
      }),
  };
  return { client, sent };
}

/** Step i of every solution scores REWARDS[i]. */
const REWARDS = [0.9, 0.3, 0.6, 0.2];

const standard: Script = (req, reply) => {
  if (req.type === 'probe') {
    reply({
      status: 'probed',
      requestId: req.requestId,
      webgpu: false,
      shaderF16: false,
      crossOriginIsolated: true,
      threads: 4,
      reason: 'no adapter',
    });
  } else if (req.type === 'list-bundled') {
    reply({
      status: 'bundled',
      requestId: req.requestId,
      models: [{ id: 'fixture', name: 'fixture-prm', bytes: 1234, dtypes: ['q4'] }],
    });
  } else if (req.type === 'load') {
    reply({
      status: 'progress',
      requestId: req.requestId,
      phase: 'download',
      file: 'onnx/model_q4.onnx',
      loaded: 1,
      total: 2,
    });
    reply({ status: 'loaded', requestId: req.requestId, model });
  } else if (req.type === 'score') {
    const results = req.solutions.map((steps) => {
      const rewards = steps.map((_, i) => REWARDS[i % REWARDS.length]);
      return { rewards, firstError: -1, tokenCount: 10, scoredSteps: steps.length, totalSteps: steps.length };
    });
    reply({ status: 'scored', requestId: req.requestId, results, threshold: 0.4, runMs: 7 });
  }
};

async function setup(script: Script = standard) {
  const { client, sent } = fakeClient(script);
  const app = new AppState(new EngineState(client));
  await app.engine.init();
  return { app, worker: { sent } };
}

describe('EngineState.load before init() has finished', () => {
  it('waits for the bundled list instead of saying no model is chosen', async () => {
    let releaseList: () => void = () => {};
    const slowList: Script = (req, reply) => {
      if (req.type === 'list-bundled') releaseList = () => standard(req, reply);
      else standard(req, reply);
    };
    const { client, sent } = fakeClient(slowList);
    const engine = new EngineState(client);
    void engine.init();
    const loading = engine.load();
    await new Promise((r) => setTimeout(r, 10));
    expect(sent.some((m) => m.type === 'load')).toBe(false);
    releaseList();
    await expect(loading).resolves.toMatchObject({ label: 'models/fixture/' });
    expect(sent.find((m) => m.type === 'load')).toMatchObject({ source: { kind: 'bundled', id: 'fixture' } });
  });
});

describe('EngineState.load when the choice changes while a model loads', () => {
  it('loads the newly chosen model, not the one it was loading', async () => {
    let releaseFirst: () => void = () => {};
    const loads: WorkerRequest[] = [];
    const slowFirst: Script = (req, reply) => {
      if (req.type === 'load') loads.push(req);
      if (req.type === 'load' && loads.length === 1) releaseFirst = () => standard(req, reply);
      else standard(req, reply);
    };
    const { client } = fakeClient(slowFirst);
    const engine = new EngineState(client);
    await engine.init();
    const first = engine.load();
    await new Promise((r) => setTimeout(r, 10));
    const other = { kind: 'hub', repo: 'owner/other', revision: 'main' } as const;
    engine.choose(other);
    const second = engine.load();
    releaseFirst();
    await Promise.all([first, second]);
    expect(loads.map((l) => (l.type === 'load' ? l.source : null))).toEqual([
      { kind: 'bundled', id: 'fixture' },
      other,
    ]);
    expect(engine.model).not.toBeNull();
  });
});

describe('AppState segmentation', () => {
  it('segments each solution live, and reports what auto picked', async () => {
    const { app } = await setup();
    app.setSolution(0, 'a = 1\n\nb = 2\n\nc = 3');
    expect(app.stepTexts).toEqual([['a = 1', 'b = 2', 'c = 3']]);
    expect(app.detected).toEqual(['paragraphs']);
    app.setStrategy('lines');
    expect(app.stepTexts[0]).toEqual(['a = 1', 'b = 2', 'c = 3']);
  });

  it('splitAt(index, offset) cuts the step under the caret; mergeWithNext and undo edit boundaries', async () => {
    const { app } = await setup();
    app.setSolution(0, 'x = 2. y = 3.\n\nz = 5.');
    app.splitAt(0, 7);
    expect(app.stepTexts[0]).toEqual(['x = 2.', 'y = 3.', 'z = 5.']);
    app.mergeWithNext(0, 1);
    expect(app.stepTexts[0]).toEqual(['x = 2.', 'y = 3.\n\nz = 5.']);
    app.undo(0);
    expect(app.stepTexts[0]).toEqual(['x = 2.', 'y = 3.', 'z = 5.']);
    app.undo(0);
    expect(app.stepTexts[0]).toEqual(['x = 2. y = 3.', 'z = 5.']);
  });

  it('splitAt explains a caret that is not inside a step instead of throwing', async () => {
    const { app } = await setup();
    app.setSolution(0, 'one\n\ntwo');
    app.splitAt(0, 0);
    expect(app.message?.text).toMatch(/put the text cursor inside it/);
    expect(app.stepTexts[0]).toEqual(['one', 'two']);
  });

  it('keeps hand-made boundaries while the user keeps typing', async () => {
    const { app } = await setup();
    app.setSolution(0, 'x = 2. y = 3.');
    app.splitAt(0, 7);
    app.setSolution(0, 'x = 2. y = 3. So x + y = 5.');
    expect(app.stepTexts[0]).toEqual(['x = 2.', 'y = 3. So x + y = 5.']);
  });
});

describe('AppState.score()', () => {
  it('loads the bundled model, scores, and stores rewards with what was scored', async () => {
    const { app, worker } = await setup();
    app.setProblem('p');
    app.setSolution(0, 's1\n\ns2\n\ns3');
    await app.score();
    expect(worker.sent.map((r) => r.type)).toEqual(['probe', 'list-bundled', 'load', 'score']);
    expect(app.rewards).toEqual([[0.9, 0.3, 0.6]]);
    expect(app.run).toMatchObject({
      problem: 'p',
      steps: [['s1', 's2', 's3']],
      backend: 'wasm',
      model: { name: 'fixture-prm', dtype: 'q4' },
    });
    expect(app.engine.backend).toBe('wasm');
  });

  it('starts the threshold at the model default and moves the first error live', async () => {
    const { app } = await setup();
    app.setProblem('p');
    app.setSolution(0, 's1\n\ns2\n\ns3');
    await app.score();
    expect(app.threshold).toBe(0.4);
    expect(app.firstErrors).toEqual([1]);
    app.setThreshold(0.2);
    expect(app.firstErrors).toEqual([-1]);
    app.setThreshold(0.95);
    expect(app.firstErrors).toEqual([0]);
    app.resetThreshold();
    expect(app.firstErrors).toEqual([1]);
  });

  it('shows no rewards for a solution edited after scoring, and keeps the others', async () => {
    const { app } = await setup();
    app.setProblem('p');
    app.setSolution(0, 'a\n\nb');
    app.addSolution();
    app.setSolution(1, 'c\n\nd\n\ne\n\nf');
    await app.score();
    app.setSolution(0, 'a\n\nb changed');
    expect(app.fresh).toEqual([false, true]);
    expect(app.rewards).toEqual([null, [0.9, 0.3, 0.6, 0.2]]);
    expect(app.heatmapRows.map((r) => r.rank)).toEqual([null, 1]);
  });

  it('ranks Best-of-N rows by the chosen aggregate', async () => {
    const { app } = await setup();
    app.setProblem('p');
    app.setSolution(0, 'a');
    app.addSolution();
    app.setSolution(1, 'a\n\nb\n\nc');
    await app.score();
    app.setAggregate('last');
    expect(app.heatmapRows.map((r) => r.picked)).toEqual([true, false]); // 0.9 vs 0.6
    app.setAggregate('mean');
    expect(app.heatmapRows.map((r) => r.picked)).toEqual([true, false]); // 0.9 vs 0.6
    app.setAggregate('min');
    expect(app.ranking.map((r) => r.score)).toEqual([0.9, 0.3]);
  });

  it('refuses to score without a problem, saying what to do', async () => {
    const { app, worker } = await setup();
    app.setSolution(0, 'a');
    await app.score();
    expect(app.message).toMatchObject({
      kind: 'error',
      text: expect.stringMatching(/Type the problem first/),
    });
    expect(worker.sent.some((r) => r.type === 'score')).toBe(false);
  });

  it('asks before truncating on a context overflow, then scores with truncate: true', async () => {
    const { app, worker } = await setup((req, reply) => {
      if (req.type === 'score' && !req.truncate) {
        reply({
          status: 'context-overflow',
          requestId: req.requestId,
          solution: 0,
          tokenCount: 90,
          limit: 64,
          fittingSteps: 1,
          totalSteps: 2,
        });
      } else if (req.type === 'score') {
        reply({
          status: 'scored',
          requestId: req.requestId,
          results: [{ rewards: [0.8], firstError: -1, tokenCount: 90, scoredSteps: 1, totalSteps: 2 }],
          threshold: 0.4,
          runMs: 1,
        });
      } else standard(req, reply);
    });
    app.setProblem('p');
    app.setSolution(0, 'long\n\nlonger');
    await app.score();
    expect(app.overflow).toMatchObject({ fittingSteps: 1, limit: 64 });
    expect(app.run).toBeNull();
    app.acceptTruncation();
    await new Promise((r) => setTimeout(r, 10));
    expect(
      worker.sent.filter((r) => r.type === 'score').map((r) => (r as { truncate?: boolean }).truncate),
    ).toEqual([false, true]);
    expect(app.rewards).toEqual([[0.8]]);
  });

  it('shows an engine error as a message and keeps every typed character', async () => {
    const { app } = await setup((req, reply) => {
      if (req.type === 'load')
        reply({
          status: 'error',
          requestId: req.requestId,
          code: 'bad-model',
          message: 'onnx/model_q4.onnx is truncated.',
        });
      else standard(req, reply);
    });
    app.setProblem('my problem');
    app.setSolution(0, 'my steps');
    await app.score();
    expect(app.message).toMatchObject({
      kind: 'error',
      text: 'onnx/model_q4.onnx is truncated. Your text is unchanged.',
    });
    expect([app.problem, app.solutions[0].text]).toEqual(['my problem', 'my steps']);
    expect(app.scoring).toBeNull();
  });

  it('cancel() stops a running score: progress while it runs, a notice after, no scores', async () => {
    let pendingId = -1;
    const { app, worker } = await setup((req, reply) => {
      if (req.type === 'score') {
        pendingId = req.requestId;
        reply({ status: 'progress', requestId: req.requestId, phase: 'score', loaded: 0, total: 1 });
      } else if (req.type === 'cancel' && req.requestId === pendingId) {
        reply({ status: 'cancelled', requestId: req.requestId });
      } else standard(req, reply);
    });
    app.setProblem('p');
    app.setSolution(0, 'a');
    const done = app.score();
    await new Promise((r) => setTimeout(r, 5));
    expect(app.busy).toBe(true);
    expect(app.scoring?.text).toBe('Scoring: 0 of 1 solutions done');
    app.cancel();
    await done;
    expect(worker.sent.at(-1)).toEqual({ type: 'cancel', requestId: pendingId });
    expect([app.busy, app.run, app.message?.text]).toEqual([
      false,
      null,
      'Scoring was cancelled. Your text is unchanged.',
    ]);
  });

  it('says there is no engine (and invents no numbers) when the build has none', async () => {
    const app = new AppState(new EngineState(null));
    app.setProblem('p');
    app.setSolution(0, 'a');
    await app.score();
    expect(app.message?.text).toMatch(/no scoring engine/);
    expect(app.run).toBeNull();
  });
});

describe('AppState drafts', () => {
  it('round-trips the typed state through a share link into a fresh AppState', async () => {
    const { app } = await setup();
    app.setProblem('Find $x$.');
    app.setSolution(0, 'x = 2. y = 3.');
    app.splitAt(0, 7);
    app.addSolution();
    app.setSolution(1, 'second');
    app.setThreshold(0.7);
    app.setAggregate('product');
    const other = new AppState(new EngineState(null));
    other.loadDraft((await draftFromFragment(await shareFragment(app.draft)))!);
    expect(other.draft).toEqual(app.draft);
    expect(other.stepTexts).toEqual([['x = 2.', 'y = 3.'], ['second']]);
  });

  it('loadExample(example) keeps the truth of every solution for the reveal', async () => {
    const { app } = await setup();
    const example = EXAMPLES.find((e) => e.id === 'shopping-best-of-3')!;
    app.loadExample(example);
    expect(app.solutions.map((s) => s.text)).toEqual(example.solutions);
    expect(app.practice).toEqual({
      firstErrors: [-1, 1, 3],
      detail: example.note,
      example: 'shopping-best-of-3',
    });
  });

  it('replaceWith(draft) offers to bring back the text it replaced', async () => {
    const { app } = await setup();
    app.setProblem('mine');
    app.setSolution(0, 'my work');
    app.newPractice(42);
    expect(app.problem).not.toBe('mine');
    expect(app.practice?.firstErrors).toHaveLength(1);
    app.message!.action!.run();
    expect([app.problem, app.solutions[0].text]).toEqual(['mine', 'my work']);
  });

  it('showMessage(kind, text) shows a message that dismissMessage() clears', async () => {
    const { app } = await setup();
    app.showMessage('error', 'The link is left in the address bar.');
    expect(app.message).toEqual({ kind: 'error', text: 'The link is left in the address bar.' });
    app.dismissMessage();
    expect(app.message).toBeNull();
  });

  it('no file in src/app assigns app.message: it changes only through AppState methods', () => {
    const root = resolve(import.meta.dirname, '../../src/app');
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) =>
        statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)],
      );
    const offenders = walk(root)
      .filter((f) => /\.(ts|svelte)$/.test(f))
      .filter((f) => /\bapp\.message\s*=(?!=)/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
