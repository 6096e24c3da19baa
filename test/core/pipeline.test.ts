import { describe, expect, it } from 'vitest';
import { ContextLengthError, planSolution, scoreSolution, scoreSolutions } from '../../src/core/pipeline.ts';
import type { LogitsRunner } from '../../src/core/runner.ts';
import { specFor } from './fixtures/specs.ts';
import { toyTokenizer } from './fixtures/toy-tokenizer.ts';

/**
 * A test double for the model: logits [0, (p - 10) / 4] at token p, so the reward at p is
 * sigmoid((p - 10) / 4) and the test can say which positions were read. Records every batch.
 */
function positionRunner(): LogitsRunner & { calls: number[][][] } {
  const calls: number[][][] = [];
  return {
    calls,
    async run(batch) {
      calls.push(batch);
      return batch.map((ids) => {
        const logits = new Float32Array(ids.length * 2);
        ids.forEach((_, p) => (logits[2 * p + 1] = (p - 10) / 4));
        return { logits, seqLen: ids.length };
      });
    },
  };
}

const SIG_M1 = 0.2689414213699951; // sigmoid(-1): position 6
const SIG_M025 = 0.4378234991142019; // sigmoid(-0.25): position 9

// value-head tokens: ['<bos>', 'What', ' is', ' 2+2?', '\n', '2+2=4.', '\n', 'So', ' 4.', '\n'], scores at 6 and 9.
const PROBLEM = 'What is 2+2?';
const STEPS = ['2+2=4.', 'So 4.'];
const valueHead = (context_length = 4096) => specFor('value-head', { context_length });
const vhTokenizer = () => toyTokenizer({ bos: '<bos>' });

describe('planSolution(spec, tokenizer, problem, steps)', () => {
  it('returns the family plan with its token count when it fits', () => {
    const plan = planSolution(valueHead(), vhTokenizer(), PROBLEM, STEPS);
    expect(plan).toMatchObject({ scorePositions: [6, 9], tokenCount: 10, fits: true, fittingSteps: 2 });
    expect(plan.inputIds).toHaveLength(10);
  });

  it.each([
    [10, true, 2],
    [9, false, 1],
    [7, false, 1],
    [6, false, 0],
  ])('with context_length %d: fits %s, %d whole leading steps fit', (limit, fits, fittingSteps) => {
    const plan = planSolution(valueHead(limit), vhTokenizer(), PROBLEM, STEPS);
    expect(plan.tokenCount).toBe(10);
    expect(plan.fits).toBe(fits);
    expect(plan.fittingSteps).toBe(fittingSteps);
  });

  it('counts the chat template tokens after the last step (qwen-prm)', () => {
    // <|im_start|> user \n Q <|im_end|> \n <|im_start|> assistant \n a <extra_0> b <extra_0> <|im_end|> \n
    const spec = specFor('qwen-prm', { system_prompt: null, context_length: 13 });
    const tok = toyTokenizer({ specials: ['<extra_0>'], chatml: true });
    const plan = planSolution(spec, tok, 'Q', ['a', 'b']);
    expect(plan.scorePositions).toEqual([10, 12]);
    // Both tags sit below 13, but two steps need 15 tokens with `<|im_end|>\n`; one step needs 13.
    expect(plan).toMatchObject({ tokenCount: 15, fits: false, fittingSteps: 1 });
  });
});

describe('scoreSolution(spec, tokenizer, runner, problem, steps, opts)', () => {
  it('reads the rewards at the family positions and finds the first error', async () => {
    const runner = positionRunner();
    const s = await scoreSolution(valueHead(), vhTokenizer(), runner, PROBLEM, STEPS, {});
    expect(s).toEqual({
      rewards: [SIG_M1, SIG_M025],
      firstError: 0,
      threshold: 0.5,
      tokenCount: 10,
      scoredTokenCount: 10,
      scoredSteps: 2,
    });
    expect(runner.calls).toHaveLength(1);
    expect(runner.calls[0]).toHaveLength(1);
  });

  it('uses opts.threshold over the spec default', async () => {
    const s = await scoreSolution(valueHead(), vhTokenizer(), positionRunner(), PROBLEM, STEPS, {
      threshold: 0.25,
    });
    expect(s.firstError).toBe(-1);
    expect(s.threshold).toBe(0.25);
  });

  it('throws ContextLengthError with the counts when the input is too long', async () => {
    const run = scoreSolution(valueHead(8), vhTokenizer(), positionRunner(), PROBLEM, STEPS);
    await expect(run).rejects.toBeInstanceOf(ContextLengthError);
    await expect(run).rejects.toMatchObject({ tokenCount: 10, limit: 8, fittingSteps: 1, totalSteps: 2 });
    await expect(run).rejects.toThrow(
      'The input is 10 tokens but the model accepts at most 8; the first 1 of 2 steps fit. ' +
        'Shorten the solution or allow truncation to score only those.',
    );
  });

  it('with truncate scores only the leading steps that fit', async () => {
    const runner = positionRunner();
    const s = await scoreSolution(valueHead(8), vhTokenizer(), runner, PROBLEM, STEPS, { truncate: true });
    expect(s).toEqual({
      rewards: [SIG_M1],
      firstError: 0,
      threshold: 0.5,
      tokenCount: 10,
      scoredTokenCount: 7,
      scoredSteps: 1,
    });
    expect(runner.calls[0][0]).toHaveLength(7);
  });

  it('throws even with truncate when not one step fits', async () => {
    const run = scoreSolution(valueHead(6), vhTokenizer(), positionRunner(), PROBLEM, STEPS, {
      truncate: true,
    });
    await expect(run).rejects.toThrow(
      'The input is 10 tokens but the model accepts at most 6; not even the first of 2 steps fits.',
    );
  });

  it('scores a qwen-prm solution at its <extra_0> positions', async () => {
    const spec = specFor('qwen-prm', { system_prompt: null });
    const tok = toyTokenizer({ specials: ['<extra_0>'], chatml: true });
    const s = await scoreSolution(spec, tok, positionRunner(), 'Q', ['a', 'b']);
    // Positions 10 and 12: sigmoid(0) and sigmoid(0.5).
    expect(s.rewards).toEqual([0.5, 0.6224593312018546]);
    expect(s.firstError).toBe(0);
  });

  it.each([
    ['a threshold above 1', { threshold: 2 }, 'The threshold must be a number between 0 and 1, got 2.'],
    ['a NaN threshold', { threshold: NaN }, 'The threshold must be a number between 0 and 1, got NaN.'],
  ])('rejects %s', async (_name, opts, message) => {
    await expect(
      scoreSolution(valueHead(), vhTokenizer(), positionRunner(), PROBLEM, STEPS, opts),
    ).rejects.toThrow(message);
  });

  it('rejects a runner that returns fewer positions than the input has', async () => {
    const short: LogitsRunner = { run: async () => [{ logits: new Float32Array(4), seqLen: 2 }] };
    await expect(scoreSolution(valueHead(), vhTokenizer(), short, PROBLEM, STEPS)).rejects.toThrow(
      'The model runner returned 2 positions for an input of 10 tokens.',
    );
  });
});

describe('scoreSolutions(spec, tokenizer, runner, solutions, opts)', () => {
  it('runs the plannable solutions in one batch and reports the others in place', async () => {
    const runner = positionRunner();
    const results = await scoreSolutions(valueHead(8), vhTokenizer(), runner, [
      { problem: 'Q', steps: ['a'] }, // [<bos>, Q, \n, a, \n]: 5 tokens
      { problem: PROBLEM, steps: STEPS }, // 10 tokens: too long
      { problem: 'Q', steps: [] },
      { problem: 'R', steps: ['b', 'c'] }, // 7 tokens
    ]);
    expect(runner.calls).toHaveLength(1);
    expect(runner.calls[0].map((ids) => ids.length)).toEqual([5, 7]);
    // Scores at positions 4 (sigmoid(-1.5)) and 6 (sigmoid(-1)).
    expect(results[0].scores?.rewards).toEqual([0.18242552380635632]);
    expect(results[1].error).toBeInstanceOf(ContextLengthError);
    expect(results[2].error?.message).toMatch(/There are no steps to score/);
    expect(results[3].scores?.rewards).toEqual([0.18242552380635632, SIG_M1]);
  });

  it('rejects a runner that returns the wrong number of results', async () => {
    const broken: LogitsRunner = { run: async () => [] };
    await expect(
      scoreSolutions(valueHead(), vhTokenizer(), broken, [{ problem: 'Q', steps: ['a'] }]),
    ).rejects.toThrow('The model runner returned 0 results for 1 inputs.');
  });
});
