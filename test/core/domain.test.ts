import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkDomain,
  datasetOutsideDomain,
  domainNotice,
  measureDomain,
  OUTSIDE_DOMAIN_NOTICE,
} from '../../src/core/domain.ts';
import { parseModelSpec } from '../../src/core/spec.ts';
import { synthesize } from '../../src/core/synth/index.ts';
import type { ModelDomain } from '../../src/core/types.ts';

const words = 'tom buys pens at each how much does he spend the cost of is answer so total'.split(' ');
const domain: ModelDomain = {
  description: 'test',
  words,
  max_unknown_word_share: 0.2,
  max_steps_without_computation: 0.1,
  max_tokens: 100,
  whole_numbers_only: true,
};

describe('measureDomain / checkDomain', () => {
  it('finds a solution in the domain inside, whatever notation the computation uses', () => {
    const problem = 'Tom buys 3 pens at $4 each. How much does he spend?';
    for (const step of [
      '3 × $4 = $12.',
      'The cost is 3 \\times \\$4 = \\$12.',
      '\\frac{12}{4} = 3',
      '3 x 4 = 13',
    ]) {
      const c = checkDomain(domain, problem, [step, 'So the answer is 12.'], 40);
      expect(c.inside, step).toBe(true);
      expect(c.reasons).toEqual([]);
    }
  });

  it('counts words the training text never uses and names them', () => {
    const m = measureDomain(domain, 'Tom plants 3 rows of tulips in the garden.', ['3 × 4 = 12.']);
    expect(m.words).toBe(8);
    expect(m.unknownWords).toEqual(['plants', 'rows', 'tulips', 'in', 'garden']);
    expect(m.unknownWordShare).toBeCloseTo(5 / 8);
    const c = checkDomain(domain, 'Tom plants 3 rows of tulips in the garden.', ['3 × 4 = 12.']);
    expect(c.inside).toBe(false);
    expect(c.reasons).toEqual(['63% of its words never occur in the training text']);
  });

  it('flags steps without a computation, non-whole numbers and long prompts', () => {
    const c = checkDomain(
      domain,
      'Tom buys pens.',
      ['He is so much.', '1.5 + 2 = 3.5', 'x^2 = 4', 'The answer is 2.'],
      101,
    );
    expect(c.stepsWithoutComputation).toBe(0.5);
    expect(c.nonWholeNumbers).toBe(true);
    expect(c.reasons).toEqual([
      '50% of its steps have no a op b = c computation',
      'it uses numbers that are not whole',
      'it is 101 tokens long (training prompts stay under 100)',
    ]);
    expect(
      checkDomain({ ...domain, whole_numbers_only: false }, 'Tom buys pens.', ['1.5 + 2 = 3.5']).inside,
    ).toBe(true);
  });

  it('does not take a division or a price for a non-whole number', () => {
    expect(
      measureDomain(domain, 'Tom buys pens.', ['126 / 6 = 21.', '$1,250 - $50 = $1,200.']).nonWholeNumbers,
    ).toBe(false);
    expect(measureDomain(domain, 'Tom buys pens.', ['He uses 3/4 of them.']).nonWholeNumbers).toBe(true);
  });

  it.each(['varied', 'plain'] as const)(
    'keeps fresh problems of the generator the bundled model was trained on inside its domain (%s)',
    (wording) => {
      const spec = parseModelSpec(readFileSync('models/arith-prm-mini/prm.json', 'utf8'));
      expect(spec.domain).toBeDefined();
      // The limits come from one in-domain sample (train/domain.ts), so a rare fresh problem may
      // pass one: a step the arithmetic checker cannot read ("comes to \frac{30}{5} = 6").
      const outside = synthesize({ n: 1000, seed: 777, wording }).filter(
        (x) => !checkDomain(spec.domain!, x.problem, x.steps).inside,
      );
      expect(outside.length, JSON.stringify(outside.slice(0, 3))).toBeLessThanOrEqual(10);
    },
  );

  it('puts ProcessBench problems outside the bundled model domain', () => {
    const spec = parseModelSpec(readFileSync('models/arith-prm-mini/prm.json', 'utf8'));
    const items = JSON.parse(readFileSync('../shared/processbench/gsm8k.json', 'utf8')) as {
      problem: string;
      steps: string[];
    }[];
    const inside = items.slice(0, 100).filter((x) => checkDomain(spec.domain!, x.problem, x.steps).inside);
    expect(inside.length).toBeLessThanOrEqual(1);
  });

  it('gives the notice only for models with a domain, and only outside it', () => {
    const garden = ['Tom plants 3 rows of tulips in the garden.', ['3 × 4 = 12.']] as const;
    expect(domainNotice({}, garden[0], [...garden[1]])).toBeUndefined();
    expect(domainNotice({ domain }, garden[0], [...garden[1]])?.notice).toBe(OUTSIDE_DOMAIN_NOTICE);
    expect(OUTSIDE_DOMAIN_NOTICE).toContain('load a real PRM');
    expect(domainNotice({ domain }, 'Tom buys 3 pens.', ['3 × 4 = 12.'])).toEqual({
      inside: true,
      reasons: [],
    });
  });

  it('counts the dataset items outside the domain among those with text', () => {
    expect(
      datasetOutsideDomain(domain, [
        { problem: 'Tom buys 3 pens.', steps: ['3 × 4 = 12.'] },
        { problem: 'Tom plants 3 rows of tulips in the garden.', steps: ['3 × 4 = 12.'] },
        {},
      ]),
    ).toEqual({ outside: 1, total: 2 });
  });
});
