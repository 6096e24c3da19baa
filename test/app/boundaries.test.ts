import { describe, expect, it } from 'vitest';
import { moveOffset, rebaseSteps, stepsFromCuts } from '../../src/app/lib/boundaries.ts';
import { segment, splitStep } from '../../src/core/segment.ts';

describe('moveOffset(before, after, offset)', () => {
  it.each<[string, string, string, number, number]>([
    ['an edit after the cut leaves it', 'ab|cd', 'ab|cdX', 2, 2],
    ['an insertion before the cut shifts it', 'ab|cd', 'Xab|cd', 2, 3],
    ['a deletion before the cut shifts it back', 'ab|cd', 'b|cd', 2, 1],
    ['typing at the cut keeps the new text after it', 'ab|cd', 'abX|cd', 2, 2],
    ['a replaced region holding the cut puts it at the region end', 'abcdef', 'aXYZf', 3, 4],
  ])('%s', (_name, before, after, offset, expected) => {
    expect(moveOffset(before.replace('|', ''), after.replace('|', ''), offset)).toBe(expected);
  });
});

describe('stepsFromCuts(text, cuts)', () => {
  it('trims each piece and keeps exact spans', () => {
    const text = 'a = 1.  b = 2.\n\n c = 3.';
    const steps = stepsFromCuts(text, [8, 16]);
    expect(steps).toEqual([
      { text: 'a = 1.', start: 0, end: 6 },
      { text: 'b = 2.', start: 8, end: 14 },
      { text: 'c = 3.', start: 17, end: 23 },
    ]);
    for (const s of steps) expect(text.slice(s.start, s.end)).toBe(s.text);
  });

  it('drops pieces that are only whitespace', () => {
    expect(stepsFromCuts('a\n\n  \n\nb', [3, 5]).map((s) => s.text)).toEqual(['a', 'b']);
  });
});

describe('rebaseSteps(before, after, steps)', () => {
  const before = 'Buy 3 pens at $2 each. That is $6. Answer: 6.';
  // Hand edit: split the one-line solution after the first sentence.
  const manual = splitStep(segment(before, 'lines'), 0, 22);

  it('is null for automatic segmentation', () => {
    expect(rebaseSteps(before, 'x', null)).toBeNull();
  });

  it('keeps a hand-made split when a typo is fixed in the first step', () => {
    const after = before.replace('pens', 'pencils');
    expect(rebaseSteps(before, after, manual)!.map((s) => s.text)).toEqual([
      'Buy 3 pencils at $2 each.',
      'That is $6. Answer: 6.',
    ]);
  });

  it('keeps it when text is typed into the second step', () => {
    const after = before.replace('Answer: 6.', 'The answer is 6.');
    expect(rebaseSteps(before, after, manual)!.map((s) => s.text)).toEqual([
      'Buy 3 pens at $2 each.',
      'That is $6. The answer is 6.',
    ]);
  });

  it('joins text typed between two steps to the step before it, never to no step', () => {
    const after = before.replace('each. ', 'each, total. ');
    const steps = rebaseSteps(before, after, manual)!;
    expect(steps.map((s) => s.text).join(' ')).toBe(after);
  });

  it('gives spans that index the new text exactly', () => {
    const after = 'Intro line.\n' + before.replace('pens', 'PENS');
    for (const s of rebaseSteps(before, after, manual)!) expect(after.slice(s.start, s.end)).toBe(s.text);
  });

  it('returns null (automatic steps again) when the edit replaced the text around every cut', () => {
    expect(rebaseSteps(before, 'Something else entirely.\n\nNew step.', manual)).toBeNull();
  });

  it('returns null when the text is emptied', () => {
    expect(rebaseSteps(before, '   ', manual)).toBeNull();
  });
});
