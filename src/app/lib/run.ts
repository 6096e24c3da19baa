/**
 * `ScoredRun`: the scores of one press of "Score", together with exactly what was scored (problem
 * and step texts), which model and which backend. Scores are shown only next to the inputs they
 * belong to: when the user edits the text afterwards, `runFreshness` says which solutions still
 * match, and stale ones show no numbers rather than numbers for different text.
 *
 * Plain data, no I/O.
 */
import type { ScoringBackend, ScoringDtype } from '../../engine/protocol.ts';
import type { DomainNotice } from '../../core/domain.ts';

export interface RunModel {
  name: string;
  /** Where it came from, for the export: bundled id, Hub repo, or a local folder name. */
  source: string;
  dtype: ScoringDtype;
  family: string;
}

export interface RunSolution {
  /** p(correct) per scored step; fewer than the steps when only some fit the context. */
  rewards: number[];
  tokenCount: number;
  scoredSteps: number;
  /** Whether the solution lies in the model's training domain; absent for models without one. */
  domain?: DomainNotice;
}

export interface ScoredRun {
  problem: string;
  /** Step texts per solution, as sent to the model. */
  steps: string[][];
  solutions: RunSolution[];
  model: RunModel;
  backend: ScoringBackend;
  /** The model's default threshold at the time. */
  defaultThreshold: number;
  runMs: number;
  /** ISO time of the run. */
  at: string;
  /**
   * Where the scores were computed when not by this page's engine ("a shared link", "the Evaluate
   * view"); shown with the model's name, and replaced whole by the next local Score.
   */
  origin?: string;
}

/**
 * For each current solution: true when the run scored exactly this problem and these steps.
 *
 * @example
 * runFreshness(run, run.problem, run.steps) // [true, true, ...]
 */
export function runFreshness(
  run: ScoredRun | null,
  problem: string,
  steps: readonly (readonly string[])[],
): boolean[] {
  return steps.map(
    (texts, i) =>
      run !== null &&
      run.problem === problem &&
      run.steps[i] !== undefined &&
      run.steps[i].length === texts.length &&
      run.steps[i].every((t, j) => t === texts[j]),
  );
}

/** The time of a run, as stored. */
export function nowIso(): string {
  return new Date().toISOString();
}

/** Checks a run read back from storage; returns null for anything malformed (it is only a cache). */
export function parseRun(value: unknown): ScoredRun | null {
  if (!value || typeof value !== 'object') return null;
  const r = value as ScoredRun;
  const numbers = (a: unknown): boolean =>
    Array.isArray(a) && a.every((n) => typeof n === 'number' && n >= 0 && n <= 1);
  const ok =
    typeof r.problem === 'string' &&
    Array.isArray(r.steps) &&
    r.steps.every((s) => Array.isArray(s) && s.every((t) => typeof t === 'string')) &&
    Array.isArray(r.solutions) &&
    r.solutions.length === r.steps.length &&
    r.solutions.every((s, i) => s && numbers(s.rewards) && s.rewards.length <= r.steps[i].length) &&
    r.model !== null &&
    typeof r.model === 'object' &&
    typeof r.model.name === 'string' &&
    (r.backend === 'webgpu' || r.backend === 'wasm' || r.backend === 'remote') &&
    typeof r.defaultThreshold === 'number';
  return ok ? r : null;
}
