import { describe, expect, it } from 'vitest';
import {
  ERROR_TYPES,
  joinSentences,
  practiceProblem,
  synthPair,
  synthesize,
  type SynthItem,
} from '../../src/core/synth/index.ts';
import { carrySlip, chooseMutation } from '../../src/core/synth/inject.ts';
import { render } from '../../src/core/synth/render.ts';
import { SINGLE_SCENARIOS } from '../../src/core/synth/single.ts';
import { mulberry32 } from '../../src/core/synth/rng.ts';
import {
  plain,
  type Op,
  type Operand,
  type Plan,
  type PlanStep,
  type Unit,
} from '../../src/core/synth/plan.ts';
import { EVERYDAY } from '../../src/core/synth/everyday.ts';
import { answerSentence, questionOf, thirdPerson } from '../../src/core/synth/answer.ts';
import {
  IMPLIED_SCENARIOS,
  spellNumbers,
  statedNumbers,
  writtenNumbers,
} from '../../src/core/synth/implied.ts';
import { stripStepLabel } from '../../src/core/segment/markers.ts';

// An independent checker: finds every `a op b = c` in a step, whatever glyph or `$`/unit it uses.
const EQ = /(\$?)(\d+)(?: [a-z]+)? ([+\-−*×x/÷]) \$?(\d+)(?: [a-z]+)? = \$?(\d+)/g;

interface Eq {
  a: number;
  op: string;
  b: number;
  c: number;
}

/** The generator's notations in one plain form: no label, LaTeX, separators or `gives`. */
function plainText(step: string): string {
  return stripStepLabel(step)
    .replace(/(\d),(?=\d{3}\b)/g, '$1')
    .replace(/\\(times|cdot)/g, '×')
    .replace(/\\div/g, '÷')
    .replace(/\\frac\{([^}]*)\}\{([^}]*)\}/g, '$1 / $2')
    .replace(/\\\$/g, '$')
    .replace(/\\[()]/g, '')
    .replace(/\\boxed\{([^}]*)\}/g, '$1')
    .replace(/,? (?:which )?gives /g, ' = ');
}

function equations(step: string): Eq[] {
  return [...plainText(step).matchAll(EQ)].map((m) => ({
    a: Number(m[2]),
    op: m[3],
    b: Number(m[4]),
    c: Number(m[5]),
  }));
}

function compute({ a, op, b }: Eq): number {
  if (op === '+') return a + b;
  if (op === '-' || op === '−') return a - b;
  if (op === '/' || op === '÷') return a / b;
  return a * b;
}

const holds = (e: Eq): boolean => compute(e) === e.c;
const numbers = (text: string): number[] => (plainText(text).match(/\d+/g) ?? []).map(Number);
// Numbers a problem gives in words, read independently of src/core/synth/implied.ts.
const COUNTS = 'zero one two three four five six seven eight nine ten eleven twelve'.split(' ');
const CARRIED: [RegExp, number][] = [
  [/\b(twice|double|half)\b/i, 2],
  [/\bdozen\b/i, 12],
  [/\bweeks?\b/i, 7],
  [/\bhours?\b/i, 60],
  [/\b(metres|meters)\b/i, 100],
  [/\byears?\b/i, 12],
];
/** What a problem gives: its digits, its counts in words and the numbers its unit words carry. */
const givenBy = (problem: string): number[] => [
  ...numbers(problem),
  ...(problem.toLowerCase().match(/[a-z]+/g) ?? []).map((w) => COUNTS.indexOf(w)).filter((k) => k >= 0),
  ...CARRIED.filter(([re]) => re.test(problem)).map(([, n]) => n),
];
/** The number the last step gives as the final answer: the last number in it. */
const finalAnswer = (item: SynthItem): number => numbers(item.steps[item.steps.length - 1]).at(-1)!;
/** The result of the last computation (the final answer may be a step of its own). */
const lastResult = (item: SynthItem): number => item.steps.flatMap(equations).at(-1)!.c;

const items = synthesize({ n: 1000, seed: 7 });
const byType = (t: string): SynthItem[] => items.filter((x) => x.error_type === t);

describe('synthesize({ n, seed })', () => {
  it('returns the same records for the same seed and different ones for another seed', () => {
    expect(synthesize({ n: 50, seed: 7 })).toEqual(items.slice(0, 50));
    const other = synthesize({ n: 50, seed: 8 });
    expect(other.filter((x, i) => x.problem === items[i].problem).length).toBeLessThan(3);
  });

  it('writes ProcessBench records with the synth extras', () => {
    for (const x of items) {
      expect(Object.keys(x).sort()).toEqual(
        ['error_type', 'final_answer_correct', 'generator', 'id', 'label', 'problem', 'steps'].sort(),
      );
      expect(x.generator).toBe('synth');
      expect(x.label).toBeGreaterThanOrEqual(-1);
      expect(x.label).toBeLessThan(x.steps.length);
      expect(x.label === -1).toBe(x.error_type === 'none');
    }
    expect(new Set(items.map((x) => x.id)).size).toBe(items.length);
  });

  it('keeps 2-8 steps, one computation per step but an opening restatement or a closing answer, whole results below 1,000,000, exact divisions', () => {
    for (const x of items) {
      expect(x.steps.length).toBeGreaterThanOrEqual(2);
      expect(x.steps.length).toBeLessThanOrEqual(8);
      for (const [i, step] of x.steps.entries()) {
        const eqs = equations(step);
        if (i > 0 && i < x.steps.length - 1) expect(eqs.length, step).toBeGreaterThanOrEqual(1);
        if (eqs.length === 0) expect(step, step).not.toContain('=');
        for (const e of eqs) {
          expect(e.c).toBeLessThan(1_000_000);
          if (e.op === '/' || e.op === '÷') expect(e.a % e.b, step).toBe(0);
        }
      }
    }
  });

  it('gives correct solutions true equations, supported numbers and a final answer equal to the last result', () => {
    for (const x of byType('none')) {
      const known = new Set(givenBy(x.problem));
      for (const step of x.steps) {
        for (const e of equations(step)) {
          expect(holds(e), step).toBe(true);
          expect(known.has(e.a) && known.has(e.b), `${x.problem} | ${step}`).toBe(true);
        }
        if (equations(step).length === 0)
          for (const n of numbers(step)) expect(known.has(n), `${x.problem} | ${step}`).toBe(true);
        for (const n of numbers(step)) known.add(n);
      }
      expect(finalAnswer(x)).toBe(lastResult(x));
      expect(x.final_answer_correct).toBe(true);
    }
  });

  it('makes the labelled step of an arithmetic error false and every earlier step true', () => {
    for (const x of byType('arithmetic')) {
      x.steps.slice(0, x.label).forEach((s) => expect(equations(s).every(holds), s).toBe(true));
      expect(equations(x.steps[x.label]).every(holds), x.steps[x.label]).toBe(false);
    }
  });

  it('makes the labelled step of an unsupported-number error use a number nobody gave', () => {
    const misquotes = byType('unsupported_number').filter((x) => equations(x.steps[x.label]).length === 0);
    expect(misquotes.length).toBeGreaterThan(5);
    for (const x of misquotes) {
      expect(x.label, x.steps[0]).toBe(0);
      const given = new Set(givenBy(x.problem));
      expect(
        numbers(x.steps[0]).some((n) => !given.has(n)),
        `${x.problem} | ${x.steps[0]}`,
      ).toBe(true);
    }
    for (const x of byType('unsupported_number').filter((y) => !misquotes.includes(y))) {
      // Per text: a step label ("Step 2:") is not a number the solution uses.
      const known = new Set([...givenBy(x.problem), ...x.steps.slice(0, x.label).flatMap(numbers)]);
      const e = equations(x.steps[x.label])[0];
      expect(holds(e)).toBe(true);
      expect(known.has(e.a) && known.has(e.b), x.steps[x.label]).toBe(false);
    }
  });

  it('keeps the arithmetic of a wrong-operation step true but changes the operation', () => {
    for (const x of byType('wrong_operation')) {
      x.steps.slice(0, x.label + 1).forEach((s) => expect(equations(s).every(holds), s).toBe(true));
    }
  });

  it('puts a final-answer error on the last step, with an answer that differs from the last result', () => {
    for (const x of byType('final_answer')) {
      expect(x.label).toBe(x.steps.length - 1);
      x.steps.forEach((s) => expect(equations(s).every(holds), s).toBe(true));
      expect(finalAnswer(x)).not.toBe(lastResult(x));
      expect(x.final_answer_correct).toBe(false);
    }
  });

  it('has about half correct solutions, every error type, varied positions and some right answers after errors', () => {
    const correct = byType('none').length;
    expect(correct).toBeGreaterThan(440);
    expect(correct).toBeLessThan(560);
    for (const t of ERROR_TYPES) expect(byType(t).length, t).toBeGreaterThan(80);
    const positions = new Set(items.filter((x) => x.label >= 0).map((x) => x.label));
    expect(positions.size).toBeGreaterThanOrEqual(6);
    const rightAnyway = items.filter((x) => x.label >= 0 && x.final_answer_correct);
    expect(rightAnyway.length).toBeGreaterThan(20);
    expect([...new Set(rightAnyway.map((x) => x.error_type))]).toEqual(
      expect.arrayContaining(['arithmetic', 'unsupported_number']),
    );
    expect(rightAnyway.some((x) => x.error_type === 'final_answer')).toBe(false);
  });

  it('uses several operator glyphs and phrasings', () => {
    const text = items.flatMap((x) => x.steps).join('\n');
    for (const g of [' + ', ' - ', ' − ', ' * ', ' × ', ' x ', ' / ', ' ÷ ', '$']) expect(text).toContain(g);
    const openings = new Set(items.map((x) => x.steps[0].split(' ').slice(0, 2).join(' ')));
    expect(openings.size).toBeGreaterThan(20);
  });

  it.each([
    [{ n: -1, seed: 1 }, /n must be a whole number/],
    [{ n: 1.5, seed: 1 }, /n must be a whole number/],
    [{ n: 1, seed: 0.5 }, /seed must be an integer/],
    [{ n: 1, seed: 1, correctShare: 2 }, /correctShare must be between 0 and 1/],
  ])('synthesize(%j) throws a clear error', (options, message) => {
    expect(() => synthesize(options)).toThrow(message);
  });
});

describe('wording', () => {
  const wordsOf = (items: SynthItem[]): Set<string> =>
    new Set(
      items
        .flatMap((x) => [x.problem, ...x.steps])
        .join(' ')
        .toLowerCase()
        .match(/\p{L}+/gu),
    );
  const plain = wordsOf(synthesize({ n: 2000, seed: 31, wording: 'plain' }));

  it('plain keeps to one small closed vocabulary, whatever the seed', () => {
    expect(plain.size).toBeLessThan(400);
    const other = wordsOf(synthesize({ n: 500, seed: 131, wording: 'plain' }));
    expect([...other].filter((w) => !plain.has(w))).toEqual([]);
  });

  it('varied writes labels, bare equations, LaTeX, separators, boxed answers and word-list objects', () => {
    const items = synthesize({ n: 1000, seed: 32 });
    const text = items.flatMap((x) => [x.problem, ...x.steps]).join('\n');
    for (const form of ['Step 1: ', '**Step 2:** ', '\\times', '\\frac{', '\\$', '\\boxed{', 'which gives'])
      expect(text, form).toContain(form);
    expect(text).toMatch(/\d,\d{3}/);
    expect(items.some((x) => /^\$?\d+ \S+ \$?\d+ = \$?\d+\.?$/.test(x.steps[0]))).toBe(true);
    expect([...wordsOf(items)].filter((w) => !plain.has(w)).length).toBeGreaterThan(300);
  });

  it('varied writes steps as people do: subjects, lead-ins, labels with colons, result first, restatements', () => {
    const items = synthesize({ n: 2000, seed: 33 });
    const steps = items.flatMap((x) => x.steps.map(stripStepLabel));
    const some = (re: RegExp): boolean => steps.some((s) => re.test(s));
    expect(some(/^(She|He|They) (starts?|has|have|gets?) .*\d+ = \$?\d+/)).toBe(true);
    expect(some(/^(She|He|They) (has|have) \$?\d+ \S+ \$?\d+ = \$?\d+( [a-z]+)? left\.$/)).toBe(true);
    expect(some(/\b(she|he|they) (spent|made|got|started with) .*\d+ = \$?\d+/i)).toBe(true);
    expect(some(/\b(she|he|they) had \$?\d+ \S+ \$?\d+ = \$?\d+( [a-z]+)? left\./i)).toBe(true);
    expect(some(/^[A-Z][a-z ]+: \$?\d+ \S+ \$?\d+ = /)).toBe(true);
    expect(some(/^\$?\d[\d,]*( [a-z]+)? in all, since /)).toBe(true);
    for (const lead of [
      'First, ',
      'Next, ',
      'Now ',
      'After that, ',
      'In total, ',
      'Altogether, ',
      'That means ',
    ])
      expect(some(new RegExp(`^${lead}`)), lead).toBe(true);
    expect(some(/^\d+ \S+ \d+ = \$\d+/)).toBe(true);
    for (const answer of [
      /^\*\*\$?\d[\d,]*( [a-z]+)?\*\*$/,
      /^The answer is \$?\d[\d,]*( [a-z]+)?\.$/,
      /^\\boxed\{/,
    ])
      expect(some(answer), String(answer)).toBe(true);
    expect(some(/^(We know|Given:|The problem gives) /)).toBe(true);
    expect(some(/^(We need to find|The question asks for) /)).toBe(true);
    // The second operand named in words before the computation, as in "He gives away 20, which
    // leaves 63 - 20 = 43.": the number named is the one the equation uses (either operand of a
    // sum or a product, which may be written in either order).
    const mentions = steps.filter((s) =>
      /^((So|Then|Next|Now|First),? )?(Adding|With \$?\d+ more|Taking away|Removing|Multiplying by|Dividing by|Shared among|split into|\w+ gives away) /i.test(
        s,
      ),
    );
    expect(mentions.length).toBeGreaterThan(30);
    for (const s of mentions) {
      const e = equations(s)[0];
      expect(e, s).toBeDefined();
      const named = numbers(s)[0];
      if (/^[+*×x]$/.test(e.op)) expect([e.a, e.b], s).toContain(named);
      else expect(named, s).toBe(e.b);
    }
    // Two numbers of the problem combined first (35 + 48 = 83), as people start most solutions.
    const givenFirst = items.filter((x) => {
      const e = x.steps.flatMap(equations)[0];
      const given = new Set(numbers(x.problem));
      return e && e.op === '+' && given.has(e.a) && given.has(e.b);
    });
    expect(givenFirst.length).toBeGreaterThan(50);
  });

  it('varied wording does not give the label away: the openings of wrong steps also open right ones', () => {
    const items = synthesize({ n: 2000, seed: 34 });
    const opening = (s: string): string => stripStepLabel(s).split(' ').slice(0, 2).join(' ');
    const count = (list: string[]): Map<string, number> => {
      const m = new Map<string, number>();
      for (const o of list) m.set(o, (m.get(o) ?? 0) + 1);
      return m;
    };
    const wrong = count(items.filter((x) => x.label >= 0).map((x) => opening(x.steps[x.label])));
    const right = count(items.filter((x) => x.label === -1).flatMap((x) => x.steps.map(opening)));
    const frequent = [...wrong].filter(([, n]) => n >= 10);
    expect(frequent.length).toBeGreaterThan(10);
    for (const [o, n] of frequent)
      expect(right.get(o) ?? 0, `${o} (${n} wrong steps)`).toBeGreaterThanOrEqual(n / 2);
  });

  it('practiceProblem uses the varied wording the bundled model is trained on', () => {
    const practice = Array.from({ length: 200 }, (_, i) => practiceProblem(i));
    expect([...wordsOf(practice)].filter((w) => !plain.has(w)).length).toBeGreaterThan(50);
    expect(practice.some((x) => /^(\*\*)?(Step )?\d+[.:)]/.test(x.steps[0]))).toBe(true);
  });
});

describe('carrySlip(op, a, b, unadded)', () => {
  // unadded: the leading digit's result is written in full but the carry into it is forgotten.
  it.each([
    ['+', 47, 38, false, 75],
    ['-', 52, 38, false, 26],
    ['*', 27, 4, false, 88],
    ['*', 4, 27, false, 88],
    ['*', 64, 7, false, 28],
    ['*', 64, 7, true, 428],
    ['*', 7, 64, true, 428],
    ['*', 27, 4, true, 88],
    ['+', 57, 68, true, 115],
    ['+', 47, 38, true, 75],
    ['-', 52, 38, true, 26],
  ] as const)('%s %i %i (unadded %s) gives the dropped-carry result %i', (op, a, b, unadded, m) => {
    expect(carrySlip(op, a, b, unadded)).toBe(m);
  });

  it('is null when no carry is dropped or the slip does not apply', () => {
    expect(carrySlip('+', 12, 34)).toBeNull();
    expect(carrySlip('*', 12, 34)).toBeNull();
    expect(carrySlip('/', 12, 4)).toBeNull();
  });
});

describe('joinSentences(r, problem, name)', () => {
  it('runs a sentence that opens with a pronoun into one before it about the same person', () => {
    const text =
      'Maria has $80. She buys 3 books. Maria has 2 bags and a box. She sells 1. Each of the bags holds 9 pens. She gives away 4. How much does she have?';
    const seen = new Set<string>();
    for (let seed = 0; seed < 80; seed++) seen.add(joinSentences(mulberry32(seed), text, 'Maria', 1));
    expect([...seen].some((out) => out.startsWith('Maria has $80 and buys 3 books. '))).toBe(true);
    expect(seen).toContain(text);
    for (const out of seen) {
      // Not into a sentence with "and", nor into one about someone or something else.
      expect(out).toContain('a box. She sells 1.');
      expect(out).toContain('9 pens. She gives away 4.');
      expect(out.endsWith('. How much does she have?')).toBe(true);
    }
    const store = 'A store had 90 pens. It sold 20. How many pens are left?';
    expect(joinSentences(mulberry32(3), store, 'the store', 1)).toBe(
      'A store had 90 pens and sold 20. How many pens are left?',
    );
    expect(joinSentences(mulberry32(1), text, 'Maria', 0)).toBe(text);
  });
});

describe('practiceProblem(seed)', () => {
  it('is deterministic per seed and varies across seeds', () => {
    expect(practiceProblem(42)).toEqual(practiceProblem(42));
    expect(practiceProblem(42).problem).not.toBe(practiceProblem(43).problem);
  });
});

describe('mulberry32(seed)', () => {
  it.each([
    [1, 0.6270739405881613],
    [7, 0.011704753153026104],
  ])('mulberry32(%i).next() returns %f first', (seed, first) => {
    expect(mulberry32(seed).next()).toBe(first);
  });
});

describe('everyday situations (everyday.ts)', () => {
  const AWAY =
    /\b(eats|ate|sells|sold|gives away|gave away|uses|used|drops|dropped|sends off|sent off|loses|lost|donates|donated|trades away|traded away|lends out|lent out|returns|returned|get off|got off|leave|left|go home|went home|get out|got out|throws away|threw away|hands out|handed out|shares out|shared out|misplaces|misplaced|blow down|blew down|drive away|drove away|fly away|flew away|ships|shipped|sends out|sent out)\b/;
  const MORE =
    /\b(bakes|baked|buys|bought|picks|picked|gets|got|wins|won|finds|found|receives|received|collects|collected|get on|got on|board|boarded|arrive|arrived|come in|came in|join|joined|makes|made|brings home|brought home|is given|was given|earns|earned|orders|ordered|are planted|were planted|park|parked|land|landed)\b/;

  it('lowers the count by what a verb of going names and raises it by what a verb of coming names', () => {
    // The answer computed with real numbers and one stated amount one larger: the verb's clause
    // says whether that amount comes or goes, whether it is applied alone or added up first.
    const answerWith = (plan: Plan, step: number, side: 'a' | 'b'): number => {
      const values: number[] = [];
      plan.steps.forEach((s, i) => {
        const v = (o: Operand, here: boolean): number =>
          'given' in o ? o.given + (here ? 1 : 0) : values[o.ref];
        const a = v(s.a, i === step && side === 'a');
        const b = v(s.b, i === step && side === 'b');
        values.push(s.op === '+' ? a + b : s.op === '-' ? a - b : s.op === '*' ? a * b : a / b);
      });
      return values[values.length - 1];
    };
    let checked = 0;
    let summed = 0;
    for (let seed = 0; seed < 400; seed++) {
      const plan = EVERYDAY[0](mulberry32(seed), 'varied');
      expect(plan.situation).toBe('events');
      const clauses = plan.problem.split(/[.,?]| and then /);
      const base = answerWith(plan, -1, 'a');
      // Added up first: the count then changes by an earlier result, not by a stated amount.
      if (plan.steps.some((s) => (s.op === '+' || s.op === '-') && 'ref' in s.b)) summed++;
      plan.steps.forEach((s, i) => {
        for (const side of ['a', 'b'] as const) {
          const o = s[side];
          if (!('given' in o) || (s.op !== '+' && s.op !== '-')) continue;
          const n = o.given;
          const hits = clauses.filter((c) => new RegExp(`\\b${n}\\b`).test(c));
          if (hits.length !== 1 || (plan.problem.match(new RegExp(`\\b${n}\\b`, 'g')) ?? []).length !== 1)
            continue;
          if (!AWAY.test(hits[0]) && !MORE.test(hits[0])) continue;
          const away = AWAY.test(hits[0]);
          expect(Math.sign(answerWith(plan, i, side) - base), `${hits[0]} in ${plan.problem}`).toBe(
            away ? -1 : 1,
          );
          checked++;
        }
      });
    }
    expect(checked).toBeGreaterThan(400);
    expect(summed).toBeGreaterThan(20);
  });

  it('tells a shop or a school as "A store had ..." and "it" after that, events on days in order', () => {
    const DAY = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
    let places = 0;
    let dated = 0;
    for (let seed = 0; seed < 600; seed++) {
      const plan = EVERYDAY[0](mulberry32(seed), 'varied');
      const opened = /^A (store|shop|bakery|school|library|farm stand|cafe|warehouse) /.exec(plan.problem);
      if (!opened) continue;
      places++;
      expect(plan.person).toEqual({ name: `the ${opened[1]}`, he: 'it' });
      expect(plan.problem).not.toMatch(/\b(he|she|him|her|his)\b/i);
      expect(plan.problem.slice(opened[0].length)).not.toMatch(new RegExp(`\\bA ${opened[1]}\\b`));
      const days = [
        ...plan.problem.matchAll(/\bon (Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b/g),
      ];
      const order = days.map((d) => DAY.indexOf(d[1]));
      expect(order).toEqual([...order].sort((a, b) => a - b));
      if (days.length > 0) dated++;
    }
    expect(places).toBeGreaterThan(30);
    expect(dated).toBeGreaterThan(5);
  });

  it('asks what is "still" there only when nothing came in', () => {
    let still = 0;
    for (let seed = 0; seed < 1500; seed++) {
      const plan = EVERYDAY[0](mulberry32(seed), 'varied');
      if (!/\b(still|remain)\b/.test(questionOf(plan.problem))) continue;
      still++;
      const events = plan.problem
        .replace(/^[^.]*\.( Each one (holds|held) \d+\.)?/, '')
        .replace(/[^.]*\?$/, '');
      expect(events, plan.problem).not.toMatch(MORE);
      expect(plan.steps.some((s) => s.op === '-')).toBe(true);
    }
    expect(still).toBeGreaterThan(20);
  });

  it('divides an amount by a stated rate, after finding what is still to go or the whole amount (a sum or a product)', () => {
    for (let seed = 0; seed < 200; seed++) {
      const plan = EVERYDAY[2](mulberry32(seed), 'varied');
      expect(plan.situation).toBe('how-many');
      expect(plan.steps.map((s) => s.op)).toEqual([expect.stringMatching(/^[-+*]$/), '/']);
      const rate = plan.steps[1].b;
      expect(numbers(plan.problem)).toContain('given' in rate ? rate.given : -1);
    }
  });
});

describe('numbers given in words (implied.ts)', () => {
  it.each([
    ['Ana has 3 pens and buys 1,250 more.', [3, 1250]],
    ['Ana has three pens. Twelve friends come.', [3, 12]],
    ['It costs $5 for two.', [5, 2]],
  ])('writtenNumbers(%j) is %j', (text, want) => {
    expect([...writtenNumbers(text)].sort((a, b) => a - b)).toEqual([...want].sort((a, b) => a - b));
  });

  it.each([
    ['Ana runs 3 km a day for two weeks.', [2, 3, 7]],
    ['Ben has twice as many.', [2]],
    ['Mei buys 4 dozen eggs.', [4, 12]],
    ['A pump runs for 3 hours.', [3, 60]],
    ['A rope is 5 metres long.', [5, 100]],
    ['She pays $20 a month for 2 years.', [2, 12, 20]],
  ])('statedNumbers(%j) is %j', (text, want) => {
    expect([...statedNumbers(text)].sort((a, b) => a - b)).toEqual(want);
  });

  it('spellNumbers writes some counts in words and large numbers with separators, never money or parts of numbers', () => {
    const text =
      'Tom has 4 boxes of 12 pens and $6. At 3.5 km, 2,000 people and 4500 birds wait. 5 cats sleep.';
    const outs = Array.from({ length: 300 }, (_, seed) => spellNumbers(mulberry32(seed), text, 1));
    for (const out of outs) {
      expect(out).toContain('$6');
      expect(out).toContain('3.5 km');
      expect(out).toContain('2,000 people');
      expect(out, out).toMatch(/^(Tom has (4|four) boxes of (12|twelve) pens)/);
      expect(out).toMatch(/wait\. (5|Five) cats/);
      expect(writtenNumbers(out)).toEqual(writtenNumbers(text));
    }
    expect(outs.some((o) => o.includes('four boxes') && o.includes('Five cats'))).toBe(true);
    expect(outs.some((o) => o.includes('4,500 birds'))).toBe(true);
    expect(outs.some((o) => o === text)).toBe(true);
  });

  it('states numbers the solution needs only in words, and every operand is one the problem gives', () => {
    let byWord = 0;
    for (let seed = 0; seed < 400; seed++) {
      const plan = IMPLIED_SCENARIOS[seed % IMPLIED_SCENARIOS.length](mulberry32(seed), 'varied');
      const stated = new Set(givenBy(plan.problem));
      const digits = new Set(numbers(plan.problem));
      for (const s of plan.steps)
        for (const o of [s.a, s.b])
          if ('given' in o) {
            expect(stated.has(o.given), `${o.given} in ${plan.problem}`).toBe(true);
            if (!digits.has(o.given)) byWord++;
          }
    }
    expect(byWord).toBeGreaterThan(250);
  });

  it('uses the constant the unit word carries: 7 days a week, 60 minutes an hour, 12 a dozen', () => {
    for (let seed = 0; seed < 200; seed++) {
      const plan = IMPLIED_SCENARIOS[0](mulberry32(seed), 'varied');
      const s = plan.steps[0];
      const k = 'given' in s.b ? s.b.given : -1;
      if (/\bweeks\b/.test(plan.problem)) expect(k, plan.problem).toBe(7);
      else if (/\bhours\b/.test(plan.problem)) expect(k, plan.problem).toBe(60);
      else expect([/\byears\b/.test(plan.problem), k]).toEqual([true, 12]);
    }
  });

  it('varied problems sometimes give counts in words or large numbers with separators', () => {
    const problems = synthesize({ n: 1000, seed: 11 }).map((x) => x.problem);
    expect(
      problems.filter((p) => /\b(two|three|four|five|six|seven|eight|nine)\b/i.test(p)).length,
    ).toBeGreaterThan(50);
    expect(problems.some((p) => /\d,\d{3}\b/.test(p))).toBe(true);
  });
});

describe('answerSentence(question, count, amount)', () => {
  it.each([
    ['How many cookies does she have left?', 'She has 39 cookies left.'],
    ['How many days does he need to finish it?', 'He needs 39 days to finish it.'],
    ['How much does Mr. Green pay?', 'Mr. Green pays $39.'],
    ['How much change does she get?', 'She gets $39 in change.'],
    ['How much money does that bring in?', 'That brings in $39.'],
    ['How many stamps does he end up with?', 'He ends up with 39 stamps.'],
    ['How many coins do they have together?', 'They have 39 coins together.'],
    ['How many pencils does each one get?', 'Each one gets 39 pencils.'],
    ['How many passengers are on the bus now?', '39 passengers are on the bus now.'],
    ['How many are left?', '39 are left.'],
    ['How many rows are there now?', 'There are 39 rows now.'],
    ['What is the total cost?', 'The total cost is $39.'],
    ['How many minutes is that in total?', 'That is 39 minutes in total.'],
    ['How far does she go in total?', 'She goes $39 in total.'],
    ['How far does she still have to go?', null],
    ['How many litres does it use on a 30 km trip?', null],
    ['How many tickets do 36 students get?', null],
    ['How many eggs did he have in the end?', null],
  ])('%j -> %j', (question, want) => {
    expect(answerSentence(question, '39', '$39')).toBe(want);
  });

  it.each([
    ['have', 'has'],
    ['go', 'goes'],
    ['carry', 'carries'],
    ['pay', 'pays'],
    ['finish', 'finishes'],
  ])('thirdPerson(%j) is %j', (verb, want) => expect(thirdPerson(verb)).toBe(want));

  it('varied solutions sometimes end by answering the question in its words, with the final answer last', () => {
    const items = synthesize({ n: 1000, seed: 21 });
    const ends = items.filter((x) => {
      const want = answerSentence(questionOf(x.problem), String(finalAnswer(x)), '');
      return want !== null && x.steps[x.steps.length - 1].endsWith(want.replace(/ \.$/, '.'));
    });
    expect(ends.length).toBeGreaterThan(60);
  });
});

describe('shopping told with money to start, in the present or the past', () => {
  it('takes the total from the money stated first, whichever tense the problem is in', () => {
    const items = synthesize({ n: 3000, seed: 41 }).filter(
      (x) =>
        x.error_type === 'none' &&
        /^[^.]+ (has|had) (\$[\d,]+|[\d,]+ dollars)\. .*\b(buys|bought|gets|got)\b/.test(x.problem),
    );
    expect(items.length).toBeGreaterThan(20);
    expect(items.some((x) => / bought /.test(x.problem))).toBe(true);
    // The opening after the money names the person by a pronoun, capitalised only at its start.
    for (const x of items) expect(x.problem, x.problem).not.toMatch(/, (He|She|They) /);
    expect(items.some((x) => /^[^.]+\. At the store, (he|she|they) /.test(x.problem))).toBe(true);
    for (const x of items) {
      const start = numbers(x.problem.split('.')[0])[0];
      const last = x.steps.flatMap(equations).at(-1)!;
      expect([last.a, last.op === '−' ? '-' : last.op], `${x.problem} | ${x.steps.join(' | ')}`).toEqual([
        start,
        '-',
      ]);
    }
  });
});

describe('savings from nothing, the weeks told with what happens after them', () => {
  it('multiplies the weekly amount by the weeks first and adds no money to start', () => {
    const items = synthesize({ n: 4000, seed: 44 }).filter(
      (x) => x.error_type === 'none' && /\bAfter \w+ weeks,? (he|she|they|his|her|their) /.test(x.problem),
    );
    expect(items.length).toBeGreaterThan(10);
    for (const x of items) {
      expect(x.problem).not.toMatch(/saved\.|piggy bank/);
      const eqs = x.steps.flatMap(equations);
      const weeks = givenBy(/After (\w+) weeks/.exec(x.problem)![1])[0];
      expect(eqs[0].op, x.steps.join(' | ')).toMatch(/^[*×x]$/);
      expect([eqs[0].a, eqs[0].b]).toContain(weeks);
      const weekly = eqs[0].a === weeks ? eqs[0].b : eqs[0].a;
      expect(givenBy(x.problem.split(/\bAfter /)[0]), x.problem).toContain(weekly);
    }
  });
});

describe('recipes for one item', () => {
  it('multiply the amounts for one item by the number made, with no division first', () => {
    const items = synthesize({ n: 4000, seed: 43 }).filter(
      (x) => x.error_type === 'none' && /(for each|^Each) (loaf|cake|pie|tray of cookies)\b/.test(x.problem),
    );
    expect(items.length).toBeGreaterThan(10);
    for (const x of items) {
      const eqs = x.steps.flatMap(equations);
      // After the first sentence: how many are made, in digits or in words.
      const made = givenBy(x.problem.slice(x.problem.indexOf('. ') + 2));
      expect(eqs[0].op === '/' || eqs[0].op === '÷', x.steps.join(' | ')).toBe(false);
      expect(made.includes(eqs[0].a) || made.includes(eqs[0].b), x.steps.join(' | ')).toBe(true);
    }
  });
});

describe('one relation (single.ts)', () => {
  // The operation each wording of a relation calls for, read independently of single.ts; the
  // first match wins (a saving goal asks for a quotient although it says "each week").
  const CUES: [RegExp, string][] = [
    [/goal is|want to collect|has read|knocks down|blows down|cut down|taller/, '-'],
    [/bus holds|puts them into|in rows of|cuts it into pieces|How many weeks will/, '/'],
    [/^[^.]*(shares|split) [^.]*equally/, '/'],
    [/together|in all/, '+'],
    [/each hour|every hour|minute|for each|every day|each week|holds|in each|laps|every year/, '*'],
  ];

  it('computes what the relation states, once, then at most one follow-up on the result', () => {
    const seen = new Set<string>();
    let followed = 0;
    for (let seed = 0; seed < 400; seed++) {
      const plan = SINGLE_SCENARIOS[0](mulberry32(seed), 'varied');
      expect(plan.situation).toBe('single');
      const cue = CUES.find(([re]) => re.test(plan.problem));
      expect(cue, plan.problem).toBeDefined();
      expect(plan.steps[0].op, plan.problem).toBe(cue![1]);
      seen.add(cue![1]);
      const known = givenBy(plan.problem);
      for (const s of plan.steps)
        for (const o of [s.a, s.b]) if ('given' in o) expect(known, plan.problem).toContain(o.given);
      expect(plan.steps.length).toBeLessThanOrEqual(2);
      if (plan.steps.length === 2) {
        followed++;
        expect(plan.steps[1].a).toEqual({ ref: 0 });
        // Laps every morning, asked for some mornings: the distance of one morning times them.
        const again = /laps [^.]*(?:every|each) (day|morning|evening|week)\. .* in (\d+) \1s\?$/.exec(
          plan.problem,
        );
        if (again) expect([plan.steps[1].op, plan.steps[1].b]).toEqual(['*', { given: Number(again[2]) }]);
        else expect(['-', '/']).toContain(plan.steps[1].op);
      }
    }
    expect([...seen].sort()).toEqual(['*', '+', '-', '/']);
    expect(followed).toBeGreaterThan(20);
  });

  it('asks for laps kept up every day or morning as the laps of one times the days', () => {
    let repeated = 0;
    for (let seed = 0; seed < 3000 && repeated < 10; seed++) {
      const plan = SINGLE_SCENARIOS[0](mulberry32(seed), 'varied');
      if (!/laps .*(every|each) (day|morning|evening|week)\./.test(plan.problem)) continue;
      repeated++;
      expect(plan.steps.map((s) => s.op)).toEqual(['*', '*']);
      expect(plan.steps[1].a).toEqual({ ref: 0 });
    }
    expect(repeated).toBe(10);
  });

  it('makes solutions of a single computation part of the generated set', () => {
    const single = items.filter((x) => x.steps.flatMap(equations).length === 1);
    expect(single.length).toBeGreaterThan(20);
    for (const x of single) expect(x.steps.length).toBeGreaterThanOrEqual(2);
  });
});

/** A plan step whose operands carry no unit. */
const step = (a: Operand, op: Op, b: Operand, what: string, unit: Unit = plain()): PlanStep => ({
  a,
  op,
  b,
  what,
  unit,
  unitA: plain(),
  unitB: plain(),
});

describe('operand order', () => {
  const plan = (op: Op): Plan => ({
    situation: 'test',
    problem: 'Ana has 36 boxes. Each box holds 4 pens. How many pens does she have?',
    steps: [step({ given: 36 }, op, { given: 4 }, 'the pens')],
  });
  const firstOperands = (op: Op): Set<number> => {
    const out = new Set<number>();
    for (let seed = 0; seed < 200; seed++) {
      const e = render(plan(op), mulberry32(seed))!.steps.flatMap(equations)[0];
      if (e) out.add(e.a);
    }
    return out;
  };

  it('writes a sum or a product in either order, a difference or a quotient in one', () => {
    expect([...firstOperands('*')].sort()).toEqual([36, 4].sort());
    expect([...firstOperands('+')].sort()).toEqual([36, 4].sort());
    expect([...firstOperands('-')]).toEqual([36]);
    expect([...firstOperands('/')]).toEqual([36]);
  });
});

describe('unsupported numbers for everyday constants', () => {
  it('puts a number people confuse with the constant in its place (5 days in a week)', () => {
    const plan: Plan = {
      situation: 'test',
      problem: 'Omar walks 3 km every day for two weeks. How far does he walk?',
      steps: [
        step({ given: 2 }, '*', { given: 7 }, 'the days', plain('days')),
        step({ ref: 0 }, '*', { given: 3 }, 'the distance', plain('km')),
      ],
    };
    const used = new Set<number>();
    for (let seed = 0; seed < 300; seed++) {
      const m = chooseMutation(plan, 'unsupported_number', mulberry32(seed));
      if (m?.step === 0 && m.b !== undefined) used.add(m.b);
    }
    expect([...used].filter((b) => [5, 6, 10].includes(b)).length).toBe(3);
  });
});

describe('synthPair(seed, id)', () => {
  const pairs = Array.from({ length: 300 }, (_, i) => synthPair(900 + i * 7919, `p${i}`));

  it('gives a mistake and its right twin: same problem, same steps before the mistake', () => {
    for (const [wrong, right] of pairs) {
      expect(wrong.label).toBeGreaterThanOrEqual(0);
      expect(wrong.error_type).not.toBe('none');
      expect(right).toMatchObject({
        problem: wrong.problem,
        label: -1,
        error_type: 'none',
        id: `${wrong.id}-twin`,
      });
      expect(right.final_answer_correct).toBe(true);
      expect(right.steps.slice(0, wrong.label)).toEqual(wrong.steps.slice(0, wrong.label));
      expect(right.steps[wrong.label], right.steps.join(' | ')).not.toBe(wrong.steps[wrong.label]);
      for (const e of right.steps.flatMap(equations)) expect(holds(e), right.steps.join(' | ')).toBe(true);
    }
  });

  it('mostly words the twins alike, so they differ in the mistake and what follows from it', () => {
    const sameLength = pairs.filter(([w, r]) => w.steps.length === r.steps.length).length;
    expect(sameLength / pairs.length).toBeGreaterThan(0.9);
    expect(new Set(pairs.map(([w]) => w.error_type))).toEqual(new Set(ERROR_TYPES));
  });

  it('is deterministic per seed', () => {
    expect(synthPair(4242, 'a')).toEqual(synthPair(4242, 'a'));
    expect(synthPair(4242, 'a')[0].problem).not.toBe(synthPair(4243, 'a')[0].problem);
  });
});

describe('a bare equation before the answer sentence', () => {
  it('ends with a full stop when the sentence after it opens with a number', () => {
    const steps = synthesize({ n: 4000, seed: 16 }).flatMap((x) => x.steps);
    expect(steps.filter((s) => /= \$?\d[\d,]*\.? \$?\d/.test(s)).length).toBeGreaterThan(20);
    for (const s of steps) expect(s).not.toMatch(/= \$?\d[\d,]*( [a-z]{2,})? \$?\d/);
  });
});
