import { describe, expect, it } from 'vitest';
import { bestOfN } from '../../../src/core/metrics.ts';
import { DataError } from '../../../src/core/processbench.ts';
import { bonSummary, parseBestOfN, unscoredCount } from '../../../src/app/evaluate/best-of-n.ts';

const jsonl = (...records: object[]) => records.map((r) => JSON.stringify(r)).join('\n');

describe('parseBestOfN(text, sourceName)', () => {
  it('groups candidates by problem_id in order of first appearance, even when not adjacent', () => {
    const problems = parseBestOfN(
      jsonl(
        { problem_id: 2, problem: 'B', steps: ['x'], correct: true },
        { problem_id: 'a', problem: 'A', steps: ['y'], correct: false },
        { problem_id: 2, steps: ['z'], correct: false, answer: 7 },
      ),
      'bon.jsonl',
    );
    expect(problems.map((g) => [g.key, g.problem, g.candidates.length])).toEqual([
      ['2', 'B', 2],
      ['a', 'A', 1],
    ]);
    expect(problems[0].candidates[1]).toEqual({
      where: 'bon.jsonl line 3',
      steps: ['z'],
      correct: false,
      answer: '7',
    });
  });

  it('groups by the problem text when there is no problem_id', () => {
    const problems = parseBestOfN(
      JSON.stringify([
        { problem: 'Q', steps: ['a'], correct: true },
        { problem: 'Q', steps: ['b'], correct: true },
      ]),
      'bon.json',
    );
    expect(problems).toHaveLength(1);
    expect(problems[0].candidates.map((c) => c.where)).toEqual(['bon.json item 0', 'bon.json item 1']);
  });

  it('splits a "solution" string into steps like the playground does (blank lines)', () => {
    const [g] = parseBestOfN(
      jsonl({ problem: 'Q', solution: 'x = 2.\n\nSo 2x = 4.', correct: true }),
      'b.jsonl',
    );
    expect(g.candidates[0].steps).toEqual(['x = 2.', 'So 2x = 4.']);
  });

  it('accepts candidates with rewards and no text (no model run needed)', () => {
    const problems = parseBestOfN(jsonl({ problem_id: 1, correct: true, rewards: [0.9, 0.5] }), 'b.jsonl');
    expect(problems[0].candidates[0].rewards).toEqual([0.9, 0.5]);
    expect(unscoredCount(problems)).toBe(0);
  });

  it.each([
    [
      'a missing "correct"',
      [{ problem: 'Q', steps: ['a'] }],
      /b\.jsonl line 1: field "correct" must be true or false, got nothing/,
    ],
    [
      'no problem_id and no problem',
      [{ steps: ['a'], correct: true }],
      /line 1: add "problem_id" or "problem"/,
    ],
    [
      'both steps and solution',
      [{ problem: 'Q', steps: ['a'], solution: 'a', correct: true }],
      /line 1: give either "steps"/,
    ],
    [
      'empty steps',
      [{ problem: 'Q', steps: [], correct: true }],
      /field "steps" must be a non-empty list of strings/,
    ],
    [
      'rewards out of range',
      [{ problem: 'Q', steps: ['a'], correct: true, rewards: [1.2] }],
      /field "rewards" must be a non-empty list of numbers between 0 and 1/,
    ],
    [
      'more rewards than steps',
      [{ problem: 'Q', steps: ['a'], correct: true, rewards: [0.5, 0.5] }],
      /line 1: 2 rewards for 1 steps/,
    ],
    [
      'no rewards and no steps',
      [{ problem: 'Q', correct: true }],
      /line 1: no "rewards", so the model must score it/,
    ],
    [
      'a bad answer type',
      [{ problem: 'Q', steps: ['a'], correct: true, answer: [1] }],
      /field "answer" must be a string or a number/,
    ],
    [
      'two texts for one problem_id',
      [
        { problem_id: 1, problem: 'Q', steps: ['a'], correct: true },
        { problem_id: 1, problem: 'R', steps: ['a'], correct: true },
      ],
      /line 2: problem_id "1" has a different "problem" text than b\.jsonl line 1/,
    ],
    [
      'unscored candidates without problem text',
      [{ problem_id: 1, steps: ['a'], correct: true }],
      /line 1: no "rewards" and no "problem" text for problem_id "1"/,
    ],
  ])('throws a DataError naming the line for %s', (_what, records, message) => {
    const text = jsonl(...records);
    expect(() => parseBestOfN(text, 'dir/b.jsonl')).toThrow(DataError);
    expect(() => parseBestOfN(text, 'dir/b.jsonl')).toThrow(message);
  });
});

describe('bonSummary(problems)', () => {
  // Aggregates worked out by hand per candidate (min, product, last, mean).
  const text = jsonl(
    { problem_id: 1, correct: false, answer: '3', rewards: [0.6, 0.3] }, // min 0.3, product 0.18, last 0.3, mean 0.45
    { problem_id: 1, correct: true, answer: '4', rewards: [0.9, 0.3, 0.95] }, // min 0.3, product 0.2565, last 0.95, mean 0.7167
    { problem_id: 1, correct: true, answer: '4', rewards: [0.5, 0.5] }, // min 0.5, product 0.25, last 0.5, mean 0.5
    { problem_id: 2, correct: false, answer: '1', rewards: [0.8] }, // all 0.8
    { problem_id: 2, correct: true, answer: '2', rewards: [0.7, 0.99] }, // min 0.7, product 0.693, last 0.99, mean 0.845
  );
  const problems = parseBestOfN(text, 'b.jsonl');
  const s = bonSummary(problems);

  it.each([
    ['min', 0.5], // p1 -> c2 (0.5) right; p2 -> c0 (0.8) wrong
    ['product', 0.5], // p1 -> c1 right; p2 -> c0 (0.8 > 0.693) wrong
    ['last', 1], // p1 -> c1 right; p2 -> c1 right
    ['mean', 1], // p1 -> c1 right; p2 -> c1 (0.845) right
  ])('picking by %s is right on %d of the problems', (how, accuracy) => {
    expect(s.pickers.find((p) => p.how === how)?.accuracy).toBe(accuracy);
  });

  it('matches core bestOfN for every picker', () => {
    const groups = problems.map((g) => ({
      problemId: g.key,
      candidates: g.candidates.map((c) => ({ rewards: c.rewards!, correct: c.correct })),
    }));
    for (const p of s.pickers) expect(p.accuracy).toBe(bestOfN(groups, p.how).accuracy);
  });

  it('gives majority vote, pass@N, the random-pick baseline and N', () => {
    expect(s).toMatchObject({
      problems: 2,
      candidates: 5,
      nMin: 2,
      nMax: 3,
      majority: 0.5,
      majorityMissing: 0,
      passAtN: 1,
    });
    expect(s.random).toBeCloseTo((2 / 3 + 1 / 2) / 2, 12);
  });

  it('counts the final-step minimum over multi-step candidates (ties go to the earlier step)', () => {
    // c0: last 0.3 < 0.6 yes; c1: 0.95 no; c2: tie 0.5/0.5 no; c3 single step left out; c4 no.
    expect(s.finalStepMin).toEqual({ share: 0.25, final: 1, n: 4 });
  });

  it('leaves majority vote out when a candidate has no answer, and says how many lack one', () => {
    const t = bonSummary(
      parseBestOfN(
        jsonl(
          { problem_id: 1, correct: true, rewards: [0.5] },
          { problem_id: 1, correct: false, answer: 'x', rewards: [0.4] },
        ),
        'b.jsonl',
      ),
    );
    expect([t.majority, t.majorityMissing]).toEqual([null, 1]);
  });

  it('throws when a candidate still has no rewards', () => {
    const unscored = parseBestOfN(jsonl({ problem: 'Q', steps: ['a'], correct: true }), 'b.jsonl');
    expect(unscoredCount(unscored)).toBe(1);
    expect(() => bonSummary(unscored)).toThrow('b.jsonl line 1 has no rewards yet');
  });
});
