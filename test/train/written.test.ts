import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkStep } from '../../src/core/judge/index.ts';
import { mulberry32 } from '../../src/core/synth/rng.ts';
import { loadWritten, slipped } from '../../train/written.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function folder(lines: object[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'written-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'a.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return dir;
}

const rolls = {
  id: 'r1',
  problem:
    'A bakery makes 145 rolls in the morning and 98 in the afternoon. It sells 187. How many are left?',
  steps: ['The bakery makes 145 + 98 = 243 rolls.', '243 - 187 = 56 rolls are left.', 'The answer is 56.'],
  label: -1,
  error_type: 'none',
};

describe('train/written.ts', () => {
  it('loads checked records as training items', () => {
    const items = loadWritten(folder([rolls, { ...rolls, id: 'r2', label: 2, error_type: 'final_answer' }]));
    expect(items.map((x) => [x.id, x.label, x.error_type])).toEqual([
      ['written-r1', -1, 'none'],
      ['written-r2', 2, 'final_answer'],
    ]);
  });

  it.each([
    [
      'a right solution with a wrong sum',
      { ...rolls, steps: ['145 + 98 = 233 rolls.', 'The answer is 233.'] },
      /step 0 states a wrong computation/,
    ],
    [
      'a wrong computation before the labelled error',
      {
        ...rolls,
        steps: ['145 + 98 = 233.', '233 - 187 = 46.', 'The answer is 99.'],
        label: 2,
        error_type: 'final_answer',
      },
      /step 0/,
    ],
    ['a label past the last step', { ...rolls, label: 3, error_type: 'arithmetic' }, /label -1..steps-1/],
    ['an error type that contradicts the label', { ...rolls, label: 1 }, /matching error_type/],
  ])('refuses %s and names the record', (_, bad, message) => {
    expect(() => loadWritten(folder([rolls, bad]))).toThrow(message);
    expect(() => loadWritten(folder([rolls, bad]))).toThrow(/a\.jsonl:2/);
  });

  it('refuses a folder with no .jsonl file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'written-'));
    dirs.push(dir);
    expect(() => loadWritten(dir)).toThrow(/holds no \.jsonl file/);
  });

  it('slips one stated result, labels that step and carries the wrong number on', () => {
    const [item] = loadWritten(folder([rolls]));
    for (let seed = 0; seed < 30; seed++) {
      const twin = slipped(item, mulberry32(seed));
      expect(twin).not.toBeNull();
      const k = twin!.label;
      expect(twin!.error_type).toBe('arithmetic');
      expect(checkStep(twin!.steps[k]).verdict, twin!.steps[k]).toBe('wrong');
      expect(twin!.steps.slice(0, k)).toEqual(item.steps.slice(0, k));
      if (k === 0) {
        const wrong = twin!.steps[0].match(/= (\d+)/)![1];
        expect(twin!.steps[1].startsWith(`${wrong} - 187`), twin!.steps[1]).toBe(true);
      }
    }
  });

  it('keeps the way a result is written and leaves solutions without a checked result alone', () => {
    const [money, words] = loadWritten(
      folder([
        {
          ...rolls,
          id: 'm',
          problem: 'Each ticket costs $1,250. How much do 3 cost?',
          steps: ['3 \\times \\$1,250 = \\$3,750', '\\boxed{3750}'],
        },
        { ...rolls, id: 'w', steps: ['They are left over.', 'The answer is 56.'] },
      ]),
    );
    const twin = slipped(money, mulberry32(4))!;
    expect(twin.steps[0]).toMatch(/^3 \\times \\\$1,250 = \\\$\d,\d{3}$/);
    expect(twin.steps[1]).toBe(`\\boxed{${twin.steps[0].split('$')[2].replace(',', '')}}`);
    expect(slipped(words, mulberry32(4))).toBeNull();
  });
});
