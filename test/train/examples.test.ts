import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLES } from '../../src/app/lib/examples.ts';
import { judgeArithmetic } from '../../src/core/judge/index.ts';
import { segment } from '../../src/core/segment.ts';
import { jsonLines, runPrm } from '../support/prm-cli.ts';

// The Examples menu's demo-domain examples are the first thing a user scores, so the bundled model
// must get them right; `pencils-error` plants wrong arithmetic, its documented weak spot
// (models/arith-prm-mini README), on purpose. train/ship.ts re-checks them for every new model;
// KNOWN_MISSES lists exactly the solutions the shipped model gets wrong (each one a real miss);
// the shipped model finds every first error, pencils-error's 84 − 25 = 49 included.
const KNOWN_MISSES = new Set<string>();

const demo = EXAMPLES.filter((e) => e.kind === 'demo').flatMap((e) =>
  e.solutions.map((solution, i) => ({
    id: `${e.id}#${i}`,
    problem: e.problem,
    solution,
    truth: e.firstErrors[i],
  })),
);

describe('Examples menu', () => {
  it('gives a truth for every solution', () => {
    for (const e of EXAMPLES) expect(e.firstErrors, e.id).toHaveLength(e.solutions.length);
  });

  it('has truths the exact arithmetic checker agrees with', () => {
    // The checker sees wrong results only: it finds no wrong computation before the true first
    // error, and it finds the wrong result of the arithmetic-error example at that step.
    for (const d of demo) {
      const steps = segment(d.solution).map((s) => s.text);
      const found = judgeArithmetic(steps).first_error;
      if (d.id === 'pencils-error#0') expect(found, d.id).toBe(d.truth);
      else expect(found === -1 || found === d.truth, `${d.id}: checker ${found}`).toBe(true);
      expect(d.truth, d.id).toBeLessThan(steps.length);
    }
  });
});

describe('the bundled model on the demo examples', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prm-examples-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the true first error of every demo solution but the documented miss', async () => {
    const file = join(dir, 'examples.jsonl');
    writeFileSync(
      file,
      demo.map(({ id, problem, solution }) => JSON.stringify({ id, problem, solution })).join('\n'),
    );
    const r = await runPrm('score', { input: file });
    expect(r.code, r.err).toBe(0);
    const got: { id: string; first_error: number }[] = jsonLines(r.out);
    expect(got.map((g) => g.id)).toEqual(demo.map((d) => d.id));
    for (const [i, d] of demo.entries()) {
      if (KNOWN_MISSES.has(d.id)) expect(got[i].first_error, d.id).not.toBe(d.truth);
      else expect(got[i].first_error, d.id).toBe(d.truth);
    }
  });

  it('scores "Step N:" and "N." labelled steps like unlabelled ones (prm.json strip_step_labels)', async () => {
    const shells = EXAMPLES.find((e) => e.id === 'shells-lines')!;
    const lines = shells.solutions[0].split('\n');
    const score = async (solution: string) => {
      const r = await runPrm('score', { problem: shells.problem, solution, json: true });
      expect(r.code, r.err).toBe(0);
      return JSON.parse(r.out) as { rewards: number[]; first_error: number };
    };
    const plain = await score(lines.join('\n'));
    for (const label of [(i: number) => `Step ${i + 1}: `, (i: number) => `${i + 1}. `]) {
      const got = await score(lines.map((l, i) => label(i) + l).join('\n'));
      expect(got.first_error).toBe(shells.firstErrors[0]);
      got.rewards.forEach((r, i) => expect(r).toBeCloseTo(plain.rewards[i], 6));
    }
  });
});
