import { describe, expect, it } from 'vitest';
import {
  SEGMENT_STRATEGIES,
  detectStrategy,
  joinSteps,
  mergeWithNext,
  segment,
  splitStep,
  stepsFromTexts,
} from '../../src/core/segment.ts';
import { stripStepLabel } from '../../src/core/segment/markers.ts';
import type { SegmentStrategy, Step } from '../../src/core/types.ts';

const texts = (text: string, strategy?: SegmentStrategy) => segment(text, strategy).map((s) => s.text);

/** The contract every result must keep, whatever the input (plain checks: big inputs give 100k steps). */
function expectValidSteps(source: string, steps: Step[]): void {
  const problems: string[] = [];
  const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
  const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;
  let last = 0;
  steps.forEach((s, i) => {
    if (source.slice(s.start, s.end) !== s.text) problems.push(`step ${i}: span does not match text`);
    if (!s.text || s.text.trim() !== s.text) problems.push(`step ${i}: empty or untrimmed`);
    if (s.start < last) problems.push(`step ${i}: overlaps or out of order`);
    // No content is lost: only whitespace lies between steps.
    if (source.slice(last, s.start).trim()) problems.push(`step ${i}: content lost before it`);
    if (isLow(s.text.charCodeAt(0)) || isHigh(s.text.charCodeAt(s.text.length - 1))) {
      problems.push(`step ${i}: cuts a surrogate pair`);
    }
    last = s.end;
  });
  if (source.slice(last).trim()) problems.push('content lost after the last step');
  expect(problems.slice(0, 5)).toEqual([]);
}

describe('segment(text, "paragraphs")', () => {
  it.each([
    ['two paragraphs', 'Let x = 2.\n\nThen 2x = 4.', ['Let x = 2.', 'Then 2x = 4.']],
    ['several blank lines and whitespace-only lines', 'a\n\n \t\n\nb', ['a', 'b']],
    ['single line breaks stay inside a paragraph', 'a\nb\n\nc', ['a\nb', 'c']],
    ['leading and trailing blank lines', '\n\n  a  \n\n', ['a']],
    ['one block is one step', 'x = 1, so y = 2.', ['x = 1, so y = 2.']],
    ['CRLF blank line', 'a\r\nb\r\n\r\nc', ['a\r\nb', 'c']],
    ['lone CR blank line', 'a\rb\r\rc', ['a\rb', 'c']],
    ['mixed line ends', 'a\r\n\nb\r\rc', ['a', 'b', 'c']],
    ['$$ block with a blank line', 'a\n\n$$\nx\n\ny\n$$\n\nb', ['a', '$$\nx\n\ny\n$$', 'b']],
    ['\\[ block with a blank line', 'a\n\n\\[\nx\n\ny\n\\]\n\nb', ['a', '\\[\nx\n\ny\n\\]', 'b']],
    [
      '\\begin{align} with a blank line',
      '\\begin{align}\nx\n\ny\n\\end{align}\n\nb',
      ['\\begin{align}\nx\n\ny\n\\end{align}', 'b'],
    ],
    [
      'nested same-name environments',
      '\\begin{a}\n\\begin{a}\nx\n\n\\end{a}\n\ny\n\\end{a}\n\nz',
      ['\\begin{a}\n\\begin{a}\nx\n\n\\end{a}\n\ny\n\\end{a}', 'z'],
    ],
    [
      'nested different environments',
      '\\begin{align}\n\\begin{cases}\nx\n\n\\end{cases}\n\n\\end{align}\n\nz',
      ['\\begin{align}\n\\begin{cases}\nx\n\n\\end{cases}\n\n\\end{align}', 'z'],
    ],
    [
      '``` fence containing blank lines',
      'Code:\n\n```py\nx = 1\n\n\ny = 2\n```\n\nDone.',
      ['Code:', '```py\nx = 1\n\n\ny = 2\n```', 'Done.'],
    ],
    ['~~~ fence containing blank lines', '~~~\na\n\nb\n~~~\n\nc', ['~~~\na\n\nb\n~~~', 'c']],
    [
      'a longer fence is closed only by one at least as long',
      '````\n```\n\nx\n````\n\ny',
      ['````\n```\n\nx\n````', 'y'],
    ],
    ['$$ inside a code fence is code', '```\n$$\n```\n\na\n\n$$ b $$', ['```\n$$\n```', 'a', '$$ b $$']],
    ['unbalanced $$ is plain text', 'a $$ x\n\nb\n\nc', ['a $$ x', 'b', 'c']],
    ['unbalanced \\[ is plain text', '\\[ x\n\nb', ['\\[ x', 'b']],
    ['unbalanced \\begin{align} is plain text', '\\begin{align}\nx\n\ny', ['\\begin{align}\nx', 'y']],
    ['unclosed code fence is plain text', '```\na\n\nb', ['```\na', 'b']],
    [
      'unbalanced inner environment inside a balanced one',
      '\\begin{a}\\begin{b}\n\nx\\end{a}\n\ny',
      ['\\begin{a}\\begin{b}\n\nx\\end{a}', 'y'],
    ],
    ['escaped \\\\[2pt] is a line break, not \\[', 'x \\\\[2pt]\n\ny', ['x \\\\[2pt]', 'y']],
    ['non-BMP characters', '😀 𝑥 = 1\n\n𝑦 = 2 😀', ['😀 𝑥 = 1', '𝑦 = 2 😀']],
  ])('%s', (_, text, expected) => {
    expect(texts(text, 'paragraphs')).toEqual(expected);
    expectValidSteps(text, segment(text, 'paragraphs'));
  });
});

describe('segment(text, "markers")', () => {
  it.each([
    ['Step N:', 'Step 1: a\nStep 2: b', ['Step 1: a', 'Step 2: b']],
    [
      'Step N. and text before the first marker',
      'Intro.\nStep 1. a\nStep 2. b',
      ['Intro.', 'Step 1. a', 'Step 2. b'],
    ],
    [
      '**Step N:** spanning several lines',
      '**Step 1:** a\nmore\n\n**Step 2:** b',
      ['**Step 1:** a\nmore', '**Step 2:** b'],
    ],
    ['**Step N**:', '**Step 1**: a\n**Step 2**: b', ['**Step 1**: a', '**Step 2**: b']],
    [
      '## Step N headings, case-insensitive',
      '## Step 1\na\n## STEP 2 Compute\nb',
      ['## Step 1\na', '## STEP 2 Compute\nb'],
    ],
    ['N.', '1. a\n2. b\n3. c', ['1. a', '2. b', '3. c']],
    ['N)', '1) a\n2) b', ['1) a', '2) b']],
    ['(N)', '(1) a\n(2) b', ['(1) a', '(2) b']],
    ['indented markers', '  1. a\n  2. b', ['1. a', '2. b']],
    ['a gap of one number is fine', '1. a\n3. b', ['1. a', '3. b']],
    [
      'a nested list restarting at 1 is content',
      '1. a\n2. b\n   1. x\n   2. y\n3. c',
      ['1. a', '2. b\n   1. x\n   2. y', '3. c'],
    ],
    [
      'Step markers win over numbered lines',
      'Step 1: list\n1. x\n2. y\nStep 2: z',
      ['Step 1: list\n1. x\n2. y', 'Step 2: z'],
    ],
    ['1.5 at a line start is not a marker', '1.5 kg\n2.5 kg', ['1.5 kg\n2.5 kg']],
    ['Step 1.5 is not a marker', 'Step 1.5 kg\nStep 2.5 kg', ['Step 1.5 kg\nStep 2.5 kg']],
    ['a year is not a marker', '2010. a year\n2011. next', ['2010. a year\n2011. next']],
    ['a single marker is not enough', 'Step 1: a\nb', ['Step 1: a\nb']],
    ['numbering must start small', '7. a\n8. b', ['7. a\n8. b']],
    ['a jump past the gap ends the sequence', '1. a\n2. b\n9. c', ['1. a', '2. b\n9. c']],
    ['"Step 1 is" prose is not a marker', 'Step 1 is easy\nStep 2 is not', ['Step 1 is easy\nStep 2 is not']],
    [
      'markers inside a code fence are content',
      '1. a\n```\n2. x\n```\n2. b',
      ['1. a\n```\n2. x\n```', '2. b'],
    ],
    ['markers inside $$ are content', '1. a\n$$\n2. x\n$$\n2. b', ['1. a\n$$\n2. x\n$$', '2. b']],
    ['CRLF', 'Step 1: a\r\nStep 2: b\r\n', ['Step 1: a', 'Step 2: b']],
  ])('%s', (_, text, expected) => {
    expect(texts(text, 'markers')).toEqual(expected);
    expectValidSteps(text, segment(text, 'markers'));
  });
});

describe('segment(text, "lines")', () => {
  it.each([
    ['one step per non-empty line', 'a\n\nb\n  c  ', ['a', 'b', 'c']],
    ['CRLF and lone CR', 'a\r\nb\rc\n', ['a', 'b', 'c']],
    ['$$ block stays whole', 'a\n$$\nx\ny\n$$\nb', ['a', '$$\nx\ny\n$$', 'b']],
    ['\\[ block stays whole', '\\[\nx\n\\]\nb', ['\\[\nx\n\\]', 'b']],
    [
      'environment stays whole',
      '\\begin{align}\nx &= 1 \\\\\ny &= 2\n\\end{align}\nb',
      ['\\begin{align}\nx &= 1 \\\\\ny &= 2\n\\end{align}', 'b'],
    ],
    ['code fence stays whole', '```\nx\ny\n```\nz', ['```\nx\ny\n```', 'z']],
    ['unbalanced $$ is plain text', '$$\nx\ny', ['$$', 'x', 'y']],
  ])('%s', (_, text, expected) => {
    expect(texts(text, 'lines')).toEqual(expected);
    expectValidSteps(text, segment(text, 'lines'));
  });
});

describe('segment(text, "sentences")', () => {
  it.each([
    ['. ! ? followed by an uppercase letter', 'One. Two! Three? Four', ['One.', 'Two!', 'Three?', 'Four']],
    [
      'followed by a digit, $ or \\(',
      'a. 2 is b. $x$ is c. \\(y\\) d',
      ['a.', '2 is b.', '$x$ is c.', '\\(y\\) d'],
    ],
    ['not before a lowercase letter', 'x. then y', ['x. then y']],
    ['not without whitespace', 'a.B and 3.14. Next', ['a.B and 3.14.', 'Next']],
    [
      'abbreviations',
      'Use e.g. This, i.e. That, etc. More, Mr. Li, Dr. Wu vs. Him.',
      ['Use e.g. This, i.e. That, etc. More, Mr. Li, Dr. Wu vs. Him.'],
    ],
    ['abbreviation is a whole word', 'The test. Next', ['The test.', 'Next']],
    ['inline $...$', 'We have $a. B$ here. Next', ['We have $a. B$ here.', 'Next']],
    ['inline \\(...\\)', 'We have \\(a. B\\) here. Next', ['We have \\(a. B\\) here.', 'Next']],
    ['dollar amounts are not math', 'It costs $5. Then $6.', ['It costs $5.', 'Then $6.']],
    ['display math', 'So $$a. B$$ holds. Next', ['So $$a. B$$ holds.', 'Next']],
    [
      'closing quotes and brackets stay with the sentence',
      'He said "Yes." Then (it ends.) Now',
      ['He said "Yes."', 'Then (it ends.)', 'Now'],
    ],
    ['( is not a sentence start', 'So x. (Then y.)', ['So x. (Then y.)']],
    [
      'a bare step number is not a sentence',
      'Step 1. Compute x. 2. Then y.',
      ['Step 1. Compute x.', '2. Then y.'],
    ],
    ['ellipsis', 'Wait... Then', ['Wait...', 'Then']],
    ['blank lines end sentences', 'a\n\nb', ['a', 'b']],
    ['non-BMP uppercase starts a sentence', 'x. 𝐀 is bold', ['x.', '𝐀 is bold']],
    ['unclosed $ does not swallow', 'Pay $ now. Next one. Last', ['Pay $ now.', 'Next one.', 'Last']],
  ])('%s', (_, text, expected) => {
    expect(texts(text, 'sentences')).toEqual(expected);
    expectValidSteps(text, segment(text, 'sentences'));
  });
});

describe('segment(text, "auto") and detectStrategy(text)', () => {
  it.each([
    ['Step 1: a\nStep 2: b', 'markers'],
    ['1. a\n\n2. b', 'markers'],
    ['a\n\nb', 'paragraphs'],
    ['a\nb', 'lines'],
    ['a', 'lines'],
    ['a\nb\n\n', 'lines'],
    ['$$\na\n\nb\n$$', 'lines'],
    ['```\n1. a\n2. b\n```', 'lines'],
    ['', 'lines'],
  ] as const)('detectStrategy(%j) is %s', (text, expected) => {
    expect(detectStrategy(text)).toBe(expected);
    expect(segment(text)).toEqual(segment(text, expected));
  });
});

describe('segment(text, strategy) hostile inputs', () => {
  it.each(SEGMENT_STRATEGIES.map((s) => [s]))('%s: empty and whitespace-only text give []', (strategy) => {
    for (const text of ['', ' ', '\n\n', '\r\n\t \r', '\u00a0\u2028'])
      expect(segment(text, strategy)).toEqual([]);
  });

  it('segment(text) with 500 marked steps returns 500 steps in order', () => {
    const text = Array.from({ length: 500 }, (_, i) => `Step ${i + 1}: x_${i} = ${i}.`).join('\n');
    const steps = segment(text);
    expect(steps).toHaveLength(500);
    steps.forEach((s, i) => expect(s.text).toBe(`Step ${i + 1}: x_${i} = ${i}.`));
    expectValidSteps(text, steps);
  });

  it('segment(text, "paragraphs") on a 1 MB paste keeps every paragraph and math block', () => {
    const para = (i: number) =>
      i % 10 === 0 ? `$$\nx_${i} = 1\n\n+ 2\n$$` : `Paragraph ${i}: so 😀 x = ${i}.\r\nAnd 𝑥 more text here.`;
    const expected: string[] = [];
    let text = '';
    for (let i = 0; text.length < 1 << 20; i++) {
      expected.push(para(i));
      text += para(i) + '\n\n';
    }
    const steps = segment(text, 'paragraphs');
    expect(steps.map((s) => s.text)).toEqual(expected);
    expectValidSteps(text, steps);
    expect(detectStrategy(text)).toBe('paragraphs');
  });

  it.each([
    ['$$', '$$ a $$'],
    ['\\[', '\\['],
    ['\\begin{align}', '\\begin{align}'],
    ['```', '```js\n'],
    ['$', '$a '],
  ])('segment(text, strategy) on 256 KB of repeated %s stays within the source', (_, unit) => {
    // Big enough that a quadratic scan (an unclosed opener searched for again and again) would hang.
    const text = unit.repeat(Math.ceil((1 << 18) / unit.length));
    for (const strategy of SEGMENT_STRATEGIES) expectValidSteps(text, segment(text, strategy));
  });

  it('segment(text, strategy) throws on an unknown strategy or a non-string text', () => {
    expect(() => segment('a', 'words' as SegmentStrategy)).toThrow(
      /unknown strategy "words"; use one of auto, /,
    );
    expect(() => segment(42 as unknown as string)).toThrow(/text must be a string, got number/);
    expect(() => detectStrategy(null as unknown as string)).toThrow(/text must be a string, got object/);
  });
});

// Seeded so a failure reproduces; mulberry32.
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// prettier-ignore
const FRAGMENTS = [
  'word', 'Word', 'x', ' ', '  ', '\t', '.', '. ', '! ', '? ', '3.14', 'e.g. ', 'Mr. ', '\n', '\n\n', '\r\n', '\r',
  '\r\n\r\n', ' \n \n', '$', '$$', '\\[', '\\]', '\\(', '\\)', '\\begin{align}', '\\end{align}', '\\begin{a}',
  '\\end{a}', '\\\\', '```', '~~~', '````', 'Step 1:', 'Step 2.', '**Step 3:**', '## Step 4', '1. ', '2) ', '(3) ',
  '1.5 ', '2010. ', '😀', '𝑥', '\u00a0', '"', ')',
];

describe('segment(text, strategy) on generated inputs', () => {
  it('keeps exact, ordered, non-empty, trimmed spans that cover all content', () => {
    const random = rng(12345);
    for (let n = 0; n < 400; n++) {
      const parts = Array.from({ length: Math.floor(random() * 40) }, () => {
        const f = FRAGMENTS[Math.floor(random() * FRAGMENTS.length)];
        // Line-start fragments need a line start to matter.
        return random() < 0.3 ? '\n' + f : f;
      });
      const text = parts.join('');
      for (const strategy of SEGMENT_STRATEGIES) expectValidSteps(text, segment(text, strategy));
    }
  });

  it('segment(joinSteps(x), "paragraphs") returns x for trimmed paragraphs without blank lines', () => {
    const random = rng(777);
    const plain = ['a', 'B.', 'x = 1', '\n', '\r\n', '😀', ' ', '1. ', 'Step 2:'];
    for (let n = 0; n < 200; n++) {
      const x = Array.from({ length: 1 + Math.floor(random() * 8) }, () =>
        Array.from({ length: 1 + Math.floor(random() * 6) }, () => plain[Math.floor(random() * plain.length)])
          .join('')
          .split(/\r?\n/)
          .filter((l) => l.trim())
          .join('\n')
          .trim(),
      ).filter((p) => p);
      expect(texts(joinSteps(x), 'paragraphs')).toEqual(x);
    }
  });

  it('mergeWithNext(source, splitStep(steps, i, offset), i) restores the steps', () => {
    const random = rng(99);
    for (let n = 0; n < 200; n++) {
      const source = Array.from(
        { length: 1 + Math.floor(random() * 5) },
        (_, i) => `Step ${i} has 😀 some text.`,
      ).join('\n\n');
      const steps = segment(source, 'paragraphs');
      const i = Math.floor(random() * steps.length);
      let offset = 1 + Math.floor(random() * (steps[i].text.length - 1));
      const code = steps[i].text.charCodeAt(offset);
      if (code >= 0xdc00 && code <= 0xdfff) offset++;
      const split = splitStep(steps, i, offset);
      expect(split).toHaveLength(steps.length + 1);
      expectValidSteps(source, split);
      expect(mergeWithNext(source, split, i)).toEqual(steps);
    }
  });
});

describe('joinSteps(steps, separator)', () => {
  it.each([
    [['a', 'b'], undefined, 'a\n\nb'],
    [['a', 'b'], '\n', 'a\nb'],
    [[], undefined, ''],
  ])('joinSteps(%j, %j) is %j', (steps, separator, expected) => {
    expect(joinSteps(steps, separator)).toBe(expected);
  });
});

describe('splitStep(steps, index, offset)', () => {
  const steps: Step[] = [
    { text: 'a = 1.  b = 2.', start: 3, end: 17 },
    { text: 'c', start: 19, end: 20 },
  ];

  it.each([
    [0, 6, { text: 'a = 1.', start: 3, end: 9 }, { text: 'b = 2.', start: 11, end: 17 }],
    [0, 7, { text: 'a = 1.', start: 3, end: 9 }, { text: 'b = 2.', start: 11, end: 17 }],
    [0, 1, { text: 'a', start: 3, end: 4 }, { text: '= 1.  b = 2.', start: 5, end: 17 }],
  ])('splitStep(steps, %i, %i) trims both halves and keeps spans', (index, offset, left, right) => {
    const out = splitStep(steps, index, offset);
    expect(out).toEqual([left, right, steps[1]]);
    expect(steps).toHaveLength(2); // not mutated
  });

  it.each([
    [2, 1, /index 2 is out of range; expected an integer from 0 to 1/],
    [-1, 1, /index -1 is out of range/],
    [0.5, 1, /index 0.5 is out of range/],
    [0, 0, /offset 0 must be an integer from 1 to 13/],
    [0, 14, /offset 14 must be an integer from 1 to 13/],
    [1, 1, /offset 1 must be an integer from 1 to 0/],
  ])('splitStep(steps, %s, %s) throws a RangeError', (index, offset, message) => {
    expect(() => splitStep(steps, index, offset)).toThrow(RangeError);
    expect(() => splitStep(steps, index, offset)).toThrow(message);
  });

  it('splitStep(steps, i, offset) refuses to cut a surrogate pair', () => {
    const emoji: Step[] = [{ text: 'a😀b', start: 0, end: 4 }];
    expect(() => splitStep(emoji, 0, 2)).toThrow(/falls inside a surrogate pair .*use 1 or 3/);
    expect(splitStep(emoji, 0, 3).map((s) => s.text)).toEqual(['a😀', 'b']);
  });

  it('splitStep([], 0, 1) says there are no steps', () => {
    expect(() => splitStep([], 0, 1)).toThrow(/there are no steps to split/);
  });
});

describe('mergeWithNext(source, steps, index)', () => {
  const source = 'a = 1.\n\nb = 2.\n\nc';
  const steps = segment(source);

  it.each([
    [0, ['a = 1.\n\nb = 2.', 'c']],
    [1, ['a = 1.', 'b = 2.\n\nc']],
  ])('mergeWithNext(source, steps, %i) takes the source slice', (index, expected) => {
    const out = mergeWithNext(source, steps, index);
    expect(out.map((s) => s.text)).toEqual(expected);
    expectValidSteps(source, out);
    expect(steps).toHaveLength(3); // not mutated
  });

  it.each([
    [2, /index 2 is out of range; expected an integer from 0 to 1/],
    [-1, /index -1 is out of range/],
    [Number.NaN, /index NaN is out of range/],
  ])('mergeWithNext(source, steps, %s) throws a RangeError', (index, message) => {
    expect(() => mergeWithNext(source, steps, index)).toThrow(RangeError);
    expect(() => mergeWithNext(source, steps, index)).toThrow(message);
  });

  it('mergeWithNext(source, steps, 0) throws when there is one step or the source is another text', () => {
    expect(() => mergeWithNext('a', segment('a'), 0)).toThrow(/merging needs at least 2 steps, got 1/);
    expect(() => mergeWithNext('x'.repeat(20), steps, 0)).toThrow(/steps\[0\] does not match source\[0..6\]/);
  });
});

describe('stepsFromTexts(texts)', () => {
  it('stepsFromTexts(texts) trims each text and indexes the joined source', () => {
    const { source, steps } = stepsFromTexts(['x = 2', ' y = 3 \n', 'a\n\nb']);
    expect(source).toBe('x = 2\n\ny = 3\n\na\n\nb');
    expect(steps).toEqual([
      { text: 'x = 2', start: 0, end: 5 },
      { text: 'y = 3', start: 7, end: 12 },
      { text: 'a\n\nb', start: 14, end: 18 },
    ]);
    expectValidSteps(source, steps);
  });

  it('stepsFromTexts([]) is an empty source', () => {
    expect(stepsFromTexts([])).toEqual({ source: '', steps: [] });
  });

  it.each([
    [['a', '  '], RangeError, /texts\[1\] is empty or shows nothing/],
    [['a', 3], TypeError, /texts\[1\] must be a string, got number/],
    ['a', TypeError, /texts must be an array of strings, got string/],
  ])('stepsFromTexts(%j) throws', (input, kind, message) => {
    expect(() => stepsFromTexts(input as string[])).toThrow(kind);
    expect(() => stepsFromTexts(input as string[])).toThrow(message);
  });
});

describe('stripStepLabel(text)', () => {
  it.each<[string, string]>([
    ['Step 2: 3 x 4 = 12.', '3 x 4 = 12.'],
    ['  step 12. So 5.', 'So 5.'],
    ['**Step 3:** Then 6.', 'Then 6.'],
    ['## Step 4\nThen 7.', 'Then 7.'],
    ['2. 3 x 4 = 12.', '3 x 4 = 12.'],
    ['2) 3 x 4 = 12.', '3 x 4 = 12.'],
    ['(2) 3 x 4 = 12.', '3 x 4 = 12.'],
    ['1.5 kg of flour', '1.5 kg of flour'],
    ['2010. A year.', '2010. A year.'],
    ['Stepping on 3 stones.', 'Stepping on 3 stones.'],
    ['Step 5:', 'Step 5:'],
    ['No label here.', 'No label here.'],
  ])('%j -> %j', (input, out) => {
    expect(stripStepLabel(input)).toBe(out);
  });
});
