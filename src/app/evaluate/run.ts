/**
 * Running a dataset through the scoring engine, one problem per request, with progress and
 * cancel. The engine is injected as an `EvalScorer` (the app's `EngineState` in the page, a fake
 * in tests), so the loop is tested in Node. Results are handed back per job as they arrive; the
 * caller stores them, so a cancel or an error keeps everything already scored.
 *
 * Items longer than the model's context are scored on the steps that fit (as `prm eval` does) and
 * marked truncated; items where not even one step fits are reported as unscorable. It does not
 * render anything or decide thresholds.
 */
import type { SolutionResult } from '../../engine/protocol.ts';

export type ScorerOutcome =
  | { kind: 'scored'; results: SolutionResult[] }
  | { kind: 'overflow'; overflow: { tokenCount: number; limit: number; fittingSteps: number } }
  | { kind: 'cancelled' };

/** What the run needs from the engine. */
export interface EvalScorer {
  /** Scores the solutions of one problem, truncating to the steps that fit the context. */
  score(problem: string, solutions: string[][]): Promise<ScorerOutcome>;
  /** Cancels the score in flight; its promise then settles with `cancelled`. */
  cancel(): void;
}

/** One request: a problem and the solutions of it still to score. */
export interface RunJob {
  problem: string;
  solutions: string[][];
}

export interface JobResult {
  /** Rewards per solution of the job, in order. */
  rewards: number[][];
  /** Per solution: scored on leading steps only. */
  truncated: boolean[];
}

export interface RunCallbacks {
  onResult(job: number, result: JobResult): void;
  onUnscorable?(job: number, reason: string): void;
  onProgress?(done: number, total: number): void;
}

export interface RunReport {
  status: 'done' | 'cancelled' | 'failed';
  /** Jobs finished (scored or unscorable). */
  done: number;
  error?: string;
}

/** A cancel flag the view sets; checked between jobs, and forwarded to the job in flight. */
export class RunControl {
  cancelled = false;
  #scorer: EvalScorer | null = null;
  attach(scorer: EvalScorer): void {
    this.#scorer = scorer;
  }
  cancel(): void {
    this.cancelled = true;
    this.#scorer?.cancel();
  }
}

/**
 * Scores `jobs` in order. Never throws: an engine error ends the run with `failed` and its
 * message, after the results already delivered.
 *
 * @example
 * const report = await runJobs([{ problem: 'p', solutions: [['a', 'b']] }], scorer, control, {
 *   onResult: (job, r) => store(job, r.rewards[0]),
 * }); // { status: 'done', done: 1 }
 */
export async function runJobs(
  jobs: readonly RunJob[],
  scorer: EvalScorer,
  control: RunControl,
  cb: RunCallbacks,
): Promise<RunReport> {
  control.attach(scorer);
  let done = 0;
  cb.onProgress?.(0, jobs.length);
  for (let i = 0; i < jobs.length; i++) {
    if (control.cancelled) return { status: 'cancelled', done };
    let out: ScorerOutcome;
    try {
      out = await scorer.score(jobs[i].problem, jobs[i].solutions);
    } catch (err) {
      // A cancel during model loading surfaces as a load error; it is still the user's cancel.
      if (control.cancelled) return { status: 'cancelled', done };
      return { status: 'failed', done, error: err instanceof Error ? err.message : String(err) };
    }
    if (out.kind === 'cancelled') return { status: 'cancelled', done };
    if (out.kind === 'overflow') {
      const o = out.overflow;
      cb.onUnscorable?.(
        i,
        `${o.tokenCount} tokens, more than the model's ${o.limit}, and not even the first step fits.`,
      );
    } else {
      const want = jobs[i].solutions.length;
      if (out.results.length !== want) {
        return {
          status: 'failed',
          done,
          error: `The engine returned ${out.results.length} results for ${want} solutions.`,
        };
      }
      cb.onResult(i, {
        rewards: out.results.map((r) => r.rewards),
        truncated: out.results.map((r, j) => r.scoredSteps < jobs[i].solutions[j].length),
      });
    }
    done++;
    cb.onProgress?.(done, jobs.length);
  }
  return { status: 'done', done };
}

export interface ProgressStats {
  fraction: number;
  /** Jobs per second so far; null before the first finishes. */
  rate: number | null;
  /** Seconds left at that rate; null when unknown. */
  etaS: number | null;
}

/**
 * Fraction done, rate and time left from counts and elapsed time.
 *
 * @example
 * progressStats(10, 40, 5000); // { fraction: 0.25, rate: 2, etaS: 15 }
 */
export function progressStats(done: number, total: number, elapsedMs: number): ProgressStats {
  const fraction = total > 0 ? done / total : 1;
  if (done === 0 || elapsedMs <= 0) return { fraction, rate: null, etaS: null };
  const rate = done / (elapsedMs / 1000);
  return { fraction, rate, etaS: (total - done) / rate };
}

/**
 * Rate and time left of a run, timed from the first finished job once there are two, so the
 * model's load and warm-up (paid by the first job) do not drag the rate down.
 *
 * @example
 * runProgressStats(3, 10, { startedAt: 0, firstAt: 9000, at: 11000 }); // { fraction: 0.3, rate: 1, etaS: 7 }
 */
export function runProgressStats(
  done: number,
  total: number,
  t: { startedAt: number; firstAt: number | null; at: number },
): ProgressStats {
  if (t.firstAt === null || done < 2) return progressStats(done, total, t.at - t.startedAt);
  const s = progressStats(done - 1, total - 1, t.at - t.firstAt);
  return { ...s, fraction: total > 0 ? done / total : 1 };
}

/**
 * Seconds as `1 h 02 min`, `3 min 05 s` or `12 s`.
 *
 * @example
 * formatDuration(185); // '3 min 05 s'
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  return `${s} s`;
}
