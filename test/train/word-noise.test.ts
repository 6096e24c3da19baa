import { describe, expect, it } from 'vitest';
import { checkStep } from '../../src/core/judge/index.ts';
import { synthesize } from '../../src/core/synth/index.ts';
import { mulberry32 } from '../../src/core/synth/rng.ts';
import { noiseWords, noisySteps, renameThings, replaceWords } from '../../train/word-noise.ts';
import { stripStepLabel } from '../../src/core/segment/markers.ts';

const pool = noiseWords("zebra\nquilted\nIowa\nit\nhelicopters\nbanana's\nmarmalade\n");
/** Everything a step's label can depend on: numbers, operators, LaTeX commands, short words. */
const skeleton = (s: string): string[] => s.match(/\d+|[=+\-−×÷*/$]|\\[a-z]+|\b[a-z]{1,2}\b/gi) ?? [];

describe('train/word-noise.ts', () => {
  it('keeps lower-case words of 3-10 letters only, never words that state arithmetic', () => {
    expect(pool).toEqual(['zebra', 'quilted', 'marmalade']);
    expect(noiseWords('spent\nplus\ntimes\nequals\nseven\nhundred\nover\n')).toEqual(['spent']);
  });

  it('replaces words but never numbers, operators, LaTeX commands, short words or the step label', () => {
    const r = mulberry32(3);
    for (const step of [
      'Step 2: She has 84 - 19 = 65 pencils left.',
      '**Step 3:** The cost is 3 \\times \\$4 = \\$12.',
      '2) In all, 7 x 9 = 63 stamps. The answer is \\boxed{63}.',
    ]) {
      const out = replaceWords(step, r, pool, 2);
      expect(out).not.toBe(step);
      expect(skeleton(out), out).toEqual(skeleton(step));
      const label = step.slice(0, step.length - stripStepLabel(step).length);
      expect(label.length, step).toBeGreaterThan(0);
      expect(out.startsWith(label), out).toBe(true);
      expect(
        out.split(' ').filter((w) => /zebra|quilted|marmalade/i.test(w)),
        out,
      ).toHaveLength(2);
    }
    expect(replaceWords('Step 1: Iowa 3 + 4 = 7.', mulberry32(1), pool, 1)).toMatch(
      /^Step 1: [A-Z][a-z]+ 3 \+ 4 = 7\.$/,
    );
    expect(replaceWords('3 + 4 = 7', mulberry32(1), pool, 2)).toBe('3 + 4 = 7');
  });

  it('keeps every computation the exact checker reads, so the labels still hold', () => {
    const r = mulberry32(5);
    const bigPool = noiseWords(['walked', 'spent', 'paid', 'gathered', 'equals', 'times', 'plus'].join('\n'));
    for (const x of synthesize({ n: 200, seed: 77 })) {
      const noisy = noisySteps(x.steps, r, bigPool, 1);
      noisy.forEach((s, k) => {
        const claims = (t: string): string[] => checkStep(t).claims.map((c) => `${c.text} ${c.verdict}`);
        expect(claims(s), `${x.steps[k]} -> ${s}`).toEqual(claims(x.steps[k]));
      });
    }
  });

  it('renames people and counted objects the same way in the problem and every step, nothing else', () => {
    const problem =
      'Uncle Bob has 294 coins. 76 are taken away, then he buys 4 packs for 5 dollars. How many coins are left?';
    const steps = [
      'Uncle Bob has 294 - 76 = 218 coins.',
      'The packs cost 4 \\times 5 = 20 dollars.',
      'Answer: 218 coins',
    ];
    const seen = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      const t = renameThings(problem, steps, mulberry32(seed), ['zebra'], ['Uncle Bob', 'Emma']);
      const renamed = (word: string): boolean => !t.problem.includes(word);
      for (const w of ['Uncle Bob', 'coins', 'packs']) {
        if (!renamed(w)) continue;
        seen.add(w);
        expect([t.problem, ...t.steps].join(' '), w).not.toContain(w);
      }
      expect(t.problem).toMatch(/ 76 are taken away, then he buys 4 \w+ for 5 dollars\./);
      expect(t.steps[1]).toContain('4 \\times 5 = 20 dollars.');
      [t.problem, ...t.steps].forEach((x, k) =>
        expect(skeleton(x)).toEqual(skeleton([problem, ...steps][k])),
      );
      if (renamed('coins')) expect(t.steps[2]).toBe('Answer: 218 zebras');
    }
    expect([...seen].sort()).toEqual(['Uncle Bob', 'coins', 'packs']);
  });
});
