/**
 * Hostile inputs to `prm eval` and the data readers (issue 18): an --out that is not a
 * predictions file or is an input, two models under one name mixed by resume or by --preds, ids
 * that JSON cannot hold exactly, nesting deep enough to overflow the stack, a flag value that
 * looks like a flag. Every case asserts the message and that no file was changed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GSM8K, makeTinyModel, type TinyModel } from '../cli/tiny-model.ts';
import { runPrm } from '../support/prm-cli.ts';

let m: TinyModel;
let twin: TinyModel;
beforeAll(async () => {
  // Two different models with the same name and dtype.
  m = await makeTinyModel({ dtypes: ['q4'], contextLength: 2048, seed: 7 });
  twin = await makeTinyModel({ dtypes: ['q4'], contextLength: 2048, seed: 8 });
});
afterAll(() => {
  fs.rmSync(m.root, { recursive: true, force: true });
  fs.rmSync(twin.root, { recursive: true, force: true });
});

let n = 0;
const file = (content?: string, ext = 'jsonl') => {
  const f = path.join(m.root, `f-${n++}.${ext}`);
  if (content !== undefined) fs.writeFileSync(f, content);
  return f;
};
const evalArgs = (model: TinyModel, out: string, limit = '2') => [
  'eval',
  '--model',
  model.dir,
  '--data',
  GSM8K,
  '--limit',
  limit,
  '--out',
  out,
];

describe('prm eval --out refuses a file that is not its predictions file', () => {
  it.each([
    ['a one-line text file', 'my notes\n'],
    ['a text file without a newline', 'my notes'],
    ['JSONL that is not predictions', '{"name": "alice", "age": 3}\n{"name": "bob"}\n'],
    [
      'predictions written by another tool (no model fields)',
      '{"id":"gsm8k-0","subset":"gsm8k","label":-1,"prediction":-1,"rewards":[0.9]}\n',
    ],
    ['a JSON list', '[{"id": "a"}]'],
  ])('%s: exit 1, the file is unchanged', async (_what, content) => {
    const out = file(content);
    const r = await runPrm(evalArgs(m, out));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--out .* (is not a predictions file written by prm eval|holds a JSON list)/);
    expect(r.err).toMatch(/choose another --out/i);
    expect(fs.readFileSync(out, 'utf8')).toBe(content);
  });

  it('an empty file is used', async () => {
    const out = file('');
    const r = await runPrm(evalArgs(m, out));
    expect(r.code).toBe(0);
    expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('refuses --out that is a --data file (through a symlink too)', async () => {
    const data = file(dataJsonl());
    const link = path.join(m.root, `link-${n++}.jsonl`);
    fs.symlinkSync(data, link);
    const before = fs.readFileSync(data, 'utf8');
    for (const out of [data, link]) {
      const r = await runPrm('eval', { model: m.dir, data, out });
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/--out .* is the --data file/);
    }
    expect(fs.readFileSync(data, 'utf8')).toBe(before);
  });

  it('--out below a file gets our message, not EEXIST/ENOTDIR', async () => {
    const blocker = file('mine');
    const r = await runPrm(evalArgs(m, path.join(blocker, 'preds.jsonl')));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot create .* for --out: .* is a file/);
    expect(r.err).not.toMatch(/EEXIST|ENOTDIR/);
    expect(fs.readFileSync(blocker, 'utf8')).toBe('mine');
  });
});

describe('two models under one name are never mixed', () => {
  it('resume refuses a file scored by another model of the same name, naming both', async () => {
    const out = file();
    expect((await runPrm(evalArgs(m, out))).code).toBe(0);
    const before = fs.readFileSync(out, 'utf8');
    const r = await runPrm(evalArgs(twin, out, '3'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /line 1: scored by model tiny-test \(q4, fingerprint [0-9a-f]{16}\), but this run uses tiny-test \(q4, fingerprint [0-9a-f]{16}\)/,
    );
    expect(fs.readFileSync(out, 'utf8')).toBe(before);
  });

  it('resume refuses lines without a fingerprint (an older prm eval)', async () => {
    const out = file();
    expect((await runPrm(evalArgs(m, out))).code).toBe(0);
    const old =
      fs
        .readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => {
          const { fingerprint: _drop, ...rest } = JSON.parse(l);
          return JSON.stringify(rest);
        })
        .join('\n') + '\n';
    fs.writeFileSync(out, old);
    const r = await runPrm(evalArgs(m, out, '3'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/line 1 has no model fingerprint/);
    expect(fs.readFileSync(out, 'utf8')).toBe(old);
  });

  it('--preds refuses a file mixing two models, naming both', async () => {
    const a = file();
    const b = file();
    await runPrm(evalArgs(m, a));
    await runPrm(evalArgs(twin, b, '4'));
    const ids = new Set(fs.readFileSync(a, 'utf8').match(/gsm8k-\d+/g));
    const lines = fs
      .readFileSync(b, 'utf8')
      .trim()
      .split('\n')
      .filter((l) => !ids.has(JSON.parse(l).id));
    const mixed = fs.readFileSync(a, 'utf8') + lines.join('\n') + '\n';
    const f = file(mixed);
    const r = await runPrm('eval', { preds: f });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /line 3 was scored by tiny-test \(q4, fingerprint [0-9a-f]{16}\), but line 1 by tiny-test \(q4, fingerprint [0-9a-f]{16}\)/,
    );
  });
});

describe('data that JSON cannot carry as given', () => {
  it('an integer id beyond 2^53 is refused instead of silently rounded', async () => {
    const data = file(
      '{"id": 12345678901234567891, "problem": "p", "steps": ["a"], "label": -1, "final_answer_correct": true}\n',
    );
    const r = await runPrm('eval', { model: m.dir, data });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/line 1: field "id" .* too large to read exactly .* write it as a string/);
  });

  it.each([
    ['eval --data', (f: string) => ['eval', '--model', m.dir, '--data', f]],
    ['eval --preds', (f: string) => ['eval', '--preds', f]],
    ['score --input', (f: string) => ['score', '--model', m.dir, '--input', f]],
  ])('%s: deeply nested JSON gets our message, not a stack overflow', async (_what, args) => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const f = file(
      `{"id": "a", "problem": "p", "steps": ${deep}, "rewards": ${deep}, "label": 0, "final_answer_correct": true}\n`,
    );
    const r = await runPrm(args(f));
    expect(r.code).toBeGreaterThan(0);
    expect(r.err).not.toMatch(/call stack/);
    expect(r.err).toMatch(/nested/);
  });

  it('a flag value starting with a dash gets our message, not "argument is ambiguous"', async () => {
    const r = await runPrm('synth', { n: '-1', seed: '1' });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--n needs a value, and -1 looks like a flag; if -1 is the value, write --n=-1/);
    expect(r.err).not.toMatch(/ambiguous/);
  });
});

function dataJsonl(): string {
  return (
    [
      { id: 'a', problem: '1+1?', steps: ['1+1=2.'], label: -1, final_answer_correct: true },
      { id: 'b', problem: '2+2?', steps: ['2+2=5.'], label: 0, final_answer_correct: false },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n'
  );
}
