import { describe, expect, it } from 'vitest';
import { checkStep, describeClaim, judgeArithmetic } from '../../src/core/judge/index.ts';
import { Rational } from '../../src/core/judge/rational.ts';

// Step strings in the shapes of ProcessBench solutions (plain, LaTeX, markdown lists) and of the
// generator (src/core/synth/render.ts), with the verdict a careful reader would give when only
// exact arithmetic counts. A third column, where present, is the correct value the checker must
// report for the wrong claim.
const TABLE: [string, 'right' | 'wrong' | 'none', string?][] = [
  // plain operators and glyphs
  ['3 + 4 = 7', 'right'],
  ['3 + 4 = 8', 'wrong', '7'],
  ['12 - 5 = 7', 'right'],
  ['12 − 5 = 6', 'wrong', '7'],
  ['7 × 9 = 63', 'right'],
  ['7 × 9 = 65', 'wrong', '63'],
  ['7 * 9 = 63', 'right'],
  ['7 x 9 = 63', 'right'],
  ['7x9 = 63', 'right'],
  ['7 · 9 = 64', 'wrong', '63'],
  ['84 / 4 = 21', 'right'],
  ['84 ÷ 4 = 22', 'wrong', '21'],
  ['2^10 = 1024', 'right'],
  ['2^10 = 1000', 'wrong', '1024'],
  ['5! = 120', 'right'],
  ['4! = 20', 'wrong', '24'],
  ['3 + 4 × 2 = 11', 'right'],
  ['(3 + 4) × 2 = 14', 'right'],
  ['(3 + 4) × 2 = 15', 'wrong', '14'],
  ['2(3 + 4) = 14', 'right'],
  ['(2)(7) = 14', 'right'],
  ['10 - 2 - 3 = 5', 'right'],
  ['100 / 5 / 2 = 10', 'right'],
  ['2 + 3 + 4 + 5 = 14', 'right'],
  ['2 × 3 × 4 = 24', 'right'],
  ['2 × 3 × 4 = 12', 'wrong', '24'],
  // = chains as people mean them
  ['3 × 4 = 12 + 5 = 17', 'right'],
  ['3 × 4 = 13 + 5 = 18', 'wrong', '12'],
  ['3 × 4 = 12 + 5 = 18', 'wrong', '17'],
  ['2 × 6 = 12 = 3 × 4', 'right'],
  ['6 × 7 = 42 - 2 = 40 / 4 = 10', 'right'],
  ['x = 3 + 4 = 7', 'right'],
  ['x = 3 + 4 = 8', 'wrong', '7'],
  ['f(3) = 2 × 3 + 1 = 7', 'right'],
  ['f(3) = 2 × 3 + 1 = 8', 'wrong', '7'],
  ['17 = 12 + 5', 'right'],
  ['So 25 = 3^2 + 4^2.', 'right'],
  // contractions and possessives before a formula are words, not variables
  ["That's 8 × 12 = 69 months.", 'wrong', '96'],
  ["Over 5 mornings that's 1200 × 5 = 6000 metres.", 'right'],
  ["Tom's total is 12 + 30 = 52.", 'wrong', '42'],
  ["f'(2) = 3 × 2 = 6", 'right'],
  // numbers: separators, decimals, fractions, mixed numbers, negatives
  ['1,000 + 2,500 = 3,500', 'right'],
  ['1,000 + 2,500 = 3,600', 'wrong', '3500'],
  ['1,234,567 + 1 = 1,234,568', 'right'],
  ['2.5 × 4 = 10', 'right'],
  ['0.1 + 0.2 = 0.3', 'right'],
  ['1.5 + 2.25 = 3.75', 'right'],
  ['1.5 + 2.25 = 3.85', 'wrong', '3.75'],
  ['12.50 × 2 = 25.00', 'right'],
  ['.5 × 8 = 4', 'right'],
  ['1/2 + 1/3 = 5/6', 'right'],
  ['1/2 + 1/4 = 2/6', 'wrong', '0.75'],
  ['3/4 = 0.75', 'right'],
  ['2 1/2 + 1 1/4 = 3 3/4', 'right'],
  ['2 1/2 × 2 = 5', 'right'],
  ['-3 + 5 = 2', 'right'],
  ['The sum is -3 + 5 = 8.', 'wrong', '2'],
  ['5 - -3 = 8', 'right'],
  ['(-2) × (-3) = 6', 'right'],
  ['-2 × 3 = -6', 'right'],
  ['(-2)^2 = 4', 'right'],
  ['2^{-1} = 0.5', 'right'],
  // percent, currency and units
  ['20% of 50 = 10', 'right'],
  ['20% of 50 = 12', 'wrong', '10'],
  ['25% × 80 = 20', 'right'],
  ['1/4 = 25%', 'right'],
  ['3/4 = 70%', 'wrong', '75%'],
  ['0.25 × 100 = 25%', 'none'],
  ['50 + 10% = 55', 'none'],
  ['$12 + $8 = $20', 'right'],
  ['4 × $3 = $13', 'wrong', '12'],
  ['4 x $3 = $12', 'right'],
  ['\\$12.50 \\times 4 = \\$50', 'right'],
  ['36 dollars + 4 dollars = 40 dollars', 'right'],
  ['The pens cost 4 × $3 = $12 in total.', 'right'],
  ['They have $22 + $27 = $57 in total.', 'wrong', '49'],
  ['So 3 + 4 = 8 in all.', 'wrong', '7'],
  ['After that, $261 − $74 = $213 remain.', 'wrong', '187'],
  ['12 in + 5 in = 17 in', 'right'],
  ['2 × 6 in = 13 in.', 'wrong', '12'],
  ['18 flamingos - 6 flamingos = 12 flamingos', 'right'],
  ['18 flamingos - 6 = 12', 'right'],
  ['He runs 55 minutes x 2 = 110 minutes.', 'right'],
  ['55 minutes x 2 = 100 minutes', 'wrong', '110'],
  ['3 boxes times 4 = 12 pencils', 'right'],
  ['80 cm^3 x 2 = 160 cm^3', 'none'],
  ['5cm × 3 = 15cm', 'right'],
  ['5cm × 3 = 16cm', 'wrong', '15'],
  ['60 km/h × 2 h = 120 km', 'none'],
  ['\\(80 \\, \\text{cm}^3 = 4 \\times 2 \\times 10\\)', 'right'],
  ['4 \\text{ hours} = 4 \\times 60 = 240 \\text{ minutes}', 'right'],
  ['2 hours = 2 × 60 = 100 minutes', 'none'],
  ['5 quarters = 5 * 25 = 125 cents', 'right'],
  ['So, 5 pairs = 5 * 2 = 10 shoes', 'right'],
  ['2 dimes = 2 * 10 = 20 cents and 50 cents + $1 = $1.50', 'right'],
  ['90° + 45° = 135°', 'right'],
  ['180° - 90° = 80°', 'wrong', '90'],
  // LaTeX
  ['\\(7 \\times 9 = 65\\)', 'wrong', '63'],
  ['$3 \\times 4 = 12$', 'right'],
  ['$$12 \\div 3 = 4$$', 'right'],
  ['\\[ 12 \\cdot 3 = 36 \\]', 'right'],
  ['\\(\\frac{1}{3} \\times 18 = 6\\)', 'right'],
  ['\\(\\dfrac{3}{4} + \\dfrac{1}{4} = 1\\)', 'right'],
  ['\\(\\tfrac{1}{2} \\cdot 10 = 6\\)', 'wrong', '5'],
  ['4 \\div \\frac{4}{9} = 9', 'right'],
  ['12 \\div \\frac{3}{4} = 12 \\times \\frac{4}{3} = 16', 'right'],
  ['\\frac{28 \\times 27}{2} = 378', 'right'],
  ['\\frac{28 \\times 27}{2} = 376', 'wrong', '378'],
  ['2\\frac{1}{2} \\times 2 = 5', 'right'],
  ['\\left(3 + 4\\right) \\times 2 = 14', 'right'],
  ['2^{10} = 1024', 'right'],
  ['3^{2} + 4^{2} = 25', 'right'],
  ['The answer is \\(\\boxed{30}\\).', 'none'],
  ['36 - 6 = \\boxed{30}', 'right'],
  ['36 - 6 = \\boxed{31}', 'wrong', '30'],
  ['1{,}000 + 500 = 1{,}500', 'right'],
  ['7 \\times 9 \\approx 63', 'none'],
  ['\\(3 \\times 4 = 12\\) and \\(12 + 5 = 17\\)', 'right'],
  ['\\[ 9 - 16 = -7 \\] \\[ -7 + 9 = 2 \\]', 'right'],
  ['\\sqrt{16} + 2 = 6', 'none'],
  ['\\sqrt{16} + 2 = 7', 'none'],
  ['\\binom{5}{2} = 11', 'none'],
  ['\\pi \\times 2 = 6', 'none'],
  ['a_1 + 3 = 7', 'none'],
  ['2^{10} \\mod 7 = 2', 'none'],
  // "x" as a variable, letters glued to numbers
  ['2x + 3 = 7', 'none'],
  ['x + 3 = 7', 'none'],
  ['x - 3 = 7', 'none'],
  ['3x = 12', 'none'],
  ['If 2x = 10, then x = 5.', 'none'],
  ['16,520.25 - 5,000 = 1.45x', 'none'],
  ['9 = \\frac{1}{4} d(d - 3)', 'none'],
  ['17^5 = 32 r^5', 'none'],
  ['c + s = \\frac{1}{2} \\] \\[ cs = -\\frac{3}{8}', 'none'],
  ['a + b = 10 and a - b = 4', 'none'],
  ['y = 2(3) - 1 = 5', 'right'],
  ['The 3rd term is 5 + 2 = 7', 'right'],
  ['The 3rd + 4 = 8', 'none'],
  // dates, times of day, ratios, step numbers, list numbering
  ['On 2023-10-05 = day 278', 'none'],
  ['10/05/2023 = 7', 'none'],
  ['From 3:45 - 2:30 = 1:15 hours', 'none'],
  ['The ratio 3:4 = 6:8', 'none'],
  ['The ratio is 3:4 = 9:12', 'none'],
  ['Step 2: 3 + 4 = 7', 'right'],
  ['Step 2: 3 + 4 = 8', 'wrong', '7'],
  ['2. 3 + 4 = 7', 'right'],
  ['1) 5 + 3 = 8', 'right'],
  ['**Step 3:** 6 × 7 = 42', 'right'],
  ['- 6 × 7 = 42\n- 8 × 7 = 56', 'right'],
  ['- \\(11^2 = 121\\)\n- \\(11^3 = 1331\\)', 'right'],
  ['- \\(36^2 = 1296\\)\n- \\(37^2 = 1369\\)', 'right'],
  ['* 2 + 2 = 4', 'right'],
  ['Page 12-15 = 4 pages', 'none'],
  // approximations, rounding, repeating decimals
  ['10 / 3 = 3.33', 'none'],
  ['10 / 3 = 3.3333', 'none'],
  ['2 / 3 = 0.67', 'none'],
  ['2 / 3 = 0.66', 'none'],
  ['100 / 3 = 33', 'none'],
  ['10 / 3 = 3.5', 'wrong', '10/3'],
  ['1 / 3 = 0.333...', 'none'],
  ['1/3 = 0.\\overline{3}', 'none'],
  ['10 / 3 ≈ 3.33', 'none'],
  ['10 / 3 ≈ 4', 'none'],
  ['The distance is about 12 × 3 = 35 km', 'none'],
  ['That is approximately 22 / 7 = 3.14', 'none'],
  ['1529 ÷ 6 = 255 with a remainder of 4', 'none'],
  ['1529 ÷ 6 = 254 remainder 5', 'none'],
  ['11.5098 × 720 = 8287.056', 'right'],
  ['The total is approximately:\n\\[ 11.5098 \\times 720 = 8286.656 \\]', 'none'],
  ['5742^3 \\approx 5740^3 = 190537064000', 'none'],
  // words that make a number part of a larger expression
  ['half of 10 + 2 = 7', 'none'],
  ['twice 6 + 1 = 13', 'none'],
  ['3 more than 5 + 2 = 10', 'none'],
  ['Multiples of 3 or 5 = 100 + 60 - 20 = 140', 'right'],
  ['\\text{Number of 6-minute intervals in 24 minutes} = \\frac{24}{6} = 4', 'right'],
  ['The 5 squared + 3 = 28', 'none'],
  ['5 + 3 = 8 squared', 'none'],
  ['2 + 3 = 5 million', 'none'],
  ['1 + 2 + \\cdots + 10 = 55', 'none'],
  ['1 + 2 + ... + 10 = 56', 'none'],
  ['The answer is 12!', 'none'],
  ['3 × 4 = 12! So we are done.', 'none'],
  ['5! = 120 ways', 'right'],
  ['P(5, 3) = 60', 'none'],
  ['(1, 2) = 3', 'none'],
  ['Wait, 3 × 4 = 13 is wrong.', 'none'],
  ['We need to check whether 7 × 8 = 54.', 'none'],
  ['7 × 8 ≠ 54', 'none'],
  ['3 × 4 = 12 → 12 + 1 = 13', 'right'],
  ['3 < 4 + 1 = 5', 'right'],
  // synth-generator shapes
  ['First, the cost of the pens is 4 × $3 = $12.', 'right'],
  ['Next, the money she has comes to $384 + $280 = $764.', 'wrong', '664'],
  ['We need the money left after buying a watch. That is $794 - $446 = $248.', 'wrong', '348'],
  [
    'To find the money left after buying a game, we compute $599 − $383 = $416. The final answer is $416.',
    'wrong',
    '216',
  ],
  ['Then the cookies each one gets comes to 135 / 9 = 15 cookies.', 'right'],
  ['135 ÷ 9 = 15, so each one gets 15 cookies.', 'right'],
  ['The new shells: 5 * 19 = 95 shells.', 'right'],
  ['Last, the distance still to go comes to 505 - 250 = 155. The answer is 155 km.', 'wrong', '255'],
  ['So the money in each jar comes to $380 / 5 = $76. The answer is $76.', 'right'],
  ['Now we work out the total: 36 + 48 = 84 km', 'right'],
  ['Finally, the total is 12 x 5 = 60 dollars. The answer is 60 dollars.', 'right'],
  // no computation at all
  ['First, on Friday, the neighbors start with 18 pink plastic flamingos.', 'none'],
  ['So the answer is 30.', 'none'],
  ['Let x be the number of apples.', 'none'],
  ['There are 12 months in a year = 365 days', 'none'],
  ['', 'none'],
];

describe('checkStep(step) on step strings shaped like ProcessBench and prm synth', () => {
  it('has at least 150 rows', () => expect(TABLE.length).toBeGreaterThanOrEqual(150));
  it.each(TABLE)('%j is %s', (step, verdict, computed) => {
    const r = checkStep(step);
    expect(r.verdict).toBe(verdict);
    if (computed !== undefined) expect(r.claims.find((c) => c.verdict === 'wrong')?.computed).toBe(computed);
  });
});

describe('checkStep(step) claims', () => {
  it('quotes each claim with the stated and the exact computed value', () => {
    expect(checkStep('Since \\(7 \\times 9 = 65\\), we get').claims).toEqual([
      { text: '7 × 9 = 65', stated: '65', computed: '63', verdict: 'wrong' },
    ]);
  });
  it('lists every link of a chain', () => {
    expect(checkStep('3 × 4 = 12 + 5 = 17').claims.map((c) => c.text)).toEqual(['3 × 4 = 12', '12 + 5 = 17']);
  });
  it('keeps a rounded claim as "none" with its exact value', () => {
    expect(checkStep('10/3 = 3.33').claims).toEqual([
      { text: '10/3 = 3.33', stated: '3.33', computed: '10/3', verdict: 'none' },
    ]);
  });
});

describe('describeClaim(claim)', () => {
  it.each([
    ['7 × 9 = 65', '7 × 9 = 63, not 65'],
    ['17 = 12 + 6', '12 + 6 = 18, not 17'],
    ['3/4 = 70%', '3/4 = 75%, not 70%'],
  ])('%j reads %j', (step, text) => {
    expect(describeClaim(checkStep(step).claims[0])).toBe(text);
  });
});

describe('judgeArithmetic(steps)', () => {
  it('returns the first wrong step and one verdict per step', () => {
    const j = judgeArithmetic(['We start with 18.', '18 - 6 = 12.', '12 + 18 = 31.', '31 - 6 = 25.']);
    expect(j.name).toBe('arithmetic');
    expect(j.first_error).toBe(2);
    expect(j.steps.map((s) => s.verdict)).toEqual(['none', 'right', 'wrong', 'right']);
  });
  it('returns -1 when no step is wrong, also when nothing could be checked', () => {
    expect(judgeArithmetic(['Think.', 'Done.']).first_error).toBe(-1);
  });
});

describe('Rational', () => {
  it.each([
    [new Rational(10n, 4n), '2.5'],
    [new Rational(-1n, 3n), '-1/3'],
    [new Rational(3n, -4n), '-0.75'],
    [Rational.parse('0.050'), '0.05'],
    [new Rational(1n, 8n), '0.125'],
  ])('%s prints as %s', (r, s) => expect(r.toString()).toBe(s));
  it('refuses powers whose result would be huge', () => {
    expect(new Rational(10n).pow(new Rational(100000n))).toBeNull();
    expect(new Rational(2n).pow(new Rational(1n, 2n))).toBeNull();
  });
});
