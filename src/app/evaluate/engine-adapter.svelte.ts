/**
 * The Evaluate view's bridge to the app's scoring engine (`EngineState`, src/app/engine.svelte.ts):
 * an `EvalScorer` over it, and a stand-alone engine for when the view is mounted without one.
 * Sharing the app's engine keeps one worker and one loaded model for both views. It does not
 * load models by itself: `EngineState.score` loads the chosen model on first use.
 */
import { EngineClient } from '../../engine/client.ts';
import { EngineState } from '../engine.svelte.ts';
import type { EvalScorer, ScorerOutcome } from './run.ts';

/**
 * Scores through the app's engine, always allowing truncation to the context window (a benchmark
 * run cannot stop to ask per item; truncated items are marked, as `prm eval` does).
 *
 * @example
 * const report = await runJobs(jobs, scorerFromEngine(engine), control, callbacks);
 */
export function scorerFromEngine(engine: EngineState): EvalScorer {
  return {
    score: (problem, solutions): Promise<ScorerOutcome> => engine.score(problem, solutions, true, () => {}),
    cancel: () => engine.cancel(),
  };
}

/** The page's stand-alone engine once started (reactive, for the view's model label). */
export const standalone = $state<{ engine: EngineState | null }>({ engine: null });
let starting: Promise<EngineState> | null = null;

/**
 * The page's stand-alone worker-backed engine, started and initialised (probe, bundled models) on
 * first use. Used only when the view is mounted without the app's engine.
 *
 * @example
 * const engine = await standaloneEngine();
 */
export function standaloneEngine(): Promise<EngineState> {
  starting ??= (async () => {
    const engine = new EngineState(EngineClient.start());
    await engine.init();
    standalone.engine = engine;
    return engine;
  })();
  return starting;
}
