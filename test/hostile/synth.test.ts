/**
 * Hostile outputs for `prm synth --out` (issue 18): a folder, a file the user owns (with and
 * without --force), and a file `prm synth` wrote itself. Every refused case asserts the message
 * and that nothing under the folder changed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSynthOutput } from '../../src/cli/commands/synth.ts';
import { runPrm } from '../support/prm-cli.ts';
import { snapshot } from './snapshot.ts';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'prm-hostile-synth-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const synth = (out: string, ...extra: string[]) =>
  runPrm(['synth', '--n', '2', '--seed', '3', '--out', out, ...extra]);

describe('prm synth --out', () => {
  it.each([
    ['a folder', (f: string) => fs.mkdirSync(f), [], 'is a folder; give a file name'],
    [
      'a file the user owns',
      (f: string) => fs.writeFileSync(f, 'my notes\n'),
      [],
      'already exists; choose a new file name',
    ],
    [
      'a file the user owns, with --force',
      (f: string) => fs.writeFileSync(f, '[{"id": 1, "generator": "me"}]\n'),
      ['--force'],
      'holds something prm did not write; it is left as it is',
    ],
    [
      'a synth file, without --force',
      (f: string) => fs.writeFileSync(f, '[{"id": "synth-1-0", "generator": "synth"}]\n'),
      [],
      'pass --force to replace a file this command wrote',
    ],
  ])('refuses %s and changes nothing', async (_name, make, extra, message) => {
    const out = path.join(root, `case-${Math.random().toString(36).slice(2)}`);
    make(out);
    const before = snapshot(root);
    const r = await synth(out, ...extra);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(message);
    expect(r.err).not.toMatch(/EISDIR|EEXIST/);
    expect(snapshot(root)).toEqual(before);
  });

  it('replaces a file it wrote when --force is given, and writes a new or empty file', async () => {
    const out = path.join(root, 'mine.json');
    expect((await synth(out)).code).toBe(0);
    const first = fs.readFileSync(out, 'utf8');
    expect(isSynthOutput(first)).toBe(true);
    expect((await runPrm('synth', { n: '3', seed: '4', out, force: true })).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toHaveLength(3);
    const empty = path.join(root, 'empty.jsonl');
    fs.writeFileSync(empty, '');
    expect((await synth(empty, '--jsonl')).code).toBe(0);
    expect(isSynthOutput(fs.readFileSync(empty, 'utf8'))).toBe(true);
  });
});

describe('isSynthOutput(text)', () => {
  it.each([
    ['a JSON array of synth records', '[{"generator":"synth"},{"generator":"synth"}]', true],
    ['JSONL of synth records', '{"generator":"synth"}\n{"generator":"synth"}\n', true],
    ['one foreign record among synth ones', '[{"generator":"synth"},{"generator":"gpt"}]', false],
    ['an empty array', '[]', false],
    ['plain text', 'hello', false],
    ['a JSON object', '{"generator":"synth","x":[1]}', true],
    ['a JSON number', '42', false],
  ])('%s -> %s', (_name, text, want) => {
    expect(isSynthOutput(text)).toBe(want);
  });
});
