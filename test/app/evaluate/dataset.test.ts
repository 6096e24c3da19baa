import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/core/metrics.ts';
import { parsePredictions, type PredictionRecord } from '../../../src/core/processbench.ts';
import { firstError } from '../../../src/core/rewards.ts';
import type { ProcessBenchItem } from '../../../src/core/types.ts';
import {
  consistentThresholds,
  mergePredictions,
  mergeProcessBench,
  misses,
  missKind,
  predictionLines,
  scoredItems,
  subsetCounts,
  subsetNames,
  thresholdFor,
  unscoredItems,
  withRewards,
  type EvalItem,
} from '../../../src/app/evaluate/dataset.ts';

const pb = (id: string, label: number, steps = ['a', 'b', 'c'], subset = 'gsm8k'): ProcessBenchItem => ({
  id,
  subset,
  problem: `problem ${id}`,
  steps,
  final_answer_correct: label === -1,
  label,
});
const pred = (id: string, label: number, rewards: number[], subset = 'gsm8k'): PredictionRecord => ({
  id,
  subset,
  label,
  prediction: firstError(rewards, 0.5),
  rewards,
});

describe('mergeProcessBench(current, items)', () => {
  it('adds items keyed by subset/id with their text and no rewards', () => {
    const out = mergeProcessBench([], [pb('0', 1), pb('0', -1, ['x'], 'math')]);
    expect(out.map((it) => [it.key, it.label, it.rewards])).toEqual([
      ['gsm8k/0', 1, undefined],
      ['math/0', -1, undefined],
    ]);
    expect(out[0].steps).toEqual(['a', 'b', 'c']);
  });

  it('keeps the rewards of an item loaded again unchanged', () => {
    const scored = mergePredictions(
      mergeProcessBench([], [pb('0', 1)]),
      [pred('0', 1, [0.9, 0.2, 0.8])],
      'p',
    );
    expect(mergeProcessBench(scored, [pb('0', 1)])[0].rewards).toEqual([0.9, 0.2, 0.8]);
  });

  it('drops the rewards of an item whose steps changed (they scored other text)', () => {
    const scored = mergePredictions(
      mergeProcessBench([], [pb('0', 1)]),
      [pred('0', 1, [0.9, 0.2, 0.8])],
      'p',
    );
    expect(mergeProcessBench(scored, [pb('0', 1, ['a', 'B', 'c'])])[0].rewards).toBeUndefined();
  });

  it('adds the text to an item that so far had only predictions', () => {
    const out = mergeProcessBench(mergePredictions([], [pred('0', 1, [0.9, 0.2])], 'p'), [pb('0', 1)]);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ problem: 'problem 0', rewards: [0.9, 0.2] });
  });
});

describe('mergePredictions(current, preds, sourceName)', () => {
  it('joins rewards to loaded items by subset and id, marking partial rewards as truncated', () => {
    const items = mergeProcessBench([], [pb('0', 1), pb('1', -1)]);
    const out = mergePredictions(
      items,
      [pred('1', -1, [0.9, 0.8, 0.7]), pred('0', 1, [0.9, 0.1])],
      'p.jsonl',
    );
    expect(out.map((it) => [it.key, it.rewards, it.truncated])).toEqual([
      ['gsm8k/0', [0.9, 0.1], true],
      ['gsm8k/1', [0.9, 0.8, 0.7], false],
    ]);
  });

  it.each([
    [
      'a label that disagrees',
      pred('0', 2, [0.9]),
      /p\.jsonl record 1 \(gsm8k\/0\): label 2 disagrees with the loaded item's label 1/,
    ],
    ['more rewards than steps', pred('0', 1, [0.9, 0.1, 0.5, 0.5]), /4 rewards for an item with 3 steps/],
  ])('throws for %s and leaves the input unchanged', (_what, bad, message) => {
    const items = mergeProcessBench([], [pb('0', 1)]);
    const before = structuredClone(items);
    expect(() => mergePredictions(items, [bad], 'p.jsonl')).toThrow(message);
    expect(items).toEqual(before);
  });
});

describe('missKind(label, prediction)', () => {
  it.each([
    [-1, -1, null],
    [2, 2, null],
    [-1, 0, 'false-alarm'],
    [3, -1, 'missed-error'],
    [3, 1, 'wrong-position'],
    [1, 3, 'wrong-position'],
  ])('missKind(%d, %d) = %s', (label, prediction, kind) => {
    expect(missKind(label, prediction)).toBe(kind);
  });
});

describe('misses(items, threshold, filter)', () => {
  const items = scoredItems(
    mergePredictions(
      [],
      [
        pred('hit', 1, [0.9, 0.2]),
        pred('alarm', -1, [0.9, 0.4]),
        pred('missed', 0, [0.6, 0.7]),
        pred('late', 0, [0.7, 0.3]),
        pred('m-alarm', -1, [0.1], 'math'),
      ],
      'p',
    ),
  );
  it.each([
    [0.5, {}, ['alarm', 'missed', 'late', 'm-alarm']],
    [0.5, { kind: 'false-alarm' as const }, ['alarm', 'm-alarm']],
    [0.5, { subset: 'gsm8k', kind: 'false-alarm' as const }, ['alarm']],
    [0.65, { kind: 'missed-error' as const }, []],
    [0.35, { kind: 'missed-error' as const }, ['missed']],
    [0.35, { kind: 'wrong-position' as const }, ['late']],
  ])('at threshold %d with filter %j lists %j', (t, filter, ids) => {
    expect(misses(items, t, filter).map((m) => m.item.id)).toEqual(ids);
  });

  it('agrees with evaluate(): misses are exactly the samples whose prediction differs from the label', () => {
    const e = evaluate(
      items.map((it) => ({ subset: it.subset, label: it.label, prediction: firstError(it.rewards, 0.5) })),
    );
    const part = (acc: number, n: number) => (n === 0 ? 0 : acc * n);
    const hits = e.subsets.reduce(
      (a, s) => a + part(s.acc_error, s.n_error) + part(s.acc_correct, s.n_correct),
      0,
    );
    expect(misses(items, 0.5).length).toBe(items.length - hits);
  });
});

describe('consistentThresholds(preds)', () => {
  it.each([
    [
      'one flagged and one clean item',
      [
        { prediction: 1, rewards: [0.9, 0.3] },
        { prediction: -1, rewards: [0.8] },
      ],
      { lo: 0.3, hi: 0.8 },
    ],
    ['no constraints', [], { lo: 0, hi: 1 }],
    [
      'an item flagged at a reward above a clean one',
      [
        { prediction: 0, rewards: [0.7] },
        { prediction: -1, rewards: [0.6] },
      ],
      null,
    ],
    [
      'a flag exactly at a clean reward',
      [
        { prediction: 0, rewards: [0.6] },
        { prediction: -1, rewards: [0.6] },
      ],
      null,
    ],
  ])('%s', (_what, preds, range) => {
    expect(consistentThresholds(preds)).toEqual(range);
  });
});

describe('thresholdFor(range, preferred)', () => {
  it.each([
    [{ lo: 0.3, hi: 0.8 }, 0.5, 0.5],
    [{ lo: 0.61, hi: 0.9 }, 0.5, 0.61],
    [{ lo: 0.612, hi: 0.9 }, 0.5, 0.62],
    [{ lo: 0.1, hi: 0.355 }, 0.5, 0.35],
    [{ lo: 0.612, hi: 0.615 }, 0.5, 0.612],
  ])('thresholdFor(%j, %d) = %d', (range, preferred, t) => {
    expect(thresholdFor(range, preferred)).toBe(t);
  });
});

describe('predictionLines(items, threshold)', () => {
  it('writes prm eval --out lines that parsePredictions reads back with the same rewards', () => {
    const items: EvalItem[] = [
      { key: 'gsm8k/0', id: '0', subset: 'gsm8k', label: 1, rewards: [0.9, 0.2] },
      { key: 'gsm8k/1', id: '1', subset: 'gsm8k', label: -1, steps: ['x'] },
      { key: 'math/0', id: '0', subset: 'math', label: -1, rewards: [0.6], truncated: true },
    ];
    const text = predictionLines(items, 0.5);
    expect(text.split('\n')[1]).toBe(
      '{"id":"0","subset":"math","label":-1,"prediction":-1,"rewards":[0.6],"truncated":true}',
    );
    expect(parsePredictions(text, 'preds.jsonl')).toEqual([
      { id: '0', subset: 'gsm8k', label: 1, prediction: 1, rewards: [0.9, 0.2] },
      { id: '0', subset: 'math', label: -1, prediction: -1, rewards: [0.6], truncated: true },
    ]);
  });
});

describe('subsetNames(items)', () => {
  it('lists subsets in order of first appearance', () => {
    expect(subsetNames([{ subset: 'math' }, { subset: 'gsm8k' }, { subset: 'math' }])).toEqual([
      'math',
      'gsm8k',
    ]);
  });
});

describe('unscoredItems(items, skip) and withRewards(items, results)', () => {
  const items = mergePredictions(
    mergeProcessBench([], [pb('0', 1), pb('1', -1), pb('2', 0)]),
    [pred('1', -1, [0.9, 0.8, 0.7])],
    'p',
  );

  it('lists items with text and no rewards, less the skipped keys', () => {
    expect(unscoredItems(items).map((it) => it.key)).toEqual(['gsm8k/0', 'gsm8k/2']);
    expect(unscoredItems(items, ['gsm8k/2']).map((it) => it.key)).toEqual(['gsm8k/0']);
  });

  it('leaves items without text out: they cannot be run', () => {
    expect(unscoredItems(mergePredictions([], [pred('9', 0, [0.1])], 'p'))).toEqual([]);
  });

  it('puts results in by key, keeping order and marking truncation', () => {
    const out = withRewards(items, [
      { key: 'gsm8k/2', rewards: [0.3], truncated: true },
      { key: 'gsm8k/0', rewards: [0.9, 0.2, 0.5], truncated: false },
    ]);
    expect(out.map((it) => [it.key, it.rewards, it.truncated])).toEqual([
      ['gsm8k/0', [0.9, 0.2, 0.5], undefined],
      ['gsm8k/1', [0.9, 0.8, 0.7], false],
      ['gsm8k/2', [0.3], true],
    ]);
    expect(unscoredItems(out)).toEqual([]);
  });
});

describe('subsetCounts(items)', () => {
  it('counts items and scored items per subset in order of first appearance', () => {
    const items = mergePredictions(
      mergeProcessBench([], [pb('0', 1, ['a'], 'math'), pb('0', 1), pb('1', 1)]),
      [pred('1', 1, [0.9])],
      'p',
    );
    expect(subsetCounts(items)).toEqual([
      { subset: 'math', n: 1, scored: 0 },
      { subset: 'gsm8k', n: 2, scored: 1 },
    ]);
  });
});
