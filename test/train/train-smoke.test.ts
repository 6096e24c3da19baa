import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { synthesize } from '../../src/core/synth/index.ts';
import { loadTokenizerDir } from '../../src/node/tokenizer-files.ts';
import { demoSpec, toExample } from '../../train/prepare.ts';

// The training script must not rot: run it for a few steps on a tiny generated set. It needs
// Debian's torch under /usr/bin/python3 (not the python3 first on PATH, which has none).
const PYTHON = '/usr/bin/python3';
const INSTALL = 'apt-get install -y python3-torch python3-numpy libopenblas0-pthread';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
if (!hasTorch && process.env.CI) {
  throw new Error(`${PYTHON} cannot import torch and numpy; install them: ${INSTALL}`);
}
if (!hasTorch)
  console.warn(`skipping train/train_prm.py --smoke: ${PYTHON} has no torch. Install: ${INSTALL}`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prm-train-smoke-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function readSafetensorsHeader(file: string): Record<string, { dtype: string; shape: number[] }> {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[] }
  >;
  delete header.__metadata__;
  return header;
}

describe('train/prepare.ts per-digit targets', () => {
  it('arith_truth is the written digit while the result agrees, and another digit where it first does not', () => {
    const tokenizer = loadTokenizerDir('train/tokenizer');
    const items = synthesize({ n: 300, seed: 21 });
    let right = 0;
    let wrong = 0;
    for (const item of items) {
      const ex = toExample(tokenizer, demoSpec(), item);
      expect(ex.arith_truth).toHaveLength(ex.arith_positions.length);
      ex.arith_positions.forEach((pos, k) => {
        const truth = ex.arith_truth[k];
        if (truth === -100) return;
        const firstWrong = ex.arith_labels[k] === 0 && (k === 0 || ex.arith_labels[k - 1] === 1);
        if (ex.arith_labels[k] === 1) {
          expect(truth).toBe(ex.input_ids[pos]);
          right++;
        } else if (firstWrong && ex.arith_positions[k - 1] === pos - 1) {
          expect(truth).not.toBe(ex.input_ids[pos]);
          wrong++;
        }
      });
    }
    expect(right).toBeGreaterThan(100);
    expect(wrong).toBeGreaterThan(5);
  });
});

describe.skipIf(!hasTorch)('train/train_prm.py --smoke', () => {
  it('trains a few steps and writes a loadable Hugging Face checkpoint with golden probabilities', () => {
    const tokenizer = loadTokenizerDir('train/tokenizer');
    const spec = demoSpec();
    const write = (file: string, n: number, seed: number): void =>
      fs.writeFileSync(
        path.join(dir, file),
        synthesize({ n, seed })
          .map((x) => JSON.stringify(toExample(tokenizer, spec, x)))
          .join('\n') + '\n',
      );
    write('train.jsonl', 64, 11);
    write('val.jsonl', 16, 12);
    write('golden.jsonl', 2, 13);
    const out = path.join(dir, 'ckpt');
    const args = [
      'train/train_prm.py',
      '--smoke',
      '--data',
      dir,
      '--out',
      out,
      '--oversample',
      'arithmetic=2',
      '--arith-weight',
      '1',
      '--truth-weight',
      '1',
    ];
    const run = spawnSync(PYTHON, args, {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1' },
      timeout: 110_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/reached 6 steps/);
    expect(run.stdout).toMatch(/oversampled \d+ arithmetic examples x2/);

    const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      architectures: ['Qwen2ForProcessRewardModel'],
      model_type: 'qwen2',
      hidden_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      intermediate_size: 128,
      tie_word_embeddings: false,
      torch_dtype: 'float32',
    });
    const header = readSafetensorsHeader(path.join(out, 'model.safetensors'));
    const layer = (i: number): string[] =>
      [
        ...['q', 'k', 'v'].flatMap((p) => [`self_attn.${p}_proj.weight`, `self_attn.${p}_proj.bias`]),
        'self_attn.o_proj.weight',
        ...['gate', 'up', 'down'].map((p) => `mlp.${p}_proj.weight`),
        'input_layernorm.weight',
        'post_attention_layernorm.weight',
      ].map((n) => `model.layers.${i}.${n}`);
    const expected = [
      'model.embed_tokens.weight',
      'model.norm.weight',
      ...layer(0),
      ...layer(1),
      ...['score.0.weight', 'score.0.bias', 'score.2.weight', 'score.2.bias'],
    ];
    expect(Object.keys(header).sort()).toEqual(expected.sort());
    expect(header['model.embed_tokens.weight']).toEqual({
      dtype: 'F32',
      shape: [config.vocab_size, 64],
      data_offsets: expect.any(Array),
    });
    expect(header['model.layers.0.self_attn.k_proj.weight'].shape).toEqual([32, 64]);
    expect(header['score.2.weight'].shape).toEqual([2, 64]);
    for (const f of ['tokenizer.json', 'tokenizer_config.json'])
      expect(fs.existsSync(path.join(out, f)), f).toBe(true);

    const golden = JSON.parse(fs.readFileSync(path.join(out, 'golden.json'), 'utf8'));
    expect(golden.items).toHaveLength(2);
    for (const item of golden.items) {
      expect(item.probs).toHaveLength(item.score_positions.length);
      for (const p of item.probs) expect(p > 0 && p < 1).toBe(true);
    }

    // A float16 copy (a resume point small enough to keep) holds the same tensors and starts a
    // run (this one with the truth read through its training-only head, after another layer than
    // the next-token loss).
    const half = path.join(dir, 'ckpt-half');
    const copy = spawnSync(PYTHON, ['train/train_prm.py', '--half-copy', out, half], { encoding: 'utf8' });
    expect(copy.status, copy.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(half, 'config.json'), 'utf8'))).toEqual({
      ...config,
      torch_dtype: 'float16',
    });
    const halfHeader = readSafetensorsHeader(path.join(half, 'model.safetensors'));
    expect(Object.keys(halfHeader).sort()).toEqual(expected.sort());
    for (const [name, t] of Object.entries(halfHeader)) {
      expect(t.dtype, name).toBe('F16');
      expect(t.shape, name).toEqual(header[name].shape);
    }
    // Further short runs on the same data: train_prm.py --smoke with these flags.
    const smoke = (out: string, ...flags: string[]): ReturnType<typeof spawnSync> =>
      spawnSync(
        PYTHON,
        ['train/train_prm.py', '--smoke', '--data', dir, '--out', path.join(dir, out), ...flags],
        {
          encoding: 'utf8',
          env: { ...process.env, OMP_NUM_THREADS: '1' },
          timeout: 110_000,
        },
      );
    const resumed = smoke(
      'ckpt2',
      '--init',
      half,
      '--truth-weight',
      '1',
      '--truth-head',
      '--lm-layer',
      '1',
      '--truth-layer',
      '2',
    );
    expect(resumed.status, String(resumed.stderr)).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`initialised from ${half}`));
    expect(resumed.stdout).toMatch(/reached 6 steps/);
    const headOnly = smoke('ckpt3', '--truth-head');
    expect(headOnly.status).not.toBe(0);
    expect(headOnly.stderr).toMatch(/--truth-head reads the loss of --truth-weight/);
    const layerOnly = smoke('ckpt4', '--truth-layer', '1');
    expect(layerOnly.status).not.toBe(0);
    expect(layerOnly.stderr).toMatch(/--truth-layer places the loss of --truth-weight/);
  }, 240_000);
});
