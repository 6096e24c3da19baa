import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeArithmetic } from '../../src/core/judge/index.ts';
import { judgedEvaluation } from '../../src/core/judge/consensus.ts';
import { parseProcessBench } from '../../src/core/processbench.ts';
import { GSM8K, makeTinyModel, type TinyModel } from './tiny-model.ts';
import { jsonLines, runPrm } from '../support/prm-cli.ts';

let m: TinyModel;
beforeAll(async () => {
  m = await makeTinyModel({ dtypes: ['q4'], contextLength: 2048 });
});
afterAll(() => fs.rmSync(m.root, { recursive: true, force: true }));

const PROBLEM = 'Sue has 18 flamingos . Then we add 6 . What is the total ?';
const STEPS = ['18 + 6 = 24 .', 'so 24 × 2 = 46 .', 'the answer is 46 .'];
/** `prm score` flags for the wrong solution above with the tiny model. */
const solution = () => ({ model: m.dir, problem: PROBLEM, solution: STEPS.join('\n\n') });

describe('prm score --judge arithmetic', () => {
  it('--json adds exactly the contract\'s "judge" object after the PRM fields', async () => {
    const r = await runPrm('score', { ...solution(), judge: 'arithmetic', json: true });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const got = JSON.parse(r.out);
    expect(Object.keys(got).at(-1)).toBe('judge');
    expect(got.judge).toEqual({
      name: 'arithmetic',
      first_error: 1,
      steps: [
        {
          verdict: 'right',
          claims: [{ text: '18 + 6 = 24', stated: '24', computed: '24', verdict: 'right' }],
        },
        {
          verdict: 'wrong',
          claims: [{ text: '24 × 2 = 46', stated: '46', computed: '48', verdict: 'wrong' }],
        },
        { verdict: 'none', claims: [] },
      ],
    });
    const plain = JSON.parse((await runPrm('score', { ...solution(), json: true })).out);
    expect(plain.judge).toBeUndefined();
    expect({ ...got, judge: undefined }).toEqual({ ...plain, judge: undefined });
  });

  it('--input adds the judge to every line, ProcessBench records included', async () => {
    const file = path.join(m.root, 'pb.json');
    const items = parseProcessBench(fs.readFileSync(GSM8K, 'utf8'), GSM8K).slice(0, 3);
    fs.writeFileSync(file, JSON.stringify(items));
    const r = await runPrm('score', { model: m.dir, input: file, judge: 'arithmetic' });
    expect(r.code).toBe(0);
    const lines = jsonLines(r.out);
    expect(lines).toHaveLength(3);
    lines.forEach((l, i) => expect(l.judge).toEqual(judgeArithmetic(items[i].steps)));
  });

  it('the table gains a check column and names the wrong computation', async () => {
    const r = await runPrm('score', { ...solution(), judge: 'arithmetic' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/step +reward +verdict +check +text/);
    expect(r.out).toMatch(/^ +2 +[\d.]+ +\S+ +WRONG +so 24/m);
    expect(r.out).toContain('arithmetic:  first error step 2 (2 of 3 steps checked)');
    expect(r.out).toContain('step 2: 24 × 2 = 48, not 46');
  });

  it('refuses an unknown judge with the list of known ones', async () => {
    const r = await runPrm('score', { problem: 'p', solution: 's', judge: 'gpt' });
    expect(r.code).toBe(2);
    expect(r.err).toContain('--judge must be one of arithmetic, got gpt.');
  });
});

describe('prm eval --judge arithmetic', () => {
  it('--json adds the four combinations, the agreement matrix and the disagreements, equal to judgedEvaluation of the PRM lines', async () => {
    const out = path.join(m.root, 'preds.jsonl');
    const r = await runPrm('eval', {
      model: m.dir,
      data: GSM8K,
      limit: '6',
      out,
      judge: 'arithmetic',
      json: true,
    });
    expect(r.code).toBe(0);
    const got = JSON.parse(r.out);
    expect(Object.keys(got)).toEqual(['subsets', 'average_f1', 'threshold', 'model', 'judge']);
    expect(Object.keys(got.judge)).toEqual(['name', 'combinations', 'agreement', 'disagreements']);
    expect(Object.keys(got.judge.combinations)).toEqual(['checker', 'prm', 'either', 'both']);
    expect(got.judge.combinations.prm.subsets).toEqual(got.subsets);

    const items = parseProcessBench(fs.readFileSync(GSM8K, 'utf8'), GSM8K).slice(0, 6);
    const preds = jsonLines(fs.readFileSync(out, 'utf8'));
    const rows = items.map((item) => ({
      item,
      rewards: preds.find((p) => p.id === item.id).rewards,
      judgement: judgeArithmetic(item.steps),
    }));
    const ref = judgedEvaluation(rows, 0.5);
    expect(got.judge.agreement).toEqual(ref.matrix);
    expect(got.judge.disagreements).toEqual(ref.disagreements);
    const steps = items.reduce((a, it) => a + it.steps.length, 0);
    const m_ = got.judge.agreement;
    expect(
      m_.prm_wrong.wrong +
        m_.prm_wrong.right +
        m_.prm_wrong.none +
        m_.prm_fine.wrong +
        m_.prm_fine.right +
        m_.prm_fine.none,
    ).toBe(steps);
  });

  it('prints the combinations table and the matrix after the PRM table', async () => {
    const r = await runPrm('eval', { model: m.dir, data: GSM8K, limit: '3', judge: 'arithmetic' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/judge +subset +Acc_error +Acc_correct +F1/);
    for (const row of ['checker alone', 'PRM alone', 'first error of either', 'only where both agree'])
      expect(r.out).toContain(row);
    expect(r.out).toMatch(/steps +checker wrong +checker right +no check/);
    expect(r.out).toMatch(/\d+ disagreements on checked steps/);
  });

  it('refuses --judge with --preds (the checker needs the step texts)', async () => {
    const r = await runPrm('eval', { preds: 'x.jsonl', judge: 'arithmetic' });
    expect(r.code).toBe(2);
    expect(r.err).toContain('drop --judge');
  });
});
