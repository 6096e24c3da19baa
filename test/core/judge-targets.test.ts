import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProcessBench } from '../../src/core/processbench.ts';
import { judgeTargets } from '../../src/core/judge/targets.ts';
import { synthesize } from '../../src/core/synth/index.ts';

// The targets for the arithmetic checker, asserted on the subset that runs fast; the
// figures for all four subsets come from bench/judge-processbench.ts (bench/README.md).
const PB = new URL('../../../shared/processbench/', import.meta.url);

describe('judgeTargets(items): the arithmetic checker on labelled data', () => {
  it('on ProcessBench gsm8k: flags <= 2% of correct solutions and >= 95% of its flags sit at or after the label', () => {
    const items = parseProcessBench(readFileSync(new URL('gsm8k.json', PB), 'utf8'), 'gsm8k.json');
    const t = judgeTargets(items);
    expect(t.solutions).toBe(400);
    expect(t.correctFlagged / t.correct).toBeLessThanOrEqual(0.02);
    expect(t.flagged).toBeGreaterThan(0);
    expect(t.flaggedAtOrAfter / t.flagged).toBeGreaterThanOrEqual(0.95);
    expect(t.checkedSteps / t.steps).toBeGreaterThan(0.3);
  });

  it('on prm synth: catches >= 99% of injected arithmetic errors at the labelled step, flags no correct solution', () => {
    const items = synthesize({ n: 1200, seed: 16 });
    const arithmetic = judgeTargets(items.filter((x) => x.error_type === 'arithmetic'));
    expect(arithmetic.solutions).toBeGreaterThan(100);
    expect(arithmetic.exact / arithmetic.solutions).toBeGreaterThanOrEqual(0.99);
    const correct = judgeTargets(items.filter((x) => x.label === -1));
    expect(correct.correctFlagged).toBe(0);
  });
});
