/**
 * Scores that travel with a draft (share links, "Open in playground" from Evaluate): a compact
 * form of a `ScoredRun` without the texts, which the draft already holds. Rewards are stored as
 * integers in 1e-5 units (the page shows three decimals). The receiving page rebuilds the run
 * from the draft's own steps and marks it with `origin`, so it is shown as computed elsewhere,
 * by the model named, and never taken for the loaded model's scores.
 *
 * Plain data, no I/O. Checks untrusted input: a damaged score block drops the scores (with a
 * reason), never the text.
 */
import { segment } from '../../core/segment.ts';
import { DTYPES } from '../../core/spec.ts';
import type { Dtype } from '../../core/types.ts';
import type { ScoringBackend, ScoringDtype } from '../../engine/protocol.ts';
import type { Draft } from './draft.ts';
import { runFreshness, type ScoredRun } from './run.ts';

/** The JSON a share link carries under `scores`. */
export interface SharedScoresJson {
  /** Model name, source (bundled id, Hub repo, folder), dtype, family. */
  model: { name: string; source: string; dtype: ScoringDtype; family: string };
  backend: ScoringBackend;
  /** The model's default threshold when it scored. */
  t: number;
  /** Rewards per solution, integers in 1e-5 units. */
  r: number[][];
  /** ISO time of the run. */
  at: string;
}

const SCALE = 1e5;

/** The step texts of each solution of a draft, as the playground segments them. */
export function draftStepTexts(draft: Draft): string[][] {
  return draft.solutions.map((s) => (s.steps ?? segment(s.text, draft.strategy)).map((st) => st.text));
}

/**
 * The compact scores of `run` for `draft`, or null when the run does not score exactly this
 * draft's text (edited since scoring): a link never carries scores for other text.
 *
 * @example
 * sharedScores(app.run, app.draft)?.r; // [[97912, 95310, 89501]]
 */
export function sharedScores(run: ScoredRun | null, draft: Draft): SharedScoresJson | null {
  if (!run) return null;
  const fresh = runFreshness(run, draft.problem, draftStepTexts(draft));
  if (fresh.length === 0 || !fresh.every(Boolean)) return null;
  return {
    model: { ...run.model },
    backend: run.backend,
    t: run.defaultThreshold,
    r: run.solutions.map((s) => s.rewards.map((x) => Math.round(x * SCALE))),
    at: run.at,
  };
}

/**
 * Rebuilds the run that `value` (a link's `scores`) describes for `draft`, marked as coming from
 * `origin`. Returns the run, or the reason the scores cannot be used (the text still opens).
 */
export function runFromShared(
  value: unknown,
  draft: Draft,
  origin: string,
): { run: ScoredRun; problem: null } | { run: null; problem: string } {
  const bad = (why: string) => ({
    run: null,
    problem: `The scores in ${origin} were left out: ${why}. Score here to get them.`,
  });
  if (!value || typeof value !== 'object') return bad('they are not a JSON object');
  const v = value as Partial<SharedScoresJson>;
  const m = v.model;
  if (
    !m ||
    typeof m.name !== 'string' ||
    typeof m.source !== 'string' ||
    typeof m.family !== 'string' ||
    !(DTYPES.includes(m.dtype as Dtype) || m.dtype === 'vllm')
  )
    return bad('the model is not named (name, source, dtype, family)');
  if (v.backend !== 'webgpu' && v.backend !== 'wasm' && v.backend !== 'remote')
    return bad('the backend is not webgpu, wasm or remote');
  if (typeof v.t !== 'number' || !(v.t >= 0 && v.t <= 1))
    return bad('the threshold is not a number from 0 to 1');
  const steps = draftStepTexts(draft);
  const r = v.r;
  if (
    !Array.isArray(r) ||
    r.length !== steps.length ||
    !r.every(
      (row, i) =>
        Array.isArray(row) &&
        row.length <= steps[i].length &&
        row.every((n) => Number.isInteger(n) && n >= 0 && n <= SCALE),
    )
  )
    return bad('the rewards do not match the steps of the text');
  return {
    run: {
      problem: draft.problem,
      steps,
      solutions: r.map((row) => ({
        rewards: row.map((n) => n / SCALE),
        tokenCount: 0,
        scoredSteps: row.length,
      })),
      model: { name: m.name, source: m.source, dtype: m.dtype, family: m.family },
      backend: v.backend,
      defaultThreshold: v.t,
      runMs: 0,
      at: typeof v.at === 'string' ? v.at : '',
      origin,
    },
    problem: null,
  };
}
