/**
 * Turning an evaluated item into a playground draft: the item's own steps become hand-set step
 * boundaries, so the playground scores exactly the steps the benchmark labels (ProcessBench
 * steps can hold blank lines that automatic segmentation would split). No I/O.
 */
import { stepsFromTexts } from '../../core/segment.ts';
import { DTYPES } from '../../core/spec.ts';
import type { Dtype } from '../../core/types.ts';
import type { ScoringBackend, ScoringDtype } from '../../engine/protocol.ts';
import type { Draft } from '../lib/draft.ts';
import type { ScoredRun } from '../lib/run.ts';
import { runFromShared, type SharedScoresJson } from '../lib/shared-scores.ts';

/** What the Evaluate view hands the playground. */
export interface OpenItem {
  problem: string;
  steps: string[];
  /** The Evaluate view's threshold, so the playground marks the same first error. */
  threshold?: number;
  /** A line for the playground's message, e.g. which item and how the model missed it. */
  note?: string;
  /** The rewards the Evaluate run gave the item's steps, when scored. */
  rewards?: number[];
  /** Which model scored it: `evalModelLabel`'s words, or null when the rewards came from a file. */
  model?: string | null;
}

/**
 * The words the Evaluate view names its model with, e.g. "arith-prm-mini (q4 on wasm)", and
 * back: a run's name, dtype and backend (`parseEvalModelLabel`).
 *
 * @example
 * evalModelLabel({ name: 'demo', dtype: 'q4', backend: 'wasm' }); // 'demo (q4 on wasm)'
 */
export function evalModelLabel(m: { name: string; dtype: ScoringDtype; backend: ScoringBackend }): string {
  return `${m.name} (${m.dtype} on ${m.backend})`;
}

export function parseEvalModelLabel(
  label: string,
): { name: string; dtype: ScoringDtype; backend: ScoringBackend } | null {
  const m = /^(.+) \((\w+) on (webgpu|wasm|remote)\)$/.exec(label);
  if (!m || !(DTYPES.includes(m[2] as Dtype) || m[2] === 'vllm')) return null;
  return { name: m[1], dtype: m[2] as ScoringDtype, backend: m[3] as ScoringBackend };
}

/**
 * The Evaluate run's scores for the draft `draftForItem` made, as a run marked as computed in
 * the Evaluate view; null (with the reason) when the item is unscored or its model is not named
 * (rewards read from a predictions file), or the steps do not match.
 */
export function runForItem(item: OpenItem, draft: Draft): { run: ScoredRun | null; problem: string | null } {
  if (!item.rewards) return { run: null, problem: null };
  const model = item.model ? parseEvalModelLabel(item.model) : null;
  if (!model)
    return {
      run: null,
      problem:
        'Its rewards came without a model name (a predictions file), so they are not shown here; press Score.',
    };
  const scores: SharedScoresJson = {
    model: { name: model.name, source: '', dtype: model.dtype, family: '' },
    backend: model.backend,
    t: item.threshold ?? 0.5,
    r: [item.rewards.map((x) => Math.round(x * 1e5))],
    at: '',
  };
  const out = runFromShared(scores, draft, 'the Evaluate view');
  return { run: out.run, problem: out.problem };
}

/**
 * A draft holding one solution with the item's steps as fixed boundaries. Blank steps are
 * dropped (a step boundary needs text).
 *
 * @example
 * draftForItem({ problem: '1+1?', steps: ['1+1=2.', 'So 2.'] }, { strategy: 'auto', aggregate: 'min' }).solutions[0].text;
 * // '1+1=2.\n\nSo 2.'
 */
export function draftForItem(item: OpenItem, base: Pick<Draft, 'strategy' | 'aggregate'>): Draft {
  const texts = item.steps.filter((s) => s.trim() !== '');
  if (texts.length === 0) {
    return {
      problem: item.problem,
      solutions: [{ text: '', steps: null }],
      strategy: base.strategy,
      threshold: item.threshold ?? null,
      aggregate: base.aggregate,
    };
  }
  const { source, steps } = stepsFromTexts(texts);
  return {
    problem: item.problem,
    solutions: [{ text: source, steps }],
    strategy: base.strategy,
    threshold: item.threshold ?? null,
    aggregate: base.aggregate,
  };
}
