/**
 * The scoring pipeline shared by the browser worker, `prm score` and `prm eval`, in two phases:
 * `planScore` turns a problem and its steps into the model input (the family builds it, the
 * context length is guarded, truncation keeps the leading whole steps that fit), and `runPlans`
 * runs planned inputs through an injected `ScoreRunner` (a local graph's logits, or a vLLM server's
 * step rewards) and turns what it returns into step rewards.
 * Callers plan every input first (an overflow is reported before any model time is spent), batch
 * the plans (./batching.ts), then run them; `scoreSolution(s)` compose the two for one call.
 *
 * It owns no model and no tokenizer: callers pass a `TokenizerLike` and a runner (onnxruntime-web
 * in the worker, onnxruntime-node in the CLI). It does not segment text into steps.
 */
import { createFamily } from './families/index.ts';
import { firstError, stepRewards } from './rewards.ts';
import type { ItemLogits, LogitsRunner, ScoreRunner } from './runner.ts';
import type { InputPlan, ModelSpec, StepScores, TokenizerLike } from './types.ts';

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

/** A solution ready to run: its model input and what planning found out about its length. */
export interface ScorePlan extends InputPlan {
  /** Tokens of the full input (every step), even when truncated. */
  tokenCount: number;
  /** Steps given. */
  totalSteps: number;
  /** True when only the leading steps that fit the context are scored. */
  truncated: boolean;
}

/**
 * The threshold a run uses: `threshold`, or the model's default when absent. Call it where the
 * value enters (a request, a flag), once; `runPlans` trusts what it gets.
 *
 * @example
 * resolveThreshold(spec, undefined); // spec.default_threshold
 * resolveThreshold(spec, 2); // Error: The threshold must be a number between 0 and 1, got 2.
 */
export function resolveThreshold(spec: ModelSpec, threshold?: unknown): number {
  const t = threshold ?? spec.default_threshold;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > 1) {
    throw new Error(`The threshold must be a number between 0 and 1, got ${String(t)}.`);
  }
  return t;
}

/**
 * Plans one solution, tokenizing it once; when it is longer than the context, keeps the leading
 * whole steps that fit if `truncate`, else throws `ContextLengthError` (so does a first step that
 * alone is too long). A step the family cannot place throws `PromptError`.
 *
 * @example
 * const p = planScore(spec, tokenizer, 'What is 2+2?', ['2 + 2 = 4.', 'The answer is 4.'], false);
 * p.scorePositions.length; // 2
 */
export function planScore(
  spec: ModelSpec,
  tokenizer: TokenizerLike,
  problem: string,
  steps: string[],
  truncate: boolean,
): ScorePlan {
  const full = planSolution(spec, tokenizer, problem, steps);
  const base = { tokenCount: full.tokenCount, totalSteps: steps.length };
  if (full.fits)
    return { inputIds: full.inputIds, scorePositions: full.scorePositions, ...base, truncated: false };
  if (!truncate || full.fittingSteps === 0) {
    throw new ContextLengthError(full.tokenCount, spec.context_length, full.fittingSteps, steps.length);
  }
  const part = createFamily(spec).build(tokenizer, problem, steps.slice(0, full.fittingSteps));
  return { inputIds: part.inputIds, scorePositions: part.scorePositions, ...base, truncated: true };
}

function logitsRewards(plan: ScorePlan, out: ItemLogits): number[] {
  if (out.seqLen < plan.inputIds.length) {
    throw new Error(
      `The model runner returned ${out.seqLen} positions for an input of ${plan.inputIds.length} tokens.`,
    );
  }
  return stepRewards(out.logits, out.seqLen, plan.scorePositions);
}

function finish(plan: ScorePlan, rewards: number[], threshold: number): ScoredSolution {
  if (rewards.length !== plan.scorePositions.length) {
    throw new Error(
      `The runner returned ${rewards.length} step rewards for ${plan.scorePositions.length} steps.`,
    );
  }
  return {
    rewards,
    firstError: firstError(rewards, threshold),
    threshold,
    tokenCount: plan.tokenCount,
    scoredTokenCount: plan.inputIds.length,
    scoredSteps: plan.scorePositions.length,
  };
}

/**
 * Runs planned inputs as one batch (one runner call) and scores each at its own positions: from
 * the logits of a local graph, or as the step rewards a server returns. `threshold` must come
 * from `resolveThreshold`.
 *
 * @example
 * const [a, b] = await runPlans(runner, [plan1, plan2], 0.5); // a.rewards.length === plan1.scorePositions.length
 */
export async function runPlans(
  runner: ScoreRunner,
  plans: ScorePlan[],
  threshold: number,
): Promise<ScoredSolution[]> {
  if (plans.length === 0) return [];
  const rewards = 'stepRewards' in runner ? await runner.stepRewards(plans) : await runLogits(runner, plans);
  if (rewards.length !== plans.length) {
    throw new Error(`The model runner returned ${rewards.length} results for ${plans.length} inputs.`);
  }
  return plans.map((p, i) => finish(p, rewards[i], threshold));
}

async function runLogits(runner: LogitsRunner, plans: ScorePlan[]): Promise<number[][]> {
  const outs = await runner.run(plans.map((p) => p.inputIds));
  if (outs.length !== plans.length) {
    throw new Error(`The model runner returned ${outs.length} results for ${plans.length} inputs.`);
  }
  return plans.map((p, i) => logitsRewards(p, outs[i]));
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
  runner: ScoreRunner,
  problem: string,
  steps: string[],
  opts: ScoreOptions = {},
): Promise<ScoredSolution> {
  const threshold = resolveThreshold(spec, opts.threshold);
  const plan = planScore(spec, tokenizer, problem, steps, opts.truncate === true);
  const [scored] = await runPlans(runner, [plan], threshold);
  return scored;
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
  runner: ScoreRunner,
  solutions: { problem: string; steps: string[] }[],
  opts: ScoreOptions = {},
): Promise<BatchResult[]> {
  const threshold = resolveThreshold(spec, opts.threshold);
  const planned = solutions.map((s) => {
    try {
      return planScore(spec, tokenizer, s.problem, s.steps, opts.truncate === true);
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  });
  const runnable = planned.filter((p): p is ScorePlan => !(p instanceof Error));
  const scored = await runPlans(runner, runnable, threshold);
  let next = 0;
  return planned.map((p) => (p instanceof Error ? { error: p } : { scores: scored[next++] }));
}
