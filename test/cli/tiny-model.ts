/**
 * Test helper for the CLI and Node runner tests: a tiny random Qwen2 PRM checkpoint converted by
 * `prm convert` into a model folder under os.tmpdir() (running `prm` itself:
 * test/support/prm-cli.ts). Convert once per test file and remove the folder in afterAll.
 *
 * The model's scores are noise; tests compare them with the reference forward pass, never with
 * fixed "good" values.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertCheckpoint } from '../../src/convert/convert.ts';
import type { Dtype } from '../../src/core/types.ts';
import { makeTinyCheckpoint, type TinyCheckpoint } from '../convert/tiny-checkpoint.ts';

export interface TinyModel {
  /** Scratch folder holding everything; remove it when done. */
  root: string;
  /** The converted model folder (prm.json, tokenizer files, onnx/). */
  dir: string;
  ckpt: TinyCheckpoint;
}

/** Checkout root (/work/main), for reading ../shared at test time. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/[\\/]$/, '');
export const GSM8K = path.resolve(REPO_ROOT, '..', 'shared', 'processbench', 'gsm8k.json');

/**
 * Makes and converts a tiny qwen-prm model (head_dim 16, as GroupQueryAttention needs).
 *
 * @example
 * const m = await makeTinyModel({ dtypes: ['fp32'] }); // m.dir/onnx/model.onnx
 */
export async function makeTinyModel(
  opts: { dtypes?: Dtype[]; contextLength?: number; seed?: number } = {},
): Promise<TinyModel> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prm-cli-test-'));
  const ckpt = await makeTinyCheckpoint({
    dir: path.join(root, 'ckpt'),
    arch: 'qwen2',
    head: 'qwen-prm',
    hidden: 64,
    heads: 4,
    kvHeads: 2,
    layers: 2,
    seed: opts.seed ?? 7,
  });
  const dir = path.join(root, 'model');
  await convertCheckpoint({
    checkpointDir: ckpt.dir,
    outDir: dir,
    name: 'tiny-test',
    dtypes: opts.dtypes ?? ['fp32', 'q4'],
    contextLength: opts.contextLength ?? 512,
  });
  return { root, dir, ckpt };
}

/** Rewrites fields of a model folder's prm.json (e.g. a small context_length). */
export function patchSpec(dir: string, patch: Record<string, unknown>): void {
  const file = path.join(dir, 'prm.json');
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), ...patch }, null, 2));
}

/** p(class 1) from a pair of logits, as the core computes it. */
export function softmax1(l0: number, l1: number): number {
  return 1 / (1 + Math.exp(l0 - l1));
}
