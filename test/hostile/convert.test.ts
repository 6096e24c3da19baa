/**
 * Hostile inputs to `prm convert` (issue 18): an --out that reaches the checkpoint (directly, as
 * a parent, through symlinks), --force on folders the converter did not write, stale temporary
 * folders of a killed run, NaN/Inf weights, a malicious pickle, absurd --context-length. Every
 * case asserts the message and that nothing the user owns was lost or half-written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { convertCheckpoint } from '../../src/convert/convert.ts';
import { encodeFloats } from '../../src/convert/float16.ts';
import { main } from '../../src/cli/main.ts';
import { makeTinyCheckpoint, type TinyCheckpoint } from '../convert/tiny-checkpoint.ts';
import { snapshot } from './snapshot.ts';

let tmp: string;
let n = 0;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prm-hostile-convert-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A fresh scratch folder with a tiny checkpoint in `<root>/ckpt`. */
async function setup(): Promise<{ root: string; t: TinyCheckpoint }> {
  const root = path.join(tmp, `case-${n++}`);
  const t = await makeTinyCheckpoint({
    dir: path.join(root, 'ckpt'),
    arch: 'qwen2',
    head: 'token-classification',
    hidden: 64,
  });
  return { root, t };
}

function capture() {
  const io = { out: '', err: '' };
  return {
    io,
    cli: { stdout: (s: string) => (io.out += s), stderr: (s: string) => (io.err += s), isTTY: false },
  };
}

async function cli(argv: string[]) {
  const { io, cli: c } = capture();
  const code = await main(['convert', ...argv], c);
  return { code, ...io };
}

describe('prm convert --out never reaches the checkpoint', () => {
  it('refuses --out that is a parent of the checkpoint, with --force, and deletes nothing', async () => {
    const { root, t } = await setup();
    fs.writeFileSync(path.join(root, 'notes.txt'), 'unrelated');
    const before = snapshot(root);
    const r = await cli([t.dir, '--out', root, '--force', '--dtype', 'q4']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--out .* contains the checkpoint folder .*; replacing it would delete that/);
    expect(snapshot(root)).toEqual(before);
  });

  it('refuses --out that is the checkpoint through a symlink', async () => {
    const { root, t } = await setup();
    fs.symlinkSync(t.dir, path.join(root, 'link'));
    const before = snapshot(root);
    const r = await cli([t.dir, '--out', path.join(root, 'link'), '--force', '--dtype', 'q4']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--out .*link is the checkpoint folder .*resolves to/);
    expect(snapshot(root)).toEqual(before);
  });

  it('refuses --out holding a weight file the checkpoint links to (Hub cache layout)', async () => {
    const { root, t } = await setup();
    const blobs = path.join(root, 'blobs');
    fs.mkdirSync(blobs);
    fs.renameSync(path.join(t.dir, 'model.safetensors'), path.join(blobs, 'abc123'));
    fs.symlinkSync(path.join(blobs, 'abc123'), path.join(t.dir, 'model.safetensors'));
    const before = snapshot(root);
    const r = await cli([t.dir, '--out', blobs, '--force', '--dtype', 'q4']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/contains the checkpoint file .*model\.safetensors \(.*abc123\)/);
    expect(snapshot(root)).toEqual(before);
  });

  it('--force refuses a folder holding files prm convert did not write, naming them', async () => {
    const { root, t } = await setup();
    const out = path.join(root, 'out');
    fs.mkdirSync(path.join(out, 'onnx'), { recursive: true });
    fs.writeFileSync(path.join(out, 'thesis.tex'), 'mine');
    fs.writeFileSync(path.join(out, 'onnx', 'model_q4.onnx'), 'x');
    const before = snapshot(root);
    const r = await cli([t.dir, '--out', out, '--force', '--dtype', 'q4']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /--force only replaces an empty folder or a model folder prm convert wrote.*thesis\.tex/,
    );
    expect(snapshot(root)).toEqual(before);
  });

  it('--force refuses a model folder whose prm.json prm convert did not write', async () => {
    const { root, t } = await setup();
    const out = path.join(root, 'out');
    fs.mkdirSync(out);
    fs.writeFileSync(
      path.join(out, 'prm.json'),
      JSON.stringify({ format: 'prm-playground/1', name: 'hand-made' }),
    );
    const before = snapshot(root);
    const r = await cli([t.dir, '--out', out, '--force', '--dtype', 'q4']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/prm\.json was not written by prm convert/);
    expect(snapshot(root)).toEqual(before);
  });

  it('--force refuses a file, and keeps it', async () => {
    const { root, t } = await setup();
    const out = path.join(root, 'out.txt');
    fs.writeFileSync(out, 'mine');
    const r = await cli([t.dir, '--out', out, '--force', '--dtype', 'q4']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/out\.txt is a file, not a folder/);
    expect(fs.readFileSync(out, 'utf8')).toBe('mine');
  });

  it('--force replaces an empty folder and a folder it converted before', async () => {
    const { root, t } = await setup();
    const out = path.join(root, 'out');
    fs.mkdirSync(out);
    expect((await cli([t.dir, '--out', out, '--force', '--dtype', 'q4'])).code).toBe(0);
    const r = await cli([t.dir, '--out', out, '--force', '--dtype', 'fp32']);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(path.join(out, 'onnx'))).toEqual(['model.onnx']);
    expect(fs.readdirSync(root).sort()).toEqual(['ckpt', 'out']);
  });

  it('an --out below a file gets a plain message, not EEXIST/ENOTDIR', async () => {
    const { root, t } = await setup();
    fs.writeFileSync(path.join(root, 'afile'), 'mine');
    const r = await cli([t.dir, '--out', path.join(root, 'afile', 'out'), '--dtype', 'q4']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot create .*afile.*: .*afile is a file/);
    expect(r.err).not.toMatch(/EEXIST|ENOTDIR/);
    expect(fs.readFileSync(path.join(root, 'afile'), 'utf8')).toBe('mine');
  });
});

describe('stale temporary folders of a killed conversion', () => {
  it('are removed on the next run when provably ours; others are kept', async () => {
    const { root, t } = await setup();
    const out = path.join(root, 'out');
    const dead = 2 ** 22 + 12345; // above Linux's pid_max default, so never a live process
    const stale = `${out}.tmp-${dead}-abc123`;
    fs.mkdirSync(path.join(stale, 'onnx'), { recursive: true });
    fs.writeFileSync(path.join(stale, 'onnx', 'model_q4.onnx_data'), 'partial');
    const foreign = `${out}.tmp-${dead}-def456`;
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'diary.txt'), 'mine');
    const live = `${out}.tmp-${process.pid}-aaa111`;
    fs.mkdirSync(path.join(live, 'onnx'), { recursive: true });
    const r = await cli([t.dir, '--out', out, '--dtype', 'q4']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/removed .*out\.tmp-\d+-abc123 left by an interrupted conversion/);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.readFileSync(path.join(foreign, 'diary.txt'), 'utf8')).toBe('mine');
    expect(fs.existsSync(live)).toBe(true);
  });
});

describe('weights and options that would give a broken model', () => {
  it.each([
    ['NaN', Number.NaN],
    ['Inf', Number.POSITIVE_INFINITY],
  ])('a %s weight is refused with the tensor name, and no folder is written', async (_label, bad) => {
    const { root, t } = await setup();
    const name = 'model.layers.1.mlp.down_proj.weight';
    const w = t.weights[name].slice();
    w[7] = bad;
    await rewriteTensor(t, name, w);
    const out = path.join(root, 'out');
    const r = await cli([t.dir, '--out', out, '--dtype', 'q4,fp32', '--threads', '0']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`tensor "${name.replace(/\./g, '\\.')}" holds (NaN|Inf)`));
    expect(fs.readdirSync(root)).toEqual(['ckpt']);
  });

  it.each([
    ['a NaN norm weight (read whole, not quantized)', 'model.norm.weight', 0, Number.NaN, 'NaN'],
    ['an Inf in a big weight', 'model.layers.0.mlp.up_proj.weight', -1, -Infinity, 'Inf'],
  ])('%s is refused with its name, on worker threads too', async (_what, name, at, bad, kind) => {
    const { root, t } = await setup();
    const w = t.weights[name].slice();
    w[at < 0 ? w.length + at : at] = bad;
    await rewriteTensor(t, name, w);
    const r = await convertCheckpoint({
      checkpointDir: t.dir,
      outDir: path.join(root, 'out'),
      dtypes: ['q4'],
      threads: 1,
      workerMinValues: 1,
    }).catch((e: Error) => e);
    expect((r as Error).message).toContain(`tensor "${name}" holds ${kind}`);
    expect(fs.readdirSync(root)).toEqual(['ckpt']);
  });

  it.each([['2000000000'], ['131073']])('--context-length %s is refused with the bound', async (value) => {
    const { root, t } = await setup();
    const r = await cli([t.dir, '--out', path.join(root, 'out'), '--context-length', value]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--context-length must be a whole number from 1 to 131072/);
    expect(fs.readdirSync(root)).toEqual(['ckpt']);
  });
});

describe('a malicious pickle', () => {
  it('is refused with a safe way forward, never trust_remote_code', async () => {
    const { root, t } = await setup();
    fs.rmSync(path.join(t.dir, 'model.safetensors'));
    const evil = path.join(import.meta.dirname, '..', 'convert', 'fixtures', 'torch', 'evil.bin');
    fs.copyFileSync(evil, path.join(t.dir, 'pytorch_model.bin'));
    const r = await cli([t.dir, '--out', path.join(root, 'out'), '--dtype', 'q4']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/refusing to load/);
    expect(r.err).toMatch(/safetensors revision/);
    expect(r.err).toMatch(/Do not load this file .* trust_remote_code=True/);
    // No unsafe load is recommended: the only code given is the safe loader.
    expect(r.err).not.toMatch(/from_pretrained\(/);
    expect(r.err).toMatch(/torch\.load\(f, weights_only=True\)/);
    expect(fs.readdirSync(root)).toEqual(['ckpt']);
  });
});

/** Rewrites one tensor of a single-file checkpoint in place (same dtype, same offsets). */
async function rewriteTensor(t: TinyCheckpoint, name: string, values: Float32Array) {
  const file = path.join(t.dir, 'model.safetensors');
  const buf = fs.readFileSync(file);
  const len = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + len).toString('utf8'));
  const { dtype, data_offsets } = header[name] as { dtype: 'F32' | 'F16' | 'BF16'; data_offsets: number[] };
  const bytes = encodeFloats(dtype, values);
  expect(bytes.length).toBe(data_offsets[1] - data_offsets[0]);
  buf.set(bytes, 8 + len + data_offsets[0]);
  fs.writeFileSync(file, buf);
}
