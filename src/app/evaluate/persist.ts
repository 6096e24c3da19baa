/**
 * What the Evaluate view keeps across reloads, as versioned JSON text: the ProcessBench dataset
 * with its rewards, and the Best-of-N file with its rewards. The store is injected
 * (`TextStore`; ./idb.ts gives the IndexedDB one), so this module runs in Node tests.
 *
 * Reading back validates every field and reports what was wrong instead of throwing, because a
 * cache must never break the page; the unreadable text is kept under a backup key so nothing is
 * silently destroyed. It does not decide when to save (the view debounces).
 */
import { bestEffort } from '../../core/best-effort.ts';
import type { BonCandidate, BonProblem } from './best-of-n.ts';
import type { EvalItem } from './dataset.ts';

/** Async string store: IndexedDB in the browser, a Map in tests. */
export interface TextStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export const EVAL_KEY = 'processbench';
export const BON_KEY = 'best-of-n';
export const backupKey = (key: string): string => `${key}:unreadable`;

/** Above this much JSON a set is not saved (IndexedDB would take it, but writes get slow). */
export const PERSIST_LIMIT_BYTES = 64 * 1024 * 1024;

export interface EvalSnapshot {
  format: 'prm-playground/eval-1';
  /** File names loaded, in order. */
  sources: string[];
  items: EvalItem[];
  threshold: number;
  /** The model that scored the items, for display; null when rewards came from files. */
  model: string | null;
}

export interface BonSnapshot {
  format: 'prm-playground/bon-1';
  source: string;
  problems: BonProblem[];
  model: string | null;
}

export type SaveResult = { saved: true; bytes: number } | { saved: false; bytes: number; reason: string };

function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * Saves a snapshot unless its JSON is over `limit`; a refusal or a storage error comes back as a
 * reason the view shows (the results stay on the page, only the reload copy is missing).
 *
 * @example
 * await saveSnapshot(store, EVAL_KEY, snapshot); // { saved: true, bytes: 5210 }
 */
export async function saveSnapshot(
  store: TextStore,
  key: string,
  snapshot: EvalSnapshot | BonSnapshot,
  limit = PERSIST_LIMIT_BYTES,
): Promise<SaveResult> {
  const text = JSON.stringify(snapshot);
  const bytes = utf8Bytes(text);
  if (bytes > limit) {
    return {
      saved: false,
      bytes,
      reason: `This set is ${mb(bytes)}, more than the ${mb(limit)} kept across reloads; export the predictions to keep them.`,
    };
  }
  try {
    await store.set(key, text);
    return { saved: true, bytes };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      saved: false,
      bytes,
      reason: `The browser refused to store the results (${why}); export the predictions to keep them.`,
    };
  }
}

const isNum01 = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 1;
const isRewards = (x: unknown) => Array.isArray(x) && x.every(isNum01);
const isStrings = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === 'string');
const isLabel = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= -1;

function checkItem(v: unknown, i: number): EvalItem {
  const it = v as EvalItem;
  const ok =
    typeof it === 'object' &&
    it !== null &&
    typeof it.key === 'string' &&
    typeof it.id === 'string' &&
    typeof it.subset === 'string' &&
    isLabel(it.label) &&
    (it.problem === undefined || typeof it.problem === 'string') &&
    (it.steps === undefined || isStrings(it.steps)) &&
    (it.rewards === undefined || isRewards(it.rewards));
  if (!ok) throw new Error(`item ${i} is malformed`);
  return it;
}

function checkCandidate(v: unknown, where: string): BonCandidate {
  const c = v as BonCandidate;
  const ok =
    typeof c === 'object' &&
    c !== null &&
    typeof c.where === 'string' &&
    typeof c.correct === 'boolean' &&
    (c.steps === undefined || isStrings(c.steps)) &&
    (c.answer === undefined || typeof c.answer === 'string') &&
    (c.rewards === undefined || isRewards(c.rewards));
  if (!ok) throw new Error(`${where} is malformed`);
  return c;
}

/**
 * Reads an `EvalSnapshot` back; throws an Error saying what is wrong.
 *
 * @example
 * decodeEval(JSON.stringify(snapshot)).items.length;
 */
export function decodeEval(text: string): EvalSnapshot {
  const v = JSON.parse(text) as EvalSnapshot;
  if (v?.format !== 'prm-playground/eval-1') throw new Error(`unknown format ${JSON.stringify(v?.format)}`);
  if (!isStrings(v.sources) || !Array.isArray(v.items)) throw new Error('sources or items missing');
  if (typeof v.threshold !== 'number' || !(v.threshold >= 0 && v.threshold <= 1))
    throw new Error('threshold out of range');
  if (v.model !== null && typeof v.model !== 'string') throw new Error('model is not a string');
  v.items.forEach(checkItem);
  return v;
}

/**
 * Reads a `BonSnapshot` back; throws an Error saying what is wrong.
 *
 * @example
 * decodeBon(JSON.stringify(snapshot)).problems.length;
 */
export function decodeBon(text: string): BonSnapshot {
  const v = JSON.parse(text) as BonSnapshot;
  if (v?.format !== 'prm-playground/bon-1') throw new Error(`unknown format ${JSON.stringify(v?.format)}`);
  if (typeof v.source !== 'string' || !Array.isArray(v.problems))
    throw new Error('source or problems missing');
  if (v.model !== null && typeof v.model !== 'string') throw new Error('model is not a string');
  v.problems.forEach((g, i) => {
    if (
      typeof g?.key !== 'string' ||
      !Array.isArray(g.candidates) ||
      (g.problem !== undefined && typeof g.problem !== 'string')
    ) {
      throw new Error(`problem ${i} is malformed`);
    }
    g.candidates.forEach((c, j) => checkCandidate(c, `problem ${i} candidate ${j}`));
  });
  return v;
}

export interface Restored<T> {
  value: T | null;
  /** Set when something was stored but could not be read (it was moved to a backup key). */
  problem: string | null;
}

/**
 * Loads and decodes one snapshot; never throws. Unreadable text is moved to `backupKey(key)`.
 *
 * @example
 * const { value, problem } = await restoreSnapshot(store, EVAL_KEY, decodeEval);
 */
export async function restoreSnapshot<T>(
  store: TextStore,
  key: string,
  decode: (text: string) => T,
): Promise<Restored<T>> {
  let text: string | undefined;
  try {
    text = await store.get(key);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      value: null,
      problem: `Saved results could not be read (${why}); results will not survive a reload.`,
    };
  }
  if (text === undefined) return { value: null, problem: null };
  try {
    return { value: decode(text), problem: null };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    try {
      await store.set(backupKey(key), text);
    } catch (backupErr) {
      const whyNot = backupErr instanceof Error ? backupErr.message : String(backupErr);
      return {
        value: null,
        problem: `Saved results could not be read (${why}), and copying them to "${backupKey(key)}" failed (${whyNot}); they stay under "${key}" in IndexedDB until new results are saved over them.`,
      };
    }
    await bestEffort(
      store.delete(key),
      'the copy under the backup key is made; a stale original is only re-reported',
    );
    return {
      value: null,
      problem: `Saved results could not be read (${why}); they were kept under "${backupKey(key)}" in IndexedDB.`,
    };
  }
}
