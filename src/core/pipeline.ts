/**
 * The scoring pipeline shared by the browser worker and the CLI: plan the input with the model's
 * family, guard the context length, run the model through an injected `LogitsRunner`, turn logits
 * into step rewards.
 *
 * It owns no model and no tokenizer: callers pass a `TokenizerLike` and a runner (onnxruntime-web
 * in the worker, onnxruntime-node in the CLI). It does not segment text into steps.
 */
import { createFamily } from './families/index.ts';
import { firstError, stepRewards } from './rewards.ts';
import type { InputPlan, ModelSpec, StepScores, TokenizerLike } from './types.ts';

/** Runs the model on a batch of id sequences and returns one flat `[seqLen, 2]` logits array per input. */
export interface LogitsRunner {
  run(batch: number[][]): Promise<{ logits: Float32Array; seqLen: number }[]>;
}

/** The input does not fit the model's context; says how many leading steps would. */
export class ContextLengthError extends Error {
  constructor(
    readonly tokenCount: number,
    readonly limit: number,
    readonly fittingSteps: number,
    readonly totalSteps: number,
  ) {
    super(
      `The input is ${tokenCount} tokens but the model accepts at most ${limit}; ` +
        (fittingSteps > 0
          ? `the first ${fittingSteps} of ${totalSteps} steps fit. Shorten the solution or allow truncation to score only those.`
          : `not even the first of ${totalSteps} steps fits. Shorten the problem or the first step.`),
    );
    this.name = 'ContextLengthError';
  }
}

export type SolutionPlan = InputPlan & {
  /** Tokens of the full input (all steps). */
  tokenCount: number;
  /** Whether the full input fits `spec.context_length`. */
  fits: boolean;
  /** How many leading whole steps fit (all of them when `fits`). */
  fittingSteps: number;
};

export type ScoredSolution = StepScores & {
  /** Tokens of the full input (all steps), even when truncated. */
  tokenCount: number;
  /** Tokens actually sent to the model. */
  scoredTokenCount: number;
  /** Steps scored: fewer than given when the input was truncated. */
  scoredSteps: number;
};

export interface ScoreOptions {
  /** Defaults to `spec.default_threshold`. */
  threshold?: number;
  /** Score only the leading steps that fit instead of throwing `ContextLengthError`. */
  truncate?: boolean;
}

/**
 * Plans the model input for a solution and checks it against the context length.
 *
 * @example
 * const plan = planSolution(spec, tokenizer, 'What is 2+2?', ['2+2=4.', 'The answer is 4.']);
 * plan.scorePositions.length; // 2
 */
export function planSolution(
  spec: ModelSpec,
  tokenizer: TokenizerLike,
  problem: string,
  steps: string[],
): SolutionPlan {
  const builder = createFamily(spec);
  const plan = builder.build(tokenizer, problem, steps);
  const tokenCount = plan.inputIds.length;
  const limit = spec.context_length;
  if (tokenCount <= limit) return { ...plan, tokenCount, fits: true, fittingSteps: steps.length };
  // Step i's tokens end at its score position, so the positions give a close first guess; the
  // loop settles the few tokens (e.g. `<|im_end|>\n`) that follow the last step.
  let k = plan.scorePositions.filter((p) => p < limit).length;
  while (k > 0 && builder.build(tokenizer, problem, steps.slice(0, k)).inputIds.length > limit) k--;
  return { ...plan, tokenCount, fits: false, fittingSteps: k };
}

function resolveThreshold(spec: ModelSpec, opts: ScoreOptions): number {
  const threshold = opts.threshold ?? spec.default_threshold;
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
    throw new Error(`The threshold must be a number between 0 and 1, got ${threshold}.`);
  }
  return threshold;
}

/** The plan to run (truncated if allowed) and the full plan's token count, or a thrown reason. */
function prepare(
  spec: ModelSpec,
  tokenizer: TokenizerLike,
  problem: string,
  steps: string[],
  opts: ScoreOptions,
): { plan: InputPlan; tokenCount: number } {
  const full = planSolution(spec, tokenizer, problem, steps);
  if (full.fits) return { plan: full, tokenCount: full.tokenCount };
  if (!opts.truncate || full.fittingSteps === 0) {
    throw new ContextLengthError(full.tokenCount, spec.context_length, full.fittingSteps, steps.length);
  }
  const plan = createFamily(spec).build(tokenizer, problem, steps.slice(0, full.fittingSteps));
  return { plan, tokenCount: full.tokenCount };
}

function finish(
  prepared: { plan: InputPlan; tokenCount: number },
  out: { logits: Float32Array; seqLen: number } | undefined,
  threshold: number,
): ScoredSolution {
  const { plan, tokenCount } = prepared;
  if (!out) throw new Error('The model runner returned fewer results than inputs.');
  if (out.seqLen < plan.inputIds.length) {
    throw new Error(
      `The model runner returned ${out.seqLen} positions for an input of ${plan.inputIds.length} tokens.`,
    );
  }
  const rewards = stepRewards(out.logits, out.seqLen, plan.scorePositions);
  return {
    rewards,
    firstError: firstError(rewards, threshold),
    threshold,
    tokenCount,
    scoredTokenCount: plan.inputIds.length,
    scoredSteps: plan.scorePositions.length,
  };
}

/**
 * Scores every step of one solution.
 *
 * @example
 * const s = await scoreSolution(spec, tokenizer, runner, problem, steps, { truncate: true });
 * s.rewards; // p(correct) per scored step
 * s.firstError; // index of the first step at or below the threshold, or -1
 */
export async function scoreSolution(
  spec: ModelSpec,
  tokenizer: TokenizerLike,
  runner: LogitsRunner,
  problem: string,
  steps: string[],
  opts: ScoreOptions = {},
): Promise<ScoredSolution> {
  const threshold = resolveThreshold(spec, opts);
  const prepared = prepare(spec, tokenizer, problem, steps, opts);
  const [out] = await runner.run([prepared.plan.inputIds]);
  return finish(prepared, out, threshold);
}

/** Per-solution outcome of `scoreSolutions`: scores, or the reason this one could not be scored. */
export type BatchResult =
  { scores: ScoredSolution; error?: undefined } | { scores?: undefined; error: Error };

/**
 * Scores several solutions with one runner call. A solution that cannot be planned (too long
 * without truncation, a step containing the step token) gets `error` and the others still run;
 * errors from the runner itself reject the whole batch.
 *
 * @example
 * const results = await scoreSolutions(spec, tokenizer, runner, items.map((it) => ({ problem: it.problem, steps: it.steps })));
 * results[0].scores?.rewards;
 */
export async function scoreSolutions(
  spec: ModelSpec,
  tokenizer: TokenizerLike,
  runner: LogitsRunner,
  solutions: { problem: string; steps: string[] }[],
  opts: ScoreOptions = {},
): Promise<BatchResult[]> {
  const threshold = resolveThreshold(spec, opts);
  const prepared = solutions.map((s) => {
    try {
      return prepare(spec, tokenizer, s.problem, s.steps, opts);
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  });
  const runnable = prepared.filter(
    (p): p is { plan: InputPlan; tokenCount: number } => !(p instanceof Error),
  );
  const outs = runnable.length > 0 ? await runner.run(runnable.map((p) => p.plan.inputIds)) : [];
  if (outs.length !== runnable.length) {
    throw new Error(`The model runner returned ${outs.length} results for ${runnable.length} inputs.`);
  }
  let next = 0;
  return prepared.map((p) =>
    p instanceof Error ? { error: p } : { scores: finish(p, outs[next++], threshold) },
  );
}
