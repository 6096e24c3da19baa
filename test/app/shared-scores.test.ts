import { describe, expect, it } from 'vitest';
import type { Draft } from '../../src/app/lib/draft.ts';
import type { ScoredRun } from '../../src/app/lib/run.ts';
import { openFragment, shareFragment } from '../../src/app/lib/share.ts';
import { draftStepTexts, runFromShared, sharedScores } from '../../src/app/lib/shared-scores.ts';
import {
  draftForItem,
  evalModelLabel,
  parseEvalModelLabel,
  runForItem,
} from '../../src/app/evaluate/open-item.ts';

const draft: Draft = {
  problem: '24 × 5 - 98?',
  solutions: [
    { text: '24 × 5 = 120.\n\n120 - 98 = 32.\n\nThe answer is 32.', steps: null },
    { text: '24 × 5 = 120.\n\n120 - 98 = 22.', steps: null },
  ],
  strategy: 'auto',
  threshold: null,
  aggregate: 'min',
};

const run: ScoredRun = {
  problem: draft.problem,
  steps: draftStepTexts(draft),
  solutions: [
    { rewards: [0.979123, 0.0421, 0.5], tokenCount: 40, scoredSteps: 3 },
    { rewards: [0.98, 0.97], tokenCount: 30, scoredSteps: 2 },
  ],
  model: { name: 'arith-prm-mini', source: 'arith-prm-mini', dtype: 'q4', family: 'qwen-prm' },
  backend: 'webgpu',
  defaultThreshold: 0.42,
  runMs: 12,
  at: '2026-12-06T11:00:00.000Z',
};

describe('sharedScores(run, draft) and openFragment(hash)', () => {
  it('carries rewards (to 1e-5), model, dtype, backend and threshold through a link', async () => {
    const scores = sharedScores(run, draft);
    expect(scores?.r).toEqual([
      [97912, 4210, 50000],
      [98000, 97000],
    ]);
    const opened = await openFragment(await shareFragment(draft, true, scores));
    expect(opened!.draft).toEqual(draft);
    expect(opened!.scoresProblem).toBeNull();
    const back = opened!.run!;
    expect(back.origin).toBe('a shared link');
    expect(back.model).toEqual(run.model);
    expect(back.backend).toBe('webgpu');
    expect(back.defaultThreshold).toBe(0.42);
    expect(back.steps).toEqual(run.steps);
    back.solutions.forEach((s, i) =>
      s.rewards.forEach((r, j) =>
        expect(Math.abs(r - run.solutions[i].rewards[j])).toBeLessThanOrEqual(5e-6),
      ),
    );
  });

  it('carries no scores for text edited since scoring', () => {
    const edited = { ...draft, solutions: [{ text: 'Other text.', steps: null }, draft.solutions[1]] };
    expect(sharedScores(run, edited)).toBeNull();
    expect(sharedScores(null, draft)).toBeNull();
  });

  it.each([
    ['a string', 'x', /not a JSON object/],
    ['no model', { backend: 'wasm', t: 0.5, r: [[1], [1]] }, /model is not named/],
    [
      'an unknown dtype',
      { ...sharedScores(run, draft), model: { ...run.model, dtype: 'int3' } },
      /model is not named/,
    ],
    ['a bad backend', { ...sharedScores(run, draft), backend: 'cuda' }, /backend/],
    ['a threshold of 2', { ...sharedScores(run, draft), t: 2 }, /threshold/],
    [
      'more rewards than steps',
      { ...sharedScores(run, draft), r: [[1, 1, 1, 1], [1]] },
      /do not match the steps/,
    ],
    ['a reward above 1', { ...sharedScores(run, draft), r: [[100001], [1]] }, /do not match the steps/],
    ['one solution short', { ...sharedScores(run, draft), r: [[1]] }, /do not match the steps/],
  ])('runFromShared drops scores with %s and says why', (_, value, why) => {
    const out = runFromShared(value, draft, 'a shared link');
    expect(out.run).toBeNull();
    expect(out.problem).toMatch(why);
    expect(out.problem).toMatch(/^The scores in a shared link were left out: .*Score here to get them\.$/);
  });

  it('a link with damaged scores still opens its text', async () => {
    const opened = await openFragment(
      await shareFragment(draft, false, { ...sharedScores(run, draft)!, t: -1 }),
    );
    expect(opened!.draft).toEqual(draft);
    expect(opened!.run).toBeNull();
    expect(opened!.scoresProblem).toMatch(/threshold/);
  });
});

describe('runForItem(item, draft) from the Evaluate view', () => {
  const item = { problem: 'p?', steps: ['1 + 1 = 2.', 'So 2.'], threshold: 0.3, rewards: [0.9, 0.2] };
  const base = { strategy: 'auto' as const, aggregate: 'min' as const };

  it('rebuilds the item run with the Evaluate model, marked as computed there', () => {
    const label = evalModelLabel({ name: 'demo prm', dtype: 'q4', backend: 'wasm' });
    expect(parseEvalModelLabel(label)).toEqual({ name: 'demo prm', dtype: 'q4', backend: 'wasm' });
    const { run: r, problem } = runForItem({ ...item, model: label }, draftForItem(item, base));
    expect(problem).toBeNull();
    expect(r).toMatchObject({
      origin: 'the Evaluate view',
      model: { name: 'demo prm', dtype: 'q4' },
      backend: 'wasm',
    });
    expect(r!.solutions[0].rewards).toEqual([0.9, 0.2]);
    expect(r!.defaultThreshold).toBe(0.3);
  });

  it.each([
    [null, /without a model name/],
    ['no parens', /without a model name/],
  ])('model %j: no scores, and says why', (model, why) => {
    const out = runForItem({ ...item, model }, draftForItem(item, base));
    expect(out.run).toBeNull();
    expect(out.problem).toMatch(why);
  });

  it('an unscored item opens without scores or a problem', () => {
    expect(runForItem({ problem: 'p?', steps: ['a.'] }, draftForItem(item, base))).toEqual({
      run: null,
      problem: null,
    });
  });
});
