import { describe, expect, it } from 'vitest';
import { OUTSIDE_DOMAIN_NOTICE } from '../../src/core/domain.ts';
import { runPrm } from '../support/prm-cli.ts';

// The bundled demo model declares a domain (prm.json); the tiny test models of score.test.ts do
// not, and their output has no domain field at all.
const MODEL = 'models/arith-prm-mini';
const GREENHOUSE = {
  problem:
    'A greenhouse grows 14 trays of tulip bulbs with 9 bulbs per tray. Frost kills 17 bulbs. How many bulbs survive?',
  solution: '14 × 9 = 126 bulbs are planted.\n\n126 - 17 = 109 bulbs survive.\n\nThe answer is 109.',
};
const SHOPPING = {
  problem: 'Tom buys 3 pens at $4 each. How much does he spend in total?',
  solution: 'The cost of the pens is 3 × $4 = $12. The answer is 12.',
};

const score = (input: { problem: string; solution: string }, extra: string[] = []) =>
  runPrm(['score', '--model', MODEL, '--problem', input.problem, '--solution', input.solution, ...extra]);

describe('prm score with a model that declares a domain', () => {
  it('prints the out-of-domain note next to the scores for a problem about something the generator never uses', async () => {
    const r = await score(GREENHOUSE);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    const note = lines.findIndex((l) => l.startsWith('NOTE: '));
    expect(note).toBeGreaterThan(0);
    expect(note).toBeLessThan(lines.findIndex((l) => l.startsWith('step  reward')));
    expect(lines[note]).toContain(OUTSIDE_DOMAIN_NOTICE);
    expect(lines[note]).toMatch(/% of its words never occur in the training text/);
  });

  it('puts the verdict in --json: outside with reasons and the notice, inside without', async () => {
    const out = await score(GREENHOUSE, ['--json']);
    const got = JSON.parse(out.out);
    expect(got.domain.inside).toBe(false);
    expect(got.domain.notice).toBe(OUTSIDE_DOMAIN_NOTICE);
    expect(got.domain.reasons[0]).toMatch(/words never occur/);

    const inside = await score(SHOPPING, ['--json']);
    expect(inside.code).toBe(0);
    expect(JSON.parse(inside.out).domain).toEqual({ inside: true, reasons: [] });
    const table = await score(SHOPPING);
    expect(table.out).not.toContain('NOTE: ');
  });
});
