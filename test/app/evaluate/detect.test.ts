import { describe, expect, it } from 'vitest';
import { DataError } from '../../../src/core/processbench.ts';
import { detectFileKind } from '../../../src/app/evaluate/detect.ts';
import { readRecords } from '../../../src/app/evaluate/records.ts';

const pb = { id: 'gsm8k-0', problem: 'p', steps: ['a', 'b'], final_answer_correct: false, label: 1 };
const pred = { id: 'gsm8k-0', subset: 'gsm8k', label: 1, prediction: 1, rewards: [0.9, 0.2] };
const bon = { problem_id: 'p1', steps: ['a'], correct: true };

describe('detectFileKind(text, sourceName)', () => {
  it.each([
    ['a ProcessBench JSON list', JSON.stringify([pb]), 'processbench'],
    ['ProcessBench JSONL', `${JSON.stringify(pb)}\n`, 'processbench'],
    [
      'a predictions JSONL (prm eval --out)',
      `${JSON.stringify(pred)}\n${JSON.stringify(pred)}\n`,
      'predictions',
    ],
    [
      'predictions with provenance fields',
      JSON.stringify({ ...pred, model: 'demo', dtype: 'q4' }),
      'predictions',
    ],
    ['a Best-of-N JSONL', `\n\n${JSON.stringify(bon)}\n`, 'best-of-n'],
    ['a Best-of-N list with rewards', JSON.stringify([{ ...bon, rewards: [0.5] }]), 'best-of-n'],
    ['a file with a BOM', `\uFEFF${JSON.stringify(pb)}`, 'processbench'],
  ])('recognises %s', (_what, text, kind) => {
    expect(detectFileKind(text, 'data/x.jsonl')).toBe(kind);
  });

  it.each([
    ['an empty file', '  \n', /x\.jsonl: the file is empty/],
    ['a broken JSON list', '[{"id": 1,', /x\.jsonl: not valid JSON/],
    ['an empty list', '[]', /x\.jsonl: the list holds no records/],
    ['a first line that is not JSON', '\n{oops\n', /x\.jsonl line 2: not valid JSON/],
    ['a record that is not an object', '[1, 2]', /x\.jsonl item 0: expected a JSON object, got 1/],
    [
      'unknown fields',
      '{"question": "q", "answer": 3}',
      /line 1: cannot tell what this file is \(fields: question, answer\)/,
    ],
  ])('throws a DataError for %s', (_what, text, message) => {
    expect(() => detectFileKind(text, 'dir/x.jsonl')).toThrow(DataError);
    expect(() => detectFileKind(text, 'dir/x.jsonl')).toThrow(message);
  });
});

describe('readRecords(text, sourceName, firstOnly)', () => {
  it('numbers JSONL records by their 1-based line, skipping blank lines', () => {
    expect(readRecords('{"a":1}\n\n{"a":2}\r\n', 'x.jsonl')).toEqual([
      { where: 'x.jsonl line 1', value: { a: 1 } },
      { where: 'x.jsonl line 3', value: { a: 2 } },
    ]);
  });

  it('stops at the first record with firstOnly, so a bad later line is not read', () => {
    expect(readRecords('{"a":1}\nnot json\n', 'x.jsonl', true)).toEqual([
      { where: 'x.jsonl line 1', value: { a: 1 } },
    ]);
  });

  it('names a bad line in the middle of a JSONL file', () => {
    expect(() => readRecords('{"a":1}\n{"a":\n', 'x.jsonl')).toThrow('x.jsonl line 2: not valid JSON');
  });
});
