/**
 * The benchmark's inputs: three solutions (short, typical, long: about 100, 400 and 1,500 tokens
 * in the model's own tokenizer) built from our synthetic problem generator (src/core/synth), so
 * every backend scores exactly the same text and nothing from ProcessBench is committed.
 *
 * Steps are taken in order from a seeded stream of synthetic solutions until the planned input
 * reaches the target length; the long one is capped below the model's context length (a model
 * with a 1,024-token context gets a ~1,000-token "long"). It does no I/O and runs no model.
 */
import { planSolution } from '../src/core/pipeline.ts';
import { synthItem } from '../src/core/synth/index.ts';
import { itemSeed } from '../src/core/synth/rng.ts';
import type { ModelSpec, TokenizerLike } from '../src/core/types.ts';

export type SolutionName = 'short' | 'typical' | 'long';

export const SOLUTION_TARGETS: Record<SolutionName, number> = { short: 100, typical: 400, long: 1500 };
export const SOLUTION_NAMES = Object.keys(SOLUTION_TARGETS) as SolutionName[];

export interface BenchSolution {
  name: SolutionName;
  /** Token count asked for (after capping to the context). */
  target: number;
  problem: string;
  steps: string[];
  /** Tokens of the planned model input (prompt included), in this model's tokenizer. */
  tokens: number;
  /** Model input ids and score positions (what the PyTorch backend is fed, so Python never tokenizes). */
  inputIds: number[];
  scorePositions: number[];
}

/** Synthetic steps, in a fixed order, from the solutions of seed `seed`. */
function* stepStream(seed: number): Generator<string> {
  for (let i = 0; ; i++) yield* synthItem(itemSeed(seed, i), `bench-${i}`, 1).steps;
}

/**
 * Builds one solution of about `target` tokens (never more than `limit`).
 *
 * @example
 * const s = buildSolution(spec, tokenizer, 'typical', 400, 1024);
 * s.tokens; // e.g. 407
 */
export function buildSolution(
  spec: ModelSpec,
  tokenizer: TokenizerLike,
  name: SolutionName,
  target: number,
  limit: number,
  seed = 20260501,
): BenchSolution {
  const problem = synthItem(itemSeed(seed, 0), 'bench-problem', 1).problem;
  const steps: string[] = [];
  let plan = null as ReturnType<typeof planSolution> | null;
  for (const step of stepStream(seed)) {
    const next = planSolution(spec, tokenizer, problem, [...steps, step]);
    // Stop before passing the cap; past the target stop at whichever length is closer.
    if (next.tokenCount > limit) break;
    if (plan && next.tokenCount > target && next.tokenCount - target > target - plan.tokenCount) break;
    steps.push(step);
    plan = next;
    if (plan.tokenCount >= target) break;
  }
  if (plan && !plan.inputIds.every((id) => Number.isInteger(id))) {
    const bad = steps.find((step) => !tokenizer.encode(step).every((id) => Number.isInteger(id))) ?? problem;
    throw new Error(
      `The model's tokenizer gives no token id for part of the benchmark text (e.g. in ${JSON.stringify(bad.slice(0, 60))}): ` +
        'a word-level tokenizer without a working unk token? Give the model a tokenizer that covers plain English and digits ' +
        '(bench/big-model.ts writes a character-level one for synthetic models).',
    );
  }
  if (!plan) {
    throw new Error(
      `Cannot build the ${name} benchmark solution: one step already exceeds ${limit} tokens ` +
        `(the model's context is ${spec.context_length}).`,
    );
  }
  return {
    name,
    target,
    problem,
    steps,
    tokens: plan.tokenCount,
    inputIds: plan.inputIds,
    scorePositions: plan.scorePositions,
  };
}

/**
 * The short, typical and long solutions for a model. Targets beyond the context are capped to
 * `context_length - 16` and the returned `target` says so.
 *
 * @example
 * benchSolutions(spec, tokenizer).map((s) => s.tokens); // e.g. [103, 401, 1008] for a 1,024 context
 */
export function benchSolutions(
  spec: ModelSpec,
  tokenizer: TokenizerLike,
  names: SolutionName[] = SOLUTION_NAMES,
): BenchSolution[] {
  const limit = spec.context_length - 16;
  return names.map((name) => {
    const target = Math.min(SOLUTION_TARGETS[name], limit);
    return buildSolution(spec, tokenizer, name, target, limit);
  });
}
