import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { install, promptMismatch, ShipError, targetProblem, writeCardFigures } from '../../train/ship.ts';
import { demoSpec, GOLDEN_SEED, toExample } from '../../train/prepare.ts';
import { synthesize } from '../../src/core/synth/index.ts';
import type { ModelSpec } from '../../src/core/types.ts';
import { loadTokenizerDir } from '../../src/node/tokenizer-files.ts';

// train/ship.ts puts a converted folder into the bundled model's folder: only prm convert's files
// are replaced or removed there, the model card stays, anything else stops it before a change.
const CONVERTED = '{"format": "prm-playground/1", "description": "Qwen2 converted by prm convert (q4)"}';
let root = '';
afterEach(() => rmSync(root, { recursive: true, force: true }));

function folder(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

function setup(extra: Record<string, string> = {}) {
  root = mkdtempSync(join(tmpdir(), 'prm-ship-'));
  const staged = folder('staged', {
    'prm.json': CONVERTED.replace('q4', 'fp32, q4'),
    'config.json': 'new config',
    'tokenizer.json': 'new tokenizer',
    'tokenizer_config.json': 'new template',
    'onnx/model.onnx': 'new fp32',
    'onnx/model_q4.onnx': 'new q4',
  });
  const target = folder('model', {
    'prm.json': CONVERTED,
    'config.json': 'old config',
    'tokenizer.json': 'old tokenizer',
    'tokenizer_config.json': 'old template',
    'onnx/model_q4.onnx': 'old q4',
    'onnx/model_fp16.onnx': 'old fp16',
    'README.md': 'the model card',
    'golden.json': 'old golden',
    ...extra,
  });
  const golden = folder('ckpt', { 'golden.json': 'new golden' });
  return { staged, target, golden: join(golden, 'golden.json') };
}

describe('train/ship.ts install', () => {
  it('replaces the converted files and golden.json, removes a stale variant, keeps the card', () => {
    const { staged, target, golden } = setup();
    expect(targetProblem(target)).toBeUndefined();
    expect(install(staged, target, golden)).toEqual(['onnx/model_fp16.onnx']);
    const read = (f: string) => readFileSync(join(target, f), 'utf8');
    expect(read('onnx/model.onnx')).toBe('new fp32');
    expect(read('onnx/model_q4.onnx')).toBe('new q4');
    expect(read('config.json')).toBe('new config');
    expect(read('golden.json')).toBe('new golden');
    expect(read('README.md')).toBe('the model card');
    expect(existsSync(join(target, 'onnx/model_fp16.onnx'))).toBe(false);
  });

  it.each([
    [{ 'notes.txt': 'mine' }, /holds notes\.txt, which neither prm convert writes nor this script keeps/],
    [{ 'onnx/weights.bin': 'mine' }, /holds onnx\/weights\.bin/],
    [
      { 'prm.json': '{"format": "prm-playground/1", "description": "hand made"}' },
      /was not written by prm convert/,
    ],
  ])('refuses a folder holding %j and changes nothing', (extra, message) => {
    const { staged, target, golden } = setup(extra);
    expect(targetProblem(target)).toMatch(message);
    expect(() => install(staged, target, golden)).toThrow(ShipError);
    expect(readFileSync(join(target, 'onnx/model_q4.onnx'), 'utf8')).toBe('old q4');
    expect(readFileSync(join(target, 'golden.json'), 'utf8')).toBe('old golden');
  });
});

describe('train/ship.ts writeCardFigures', () => {
  it('replaces only the figures block of the model card', () => {
    root = mkdtempSync(join(tmpdir(), 'prm-ship-'));
    const card = join(root, 'README.md');
    writeFileSync(
      card,
      '# card\n\nprose\n\n<!-- figures: begin (old) -->\n\nold table\n\n<!-- figures: end -->\n\nmore prose\n',
    );
    expect(writeCardFigures(card, '| new | table |', 'ckpt-9')).toBe(true);
    expect(readFileSync(card, 'utf8')).toBe(
      '# card\n\nprose\n\n<!-- figures: begin (written by train/ship.ts from ckpt-9; edit the script, not this block) -->' +
        '\n\n| new | table |\n\n<!-- figures: end -->\n\nmore prose\n',
    );
  });

  it('leaves a card without the block alone', () => {
    root = mkdtempSync(join(tmpdir(), 'prm-ship-'));
    const card = join(root, 'README.md');
    writeFileSync(card, '# card\n');
    expect(writeCardFigures(card, 'x', 'ckpt-9')).toBe(false);
    expect(readFileSync(card, 'utf8')).toBe('# card\n');
  });
});

describe('train/ship.ts promptMismatch', () => {
  const tokenizer = loadTokenizerDir('train/tokenizer');
  const ckptWith = (spec: ModelSpec): string => {
    root = mkdtempSync(join(tmpdir(), 'prm-ship-'));
    const items = synthesize({ n: 3, seed: GOLDEN_SEED }).map((x) => toExample(tokenizer, spec, x));
    return folder('ckpt', {
      'golden.json': JSON.stringify({ items }),
      'tokenizer.json': readFileSync('train/tokenizer/tokenizer.json', 'utf8'),
      'tokenizer_config.json': readFileSync('train/tokenizer/tokenizer_config.json', 'utf8'),
    });
  };

  it('accepts a checkpoint whose golden inputs are the prompts demoSpec() builds', () => {
    expect(promptMismatch(ckptWith(demoSpec()))).toBeNull();
  });

  it('names a checkpoint trained with numbers in another order before anything is converted', () => {
    const ckpt = ckptWith({ ...demoSpec(), reverse_numbers: !demoSpec().reverse_numbers });
    expect(promptMismatch(ckpt)).toMatch(
      /golden input 0 of .* is not the prompt demoSpec\(\).*reverse_numbers/,
    );
  });
});
