import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPredictionWriter, readForResume, type PredictionLine } from '../../src/node/predictions-file.ts';
import { jsonLines } from '../support/prm-cli.ts';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prm-preds-test-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const line = (id: string, prediction = -1): PredictionLine => ({
  id,
  subset: 'gsm8k',
  label: -1,
  prediction,
  rewards: [0.9, 0.8],
  model: 'tiny',
  dtype: 'q4',
  fingerprint: '0123456789abcdef',
});

let n = 0;
const fresh = (content?: string) => {
  const file = path.join(dir, `p${n++}.jsonl`);
  if (content !== undefined) fs.writeFileSync(file, content);
  return file;
};

describe('openPredictionWriter(file).append(lines)', () => {
  it('writes whole JSON lines, creating the folder', () => {
    const file = path.join(dir, 'sub', 'out.jsonl');
    const w = openPredictionWriter(file);
    w.append([line('a'), line('b')]);
    w.append([]);
    w.append([line('c')]);
    w.close();
    const text = fs.readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(jsonLines(text).map((l) => l.id)).toEqual(['a', 'b', 'c']);
  });
});

describe('readForResume(file)', () => {
  it('gives nothing for a missing or empty file', () => {
    expect(readForResume(path.join(dir, 'missing.jsonl'))).toEqual({ records: [], notes: [] });
    expect(readForResume(fresh(''))).toEqual({ records: [], notes: [] });
  });

  it('reads records with their line, model and dtype', () => {
    const file = fresh(
      [line('a'), { ...line('b'), truncated: true }].map((l) => JSON.stringify(l)).join('\n') + '\n',
    );
    const { records, notes } = readForResume(file);
    expect(notes).toEqual([]);
    expect(records.map((r) => [r.id, r.line, r.model, r.dtype, r.truncated])).toEqual([
      ['a', 1, 'tiny', 'q4', undefined],
      ['b', 2, 'tiny', 'q4', true],
    ]);
  });

  it('drops an incomplete last line, cuts it from the file and says so', () => {
    const good = JSON.stringify(line('a')) + '\n';
    const file = fresh(good + '{"id":"b","subset":"gs');
    const { records, notes } = readForResume(file);
    expect(records.map((r) => r.id)).toEqual(['a']);
    expect(notes).toEqual([
      expect.stringMatching(/dropped an incomplete last line \(line 2\) left by an interrupted run/),
    ]);
    expect(fs.readFileSync(file, 'utf8')).toBe(good);
  });

  it('adds the missing newline after a complete last line', () => {
    const file = fresh(JSON.stringify(line('a')));
    expect(readForResume(file).records).toHaveLength(1);
    expect(fs.readFileSync(file, 'utf8').endsWith('}\n')).toBe(true);
  });

  it.each([
    {
      name: 'a bad line in the middle (and leaves the file alone)',
      content: JSON.stringify(line('a')) + '\nnot json\n' + JSON.stringify(line('c')) + '\n',
      msg: /line 2: not valid JSON.*cannot be resumed/,
    },
    {
      name: 'a JSON list',
      content: JSON.stringify([line('a')], null, 1),
      msg: /holds a JSON list, not the JSONL that prm eval writes/,
    },
    {
      name: 'a prediction outside its rewards',
      content: JSON.stringify(line('a', 5)) + '\n',
      msg: /line 1: field "prediction" must be an integer from -1 to rewards.length-1/,
    },
  ])('refuses $name', ({ content, msg }) => {
    const file = fresh(content);
    expect(() => readForResume(file)).toThrow(msg);
    expect(fs.readFileSync(file, 'utf8')).toBe(content);
  });
});
