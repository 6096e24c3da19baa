import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScoreCommand } from '../../src/cli/commands/score.ts';
import { referenceForward } from '../../src/convert/reference.ts';
import { planSolution } from '../../src/core/pipeline.ts';
import { aggregate, firstError } from '../../src/core/rewards.ts';
import { readModelSpec } from '../../src/node/model.ts';
import { loadTokenizerDir } from '../../src/node/tokenizer-files.ts';
import { makeTinyModel, patchSpec, softmax1, type TinyModel } from './tiny-model.ts';
import { captureIO, jsonLines, runPrm } from '../support/prm-cli.ts';

let m: TinyModel;
beforeAll(async () => {
  m = await makeTinyModel({ dtypes: ['fp32', 'q4'] });
});
afterAll(() => fs.rmSync(m.root, { recursive: true, force: true }));

const PROBLEM = 'Sue has 18 flamingos . Then we add 6 . What is the total ?';
const STEPS = ['18 + 6 = 24 .', 'so the sum is 24 .', 'the answer is 24 .'];
const SOLUTION = STEPS.join('\n\n');

/** Rewards of the independent reference forward pass at the plan's step positions. */
function referenceRewards(problem: string, steps: string[]): { rewards: number[]; tokens: number } {
  const plan = planSolution(readModelSpec(m.dir), loadTokenizerDir(m.dir), problem, steps);
  const logits = referenceForward(m.ckpt.cfg, (n) => m.ckpt.weights[n], plan.inputIds);
  return {
    rewards: plan.scorePositions.map((p) => softmax1(logits[2 * p], logits[2 * p + 1])),
    tokens: plan.tokenCount,
  };
}

describe('prm score --problem --solution --json', () => {
  it('matches the reference forward pass at the step positions within 1e-4 (fp32)', async () => {
    const r = await runPrm('score', {
      model: m.dir,
      dtype: 'fp32',
      problem: PROBLEM,
      solution: SOLUTION,
      json: true,
    });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const got = JSON.parse(r.out);
    const ref = referenceRewards(PROBLEM, STEPS);
    expect(got.steps).toEqual(STEPS);
    expect(got.rewards).toHaveLength(3);
    got.rewards.forEach((x: number, i: number) => expect(Math.abs(x - ref.rewards[i])).toBeLessThan(1e-4));
    expect(got.tokens).toBe(ref.tokens);
    expect(got).toMatchObject({
      threshold: 0.5,
      model: 'tiny-test',
      dtype: 'fp32',
      first_error: firstError(got.rewards, 0.5),
    });
    expect(Object.keys(got)).toEqual([
      'steps',
      'rewards',
      'first_error',
      'aggregate',
      'threshold',
      'model',
      'dtype',
      'tokens',
    ]);
    for (const how of ['min', 'product', 'last', 'mean'] as const) {
      expect(got.aggregate[how]).toBeCloseTo(aggregate(got.rewards, how), 12);
    }
  });

  it('applies --threshold to the first error', async () => {
    const ref = referenceRewards(PROBLEM, STEPS).rewards;
    // Just above the lowest reward, so that step becomes (or stays) the first error.
    const t = Math.min(...ref) + 1e-3;
    const r = await runPrm('score', {
      model: m.dir,
      dtype: 'fp32',
      problem: PROBLEM,
      solution: SOLUTION,
      threshold: String(t),
      json: true,
    });
    const got = JSON.parse(r.out);
    expect(got.threshold).toBe(t);
    expect(got.first_error).toBe(firstError(ref, t));
    expect(got.first_error).toBeGreaterThanOrEqual(0);
  });

  it('defaults to the q4 variant when the folder has it', async () => {
    // q4 accuracy against fp32 is the converter's test; here: the variant picked and the shape.
    const r = await runPrm('score', { model: m.dir, problem: PROBLEM, solution: SOLUTION, json: true });
    const got = JSON.parse(r.out);
    expect(got.dtype).toBe('q4');
    expect(got.rewards).toHaveLength(3);
    got.rewards.forEach((x: number) => expect(x > 0 && x < 1).toBe(true));
  });
});

describe('prm score --problem --solution (table)', () => {
  it('prints each step with its reward, the first error and the aggregates', async () => {
    const r = await runPrm('score', { model: m.dir, dtype: 'fp32', problem: PROBLEM, solution: SOLUTION });
    expect(r.code).toBe(0);
    const ref = referenceRewards(PROBLEM, STEPS).rewards;
    const fe = firstError(ref, 0.5);
    expect(r.out).toMatch(/^model tiny-test \(fp32\), threshold 0\.5, \d+ tokens/);
    STEPS.forEach((s, i) => {
      expect(r.out).toContain(
        `${String(i + 1).padStart(4)} ${ref[i].toFixed(3).padStart(7)}  ${(ref[i] <= 0.5 ? 'WRONG' : 'ok').padEnd(8)}  ${s}`,
      );
    });
    expect(r.out).toContain(fe === -1 ? 'first error: none' : `first error: step ${fe + 1}`);
    expect(r.out).toMatch(
      /aggregates: {2}min \d\.\d{3} {2}product \d\.\d{3} {2}last \d\.\d{3} {2}mean \d\.\d{3}/,
    );
  });
});

describe('prm score: stdin, files and context', () => {
  it('reads --solution - from stdin and --solution-file from disk, with the same result', async () => {
    const viaStdin = captureIO();
    const cmd = createScoreCommand(async () => SOLUTION);
    expect(
      await cmd.run(
        ['--model', m.dir, '--dtype', 'fp32', '--problem', PROBLEM, '--solution', '-', '--json'],
        viaStdin,
      ),
    ).toBe(0);
    const file = path.join(m.root, 'solution.txt');
    fs.writeFileSync(file, SOLUTION);
    const viaFile = await runPrm('score', {
      model: m.dir,
      dtype: 'fp32',
      problem: PROBLEM,
      'solution-file': file,
      json: true,
    });
    expect(JSON.parse(viaStdin.out).rewards).toEqual(JSON.parse(viaFile.out).rewards);
    expect(JSON.parse(viaFile.out).steps).toEqual(STEPS);
  });

  it('refuses an input longer than the context with tokens, limit and fitting steps; --truncate scores those', async () => {
    const dir = path.join(m.root, 'short-context');
    fs.cpSync(m.dir, dir, { recursive: true });
    const ref = referenceRewards(PROBLEM, STEPS);
    const two = referenceRewards(PROBLEM, STEPS.slice(0, 2));
    patchSpec(dir, { context_length: two.tokens });
    const r = await runPrm('score', { model: dir, dtype: 'fp32', problem: PROBLEM, solution: SOLUTION });
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `prm score: the input is ${ref.tokens} tokens but the model accepts at most ${two.tokens}: ` +
        'the first 2 of 3 steps fit; pass --truncate to score only those, or shorten the solution.\n',
    );
    const t = await runPrm('score', {
      model: dir,
      dtype: 'fp32',
      problem: PROBLEM,
      solution: SOLUTION,
      truncate: true,
      json: true,
    });
    expect(t.code).toBe(0);
    const got = JSON.parse(t.out);
    expect(got.truncated).toBe(true);
    expect(got.steps).toEqual(STEPS);
    expect(got.rewards).toHaveLength(2);
    got.rewards.forEach((x: number, i: number) => expect(Math.abs(x - two.rewards[i])).toBeLessThan(1e-4));
    const text = await runPrm('score', {
      model: dir,
      dtype: 'fp32',
      problem: PROBLEM,
      solution: SOLUTION,
      truncate: true,
    });
    expect(text.out).toContain(`only the first 2 of 3 steps were scored (--truncate)`);
    expect(text.out).toContain('   3       -  unscored  the answer is 24 .');
  });
});

describe('prm score --input FILE', () => {
  const records = [
    { id: 'a', problem: PROBLEM, steps: STEPS },
    { problem: PROBLEM, solution: SOLUTION },
    { id: 'c', problem: PROBLEM, steps: STEPS.slice(0, 1) },
    { id: 'd', problem: 'Sue has 3 flamingos .', solution: '3 + 3 = 6 .\n\nthe answer is 6 .' },
    { id: 'e', problem: PROBLEM, steps: [STEPS[1], STEPS[0]] },
  ];
  const jsonl = (recs: unknown[], bad: Record<number, string> = {}) =>
    recs.map((r, i) => bad[i] ?? JSON.stringify(r)).join('\n') + '\n';

  it('prints one JSON line per record, equal to the reference; batch size does not change results', async () => {
    const file = path.join(m.root, 'in.jsonl');
    fs.writeFileSync(file, jsonl(records));
    const one = await runPrm('score', { model: m.dir, dtype: 'fp32', input: file, batch: '1' });
    const four = await runPrm('score', { model: m.dir, dtype: 'fp32', input: file, batch: '4' });
    expect(one.code).toBe(0);
    expect(one.err).toBe('');
    const a = jsonLines(one.out);
    const b = jsonLines(four.out);
    expect(a.map((x) => x.id)).toEqual(['a', '2', 'c', 'd', 'e']);
    expect(Object.keys(a[0])).toEqual(['id', 'steps', 'rewards', 'first_error', 'aggregate']);
    expect(Object.keys(a[0].aggregate)).toEqual(['min', 'product', 'last', 'mean']);
    a.forEach((x, i) => {
      const rec = records[i];
      const steps = rec.steps ?? (rec.solution as string).split('\n\n');
      expect(x.steps).toEqual(steps);
      const ref = referenceRewards(rec.problem, steps).rewards;
      x.rewards.forEach((v: number, j: number) => {
        expect(Math.abs(v - ref[j])).toBeLessThan(1e-4);
        expect(Math.abs(v - b[i].rewards[j])).toBeLessThan(1e-5);
      });
      expect(x.first_error).toBe(firstError(x.rewards, 0.5));
    });
  });

  it('skips bad records by line number, scores the rest, and exits 1 with a summary', async () => {
    const file = path.join(m.root, 'bad.jsonl');
    const bad = {
      1: '{"problem": "x", "steps": [',
      3: JSON.stringify({ id: 'no-solution', problem: PROBLEM }),
    };
    fs.writeFileSync(file, jsonl(records, bad));
    const r = await runPrm('score', { model: m.dir, input: file });
    expect(r.code).toBe(1);
    expect(jsonLines(r.out).map((l) => l.id)).toEqual(['a', 'c', 'e']);
    expect(r.err).toMatch(/^skipped: bad\.jsonl line 2: not valid JSON/m);
    expect(r.err).toMatch(/^skipped: bad\.jsonl line 4: missing the solution/m);
    expect(r.err.trim().split('\n').at(-1)).toBe('2 records skipped (lines 2, 4); 3 scored.');
  });

  it('--on-error stop prints what came before the bad record and stops there', async () => {
    const file = path.join(m.root, 'stop.jsonl');
    fs.writeFileSync(file, jsonl(records, { 2: '{"id": "c", "problem": "", "steps": ["x"]}' }));
    const r = await runPrm('score', { model: m.dir, input: file, 'on-error': 'stop' });
    expect(r.code).toBe(1);
    expect(jsonLines(r.out).map((l) => l.id)).toEqual(['a', '2']);
    expect(r.err).toContain('stop.jsonl line 3: field "problem" must be a non-empty string');
    expect(r.err).toContain('stopped at stop.jsonl line 3 (--on-error stop); 2 records scored before it.');
  });

  it('reports a record over the context as a bad record unless --truncate', async () => {
    const dir = path.join(m.root, 'short-context-input');
    fs.cpSync(m.dir, dir, { recursive: true });
    patchSpec(dir, { context_length: referenceRewards(PROBLEM, STEPS.slice(0, 2)).tokens });
    const file = path.join(m.root, 'long.json');
    fs.writeFileSync(file, JSON.stringify(records.slice(0, 3)));
    const r = await runPrm('score', { model: dir, input: file });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /skipped: long\.json item 0 \(id a\): the input is \d+ tokens but the model accepts at most \d+: the first 2 of 3 steps fit/,
    );
    expect(r.err).toContain('2 records skipped (items 0, 1); 1 scored.');
    const t = await runPrm('score', { model: dir, input: file, truncate: true });
    expect(t.code).toBe(0);
    expect(jsonLines(t.out).map((l) => [l.rewards.length, l.truncated])).toEqual([
      [2, true],
      [2, true],
      [1, undefined],
    ]);
  });
});

describe('prm score: bad usage', () => {
  it.each([
    { argv: ['--problem', 'p', '--solution', 's', '--bogus'], msg: 'unknown option --bogus.' },
    {
      argv: ['--problem', 'p', '--solution', 's', '--threshold', '2'],
      msg: '--threshold must be a number between 0 and 1, got 2.',
    },
    {
      argv: ['--problem', 'p', '--solution', 's', '--threshold', 'high'],
      msg: '--threshold must be a number between 0 and 1, got high.',
    },
    {
      argv: ['--problem', 'p', '--solution', 's', '--dtype', 'int8'],
      msg: '--dtype must be one of fp32, fp16, q4, q4f16, got int8.',
    },
    { argv: ['--problem', 'p'], msg: 'give the solution with --solution TEXT or --solution-file FILE.' },
    { argv: ['--solution', 's'], msg: 'give --problem TEXT with --solution, or use --input FILE.' },
    { argv: ['--problem', '-', '--solution', '-'], msg: "only one of --problem and --solution can be '-'" },
    {
      argv: ['--problem', 'p', '--solution', 's', '--strategy', 'words'],
      msg: '--strategy must be one of auto, paragraphs, markers, lines, sentences, got words.',
    },
    {
      argv: ['--input', 'x.jsonl', '--problem', 'p'],
      msg: 'use either --input FILE or --problem/--solution, not both.',
    },
    {
      argv: ['--input', 'x.jsonl', '--on-error', 'ignore'],
      msg: '--on-error must be skip or stop, got ignore.',
    },
    {
      argv: ['--input', 'x.jsonl', '--batch', '0'],
      msg: '--batch must be a whole number of at least 1, got 0.',
    },
  ])('$argv -> exit 2 and "$msg" with the usage', async ({ argv, msg }) => {
    const r = await runPrm(['score', '--model', m.dir, ...argv]);
    expect(r.code).toBe(2);
    expect(r.err.startsWith(`prm score: ${msg}`)).toBe(true);
    expect(r.err).toContain('Usage:\n  prm score --problem TEXT --solution TEXT');
  });

  it.each([
    {
      argv: ['--input', 'missing.jsonl'],
      msg: /^prm score: --input: no such file: .*missing\.jsonl; check the path\.\n$/,
    },
    {
      argv: ['--problem', 'p', '--solution-file', 'missing.txt'],
      msg: /^prm score: --solution-file: no such file: .*missing\.txt/,
    },
    {
      argv: ['--problem', '  ', '--solution', 's'],
      msg: /^prm score: the problem is empty; give the problem statement\.\n$/,
    },
    {
      argv: ['--problem', 'p', '--solution', ' \n\n '],
      msg: /^prm score: the solution is empty; give at least one step of text\.\n$/,
    },
  ])('$argv -> exit 1 with one line saying what is wrong', async ({ argv, msg }) => {
    const r = await runPrm(['score', '--model', m.dir, ...argv]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(msg);
  });
});
