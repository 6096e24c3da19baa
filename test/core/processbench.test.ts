import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DataError,
  parsePredictions,
  parseProcessBench,
  parseScoreInput,
  subsetFromName,
} from '../../src/core/processbench.ts';

// The original ProcessBench release beside the checkout (never copied into the project).
const PB = new URL('../../../shared/processbench/', import.meta.url);
const readSubset = (name: string) => readFileSync(new URL(`${name}.json`, PB), 'utf8');

const item = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: 'x-0',
    problem: 'P',
    steps: ['a', 'b'],
    final_answer_correct: false,
    label: 1,
    ...over,
  });

describe('parseProcessBench(text, sourceName) on the real release', () => {
  it.each([
    ['gsm8k', 400, 207, 193, 16],
    ['math', 1000, 594, 406, 32],
    ['olympiadbench', 1000, 661, 339, 47],
    ['omnimath', 1000, 759, 241, 35],
  ])(
    '%s.json has %d items, %d with an error and %d correct, at most %d steps',
    (name, n, nError, nCorrect, maxSteps) => {
      const items = parseProcessBench(readSubset(name), `${name}.json`);
      expect(items).toHaveLength(n);
      expect(items.filter((it) => it.label !== -1)).toHaveLength(nError);
      expect(items.filter((it) => it.label === -1)).toHaveLength(nCorrect);
      expect(Math.max(...items.map((it) => it.steps.length))).toBe(maxSteps);
      expect(new Set(items.map((it) => it.subset))).toEqual(new Set([name]));
    },
  );

  it('keeps every field of gsm8k-0', () => {
    const [first] = parseProcessBench(readSubset('gsm8k'), 'gsm8k.json');
    expect(first).toMatchObject({ id: 'gsm8k-0', generator: 'Qwen2-7B-Instruct', label: 1, subset: 'gsm8k' });
    expect(first.problem.startsWith('Sue lives in a fun neighborhood.')).toBe(true);
    expect(typeof first.final_answer_correct).toBe('boolean');
  });

  it('reads the same items from JSONL as from the JSON list', () => {
    const text = readSubset('gsm8k');
    const jsonl = (JSON.parse(text) as unknown[]).map((x) => JSON.stringify(x)).join('\n\n');
    expect(parseProcessBench(jsonl, 'gsm8k.jsonl')).toEqual(parseProcessBench(text, 'gsm8k.json'));
  });
});

describe('parseProcessBench(text, sourceName)', () => {
  it('takes subset from a subset field before the file name', () => {
    const text = [item({ id: 'a' }), item({ id: 'b', subset: 'math' })].join('\n');
    expect(parseProcessBench(text, 'data/foo.jsonl').map((it) => it.subset)).toEqual(['foo', 'math']);
  });

  it('keeps error_type from synthetic data and skips blank lines', () => {
    const text = `\n${item({ error_type: 'arithmetic' })}\n\n`;
    expect(parseProcessBench(text, 'synth.jsonl')[0].error_type).toBe('arithmetic');
  });

  it.each([
    [
      'label past the last step (JSONL line)',
      `${item({ id: 'a' })}\n${item({ id: 'b', label: 7, steps: ['1', '2', '3', '4', '5'] })}`,
      'gsm8k.jsonl',
      'gsm8k.jsonl line 2: field "label" must be an integer from -1 to steps.length-1 (got 7 with 5 steps)',
    ],
    [
      'label below -1 (JSON list item index)',
      `[${item({ id: 'a' })}, ${item({ id: 'b', label: -2 })}]`,
      'gsm8k.json',
      'gsm8k.json item 1: field "label" must be an integer from -1 to steps.length-1 (got -2 with 2 steps)',
    ],
    [
      'steps not a list',
      item({ steps: 'a\nb' }),
      'x.jsonl',
      'x.jsonl line 1: field "steps" must be a non-empty list of strings, got "a\\nb"',
    ],
    [
      'empty steps',
      item({ steps: [] }),
      'x.jsonl',
      'x.jsonl line 1: field "steps" must be a non-empty list of strings, got []',
    ],
    [
      'missing problem',
      item({ problem: undefined }),
      'x.jsonl',
      'x.jsonl line 1: field "problem" must be a non-empty string, got nothing',
    ],
    [
      'final_answer_correct as a string',
      item({ final_answer_correct: 'yes' }),
      'x.jsonl',
      'x.jsonl line 1: field "final_answer_correct" must be true or false, got "yes"',
    ],
    ['a bad JSON line', `${item()}\n{"id": `, 'x.jsonl', 'x.jsonl line 2: not valid JSON'],
    ['a line that is not an object', '[1]\n', 'x.json', 'x.json item 0: expected a JSON object, got 1'],
    ['a broken JSON list', '[{"id": 1}', 'x.json', 'x.json: not valid JSON'],
    ['an empty file', ' \n', 'x.jsonl', 'x.jsonl: the file is empty'],
    ['an empty list', '[]', 'x.json', 'x.json: the list holds no records.'],
    [
      'a repeated id',
      `${item()}\n${item()}`,
      'x.jsonl',
      'x.jsonl line 2: field "id" repeats "x-0" of line 1; ids must be unique.',
    ],
  ])('rejects %s with file, place and field', (_name, text, source, message) => {
    expect(() => parseProcessBench(text, source)).toThrow(DataError);
    expect(() => parseProcessBench(text, source)).toThrow(message);
  });
});

describe('subsetFromName(sourceName)', () => {
  it.each([
    ['gsm8k.json', 'gsm8k'],
    ['foo.jsonl', 'foo'],
    ['../shared/processbench/omnimath.json', 'omnimath'],
    ['C:\\data\\math.jsonl', 'math'],
    ['noext', 'noext'],
    ['.hidden', '.hidden'],
  ])('%s -> %s', (name, subset) => {
    expect(subsetFromName(name)).toBe(subset);
  });
});

describe('parseScoreInput(text, sourceName)', () => {
  it('returns one result per record, errors in place so the caller can skip or stop', () => {
    const text = [
      JSON.stringify({ id: 'p1', problem: 'What is 2+2?', steps: ['2+2=4.', 'So 4.'] }),
      '',
      JSON.stringify({ problem: 'What is 3+3?', solution: '3+3=6.\n\nSo 6.' }),
      '{"problem": ',
      JSON.stringify({ problem: 'P', steps: ['a'], solution: 'a' }),
      JSON.stringify({ problem: 'P' }),
      JSON.stringify({ problem: '', steps: ['a'] }),
      JSON.stringify({ problem: 'P', steps: [1] }),
    ].join('\n');
    expect(parseScoreInput(text, 'in.jsonl')).toEqual([
      { line: 1, record: { id: 'p1', problem: 'What is 2+2?', steps: ['2+2=4.', 'So 4.'] } },
      { line: 3, record: { id: '3', problem: 'What is 3+3?', solution: '3+3=6.\n\nSo 6.' } },
      { line: 4, error: expect.stringMatching(/^in\.jsonl line 4: not valid JSON/) },
      { line: 5, error: 'in.jsonl line 5: give either "steps" (a list) or "solution" (a string), not both.' },
      {
        line: 6,
        error:
          'in.jsonl line 6: missing the solution: add "steps" (a list of strings) or "solution" (a string).',
      },
      { line: 7, error: 'in.jsonl line 7: field "problem" must be a non-empty string, got ""' },
      { line: 8, error: 'in.jsonl line 8: field "steps" must be a non-empty list of strings, got [1]' },
    ]);
  });

  it('numbers the records of a JSON list from 1', () => {
    const text = JSON.stringify([
      { problem: 'P', solution: 'S' },
      { id: 7, problem: 'Q', steps: ['a'] },
    ]);
    expect(parseScoreInput(text, 'in.json')).toEqual([
      { line: 1, record: { id: '1', problem: 'P', solution: 'S' } },
      { line: 2, record: { id: '7', problem: 'Q', steps: ['a'] } },
    ]);
  });

  it('throws only when the whole file is unusable', () => {
    expect(() => parseScoreInput('', 'in.jsonl')).toThrow('in.jsonl: the file is empty');
  });
});

describe('parsePredictions(text, sourceName)', () => {
  const pred = (over: Record<string, unknown> = {}) =>
    JSON.stringify({
      id: 'gsm8k-0',
      subset: 'gsm8k',
      label: 1,
      prediction: 1,
      rewards: [0.9, 0.2, 0.95],
      ...over,
    });

  it('reads prm eval --out lines, falling back to the file name for the subset', () => {
    const text = `${pred()}\n${pred({ id: 'gsm8k-1', subset: undefined, label: -1, prediction: -1 })}\n`;
    expect(parsePredictions(text, 'out/math.jsonl')).toEqual([
      { id: 'gsm8k-0', subset: 'gsm8k', label: 1, prediction: 1, rewards: [0.9, 0.2, 0.95] },
      { id: 'gsm8k-1', subset: 'math', label: -1, prediction: -1, rewards: [0.9, 0.2, 0.95] },
    ]);
  });

  it('allows the same id in two subsets', () => {
    expect(parsePredictions(`${pred()}\n${pred({ subset: 'math' })}`, 'p.jsonl')).toHaveLength(2);
  });

  it.each([
    [
      pred({ prediction: 3 }),
      'p.jsonl line 1: field "prediction" must be an integer from -1 to rewards.length-1 (got 3 with 3 rewards)',
    ],
    [
      pred({ rewards: [0.5, 1.2] }),
      'p.jsonl line 1: field "rewards" must be a list of numbers between 0 and 1, got [0.5,1.2]',
    ],
    [pred({ label: 'x' }), 'p.jsonl line 1: field "label" must be an integer >= -1 (-1 = no error), got "x"'],
    [
      pred({ id: undefined }),
      'p.jsonl line 1: field "id" must be a non-empty string or an integer, got nothing',
    ],
    [
      `${pred()}\n${pred()}`,
      'p.jsonl line 2: field "id" repeats "gsm8k-0" (subset gsm8k) of line 1; ids within a subset must be unique.',
    ],
  ])('rejects %s', (text, message) => {
    expect(() => parsePredictions(text, 'p.jsonl')).toThrow(message);
  });
});
