import { describe, expect, it } from 'vitest';
import { parseBestOfN } from '../../../src/app/evaluate/best-of-n.ts';
import {
  BON_KEY,
  EVAL_KEY,
  backupKey,
  decodeBon,
  decodeEval,
  restoreSnapshot,
  saveSnapshot,
  type EvalSnapshot,
  type TextStore,
} from '../../../src/app/evaluate/persist.ts';

function memoryStore(fail?: { set?: string; get?: string }): TextStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    async get(k) {
      if (fail?.get) throw new Error(fail.get);
      return data.get(k);
    },
    async set(k, v) {
      if (fail?.set) throw new Error(fail.set);
      data.set(k, v);
    },
    async delete(k) {
      data.delete(k);
    },
  };
}

const snapshot: EvalSnapshot = {
  format: 'prm-playground/eval-1',
  sources: ['gsm8k.json', 'preds.jsonl'],
  items: [
    {
      key: 'gsm8k/0',
      id: '0',
      subset: 'gsm8k',
      label: 1,
      problem: 'p',
      steps: ['a', 'b'],
      rewards: [0.9, 0.2],
    },
    { key: 'gsm8k/1', id: '1', subset: 'gsm8k', label: -1, problem: 'q', steps: ['c'] },
    { key: 'math/7', id: '7', subset: 'math', label: 0, rewards: [0.1], truncated: true },
  ],
  threshold: 0.42,
  model: 'demo (q4 on wasm)',
};

describe('saveSnapshot(store, key, snapshot, limit) and restoreSnapshot(store, key, decode)', () => {
  it('round-trips a dataset with and without rewards', async () => {
    const store = memoryStore();
    const saved = await saveSnapshot(store, EVAL_KEY, snapshot);
    expect(saved).toEqual({ saved: true, bytes: JSON.stringify(snapshot).length });
    expect(await restoreSnapshot(store, EVAL_KEY, decodeEval)).toEqual({ value: snapshot, problem: null });
  });

  it('round-trips a Best-of-N file', async () => {
    const store = memoryStore();
    const problems = parseBestOfN(
      '{"problem":"Q","steps":["a"],"correct":true,"answer":"4","rewards":[0.5]}',
      'b.jsonl',
    );
    const bon = { format: 'prm-playground/bon-1' as const, source: 'b.jsonl', problems, model: null };
    await saveSnapshot(store, BON_KEY, bon);
    expect((await restoreSnapshot(store, BON_KEY, decodeBon)).value).toEqual(bon);
  });

  it('refuses a set over the limit, says how big it is, and stores nothing', async () => {
    const store = memoryStore();
    const r = await saveSnapshot(store, EVAL_KEY, snapshot, 100);
    expect(r.saved).toBe(false);
    expect(!r.saved && r.reason).toMatch(
      /^This set is 0\.0 MB, more than the 0\.0 MB kept across reloads; export the predictions/,
    );
    expect(store.data.size).toBe(0);
  });

  it('counts bytes as UTF-8, not characters', async () => {
    const store = memoryStore();
    const wide = { ...snapshot, sources: ['∑'.repeat(10)] };
    const r = await saveSnapshot(store, EVAL_KEY, wide);
    expect(r.bytes).toBe(JSON.stringify(wide).length + 20);
  });

  it('reports a storage refusal (quota) instead of throwing', async () => {
    const r = await saveSnapshot(memoryStore({ set: 'QuotaExceededError' }), EVAL_KEY, snapshot);
    expect(r).toMatchObject({
      saved: false,
      reason: expect.stringContaining('refused to store the results (QuotaExceededError)'),
    });
  });

  it('gives nothing and no problem when nothing was saved', async () => {
    expect(await restoreSnapshot(memoryStore(), EVAL_KEY, decodeEval)).toEqual({
      value: null,
      problem: null,
    });
  });

  it('reports an unreadable store without throwing', async () => {
    const r = await restoreSnapshot(memoryStore({ get: 'blocked' }), EVAL_KEY, decodeEval);
    expect(r).toEqual({
      value: null,
      problem: 'Saved results could not be read (blocked); results will not survive a reload.',
    });
  });

  it.each([
    ['text that is not JSON', '{oops'],
    ['another format', JSON.stringify({ ...snapshot, format: 'x' })],
    ['a threshold out of range', JSON.stringify({ ...snapshot, threshold: 2 })],
    [
      'a reward out of range',
      JSON.stringify({ ...snapshot, items: [{ ...snapshot.items[0], rewards: [1.5] }] }),
    ],
    [
      'a label that is not an integer',
      JSON.stringify({ ...snapshot, items: [{ ...snapshot.items[0], label: 0.5 }] }),
    ],
    [
      'steps that are not strings',
      JSON.stringify({ ...snapshot, items: [{ ...snapshot.items[0], steps: [1] }] }),
    ],
  ])('moves %s to the backup key and says so', async (_what, text) => {
    const store = memoryStore();
    store.data.set(EVAL_KEY, text);
    const r = await restoreSnapshot(store, EVAL_KEY, decodeEval);
    expect(r.value).toBeNull();
    expect(r.problem).toMatch(
      /^Saved results could not be read \(.+\); they were kept under "processbench:unreadable"/,
    );
    expect(store.data.get(backupKey(EVAL_KEY))).toBe(text);
    expect(store.data.has(EVAL_KEY)).toBe(false);
  });

  it('says so when the backup copy cannot be written, and leaves the original in place', async () => {
    const store = memoryStore({ set: 'quota' });
    store.data.set(EVAL_KEY, '{oops');
    const r = await restoreSnapshot(store, EVAL_KEY, decodeEval);
    expect(r.value).toBeNull();
    expect(r.problem).toMatch(
      /^Saved results could not be read \(.+\), and copying them to "processbench:unreadable" failed \(quota\); they stay under "processbench" /,
    );
    expect(store.data.get(EVAL_KEY)).toBe('{oops');
    expect(store.data.has(backupKey(EVAL_KEY))).toBe(false);
  });
});
