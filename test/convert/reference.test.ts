import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceForward, referenceHidden } from '../../src/convert/reference.ts';
import {
  parseDecoderConfig,
  type DecoderArch,
  type DecoderConfig,
  type HeadKind,
} from '../../src/convert/hf-config.ts';
import { openLocalCheckpoint } from '../../src/node/local-files.ts';
import { makeTinyCheckpoint, type TinyCheckpointOptions } from './tiny-checkpoint.ts';

let tmp: string;
let n = 0;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'prm-ref-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
const tiny = (o: Omit<TinyCheckpointOptions, 'dir'>) =>
  makeTinyCheckpoint({ dir: join(tmp, `m${n++}`), ...o });

// ---------------------------------------------------------------------------------------------
// An independent oracle in matrix form, following transformers' modeling_qwen2.py / modeling_llama.py
// tensor by tensor: [seq, hidden] matrices, cat-based rotate_half, repeat_kv by concatenation,
// additive -Infinity causal mask. Shares nothing with src/convert/reference.ts but the config.

type M = number[][];
const mat = (w: Float32Array, rows: number, cols: number): M =>
  Array.from({ length: rows }, (_, r) => Array.from(w.subarray(r * cols, (r + 1) * cols)));
const matmulT = (a: M, b: M): M =>
  a.map((row) => b.map((brow) => row.reduce((s, x, i) => s + x * brow[i], 0)));
const addBias = (a: M, b?: Float32Array): M => (b ? a.map((row) => row.map((x, i) => x + b[i])) : a);
const add = (a: M, b: M): M => a.map((row, r) => row.map((x, c) => x + b[r][c]));
const cols = (a: M, from: number, to: number): M => a.map((row) => row.slice(from, to));
const rmsNorm = (a: M, g: Float32Array, eps: number): M =>
  a.map((row) => {
    const variance = row.reduce((s, x) => s + x * x, 0) / row.length;
    return row.map((x, i) => g[i] * (x / Math.sqrt(variance + eps)));
  });
const rotateHalf = (x: number[]) => [...x.slice(x.length / 2).map((v) => -v), ...x.slice(0, x.length / 2)];

function oracleInvFreq(cfg: DecoderConfig): number[] {
  // Plain RoPE only; llama3 scaling is checked separately in hf-config.test.ts.
  return Array.from({ length: cfg.headDim / 2 }, (_, j) => cfg.ropeTheta ** (-(2 * j) / cfg.headDim));
}

function applyRope(x: M, invFreq: number[]): M {
  return x.map((row, pos) => {
    const freqs = invFreq.map((f) => pos * f);
    const emb = [...freqs, ...freqs];
    const rot = rotateHalf(row);
    return row.map((v, i) => v * Math.cos(emb[i]) + rot[i] * Math.sin(emb[i]));
  });
}

function softmaxRows(a: M): M {
  return a.map((row) => {
    const max = Math.max(...row);
    const e = row.map((x) => Math.exp(x - max));
    const s = e.reduce((p, q) => p + q, 0);
    return e.map((x) => x / s);
  });
}

function oracleHidden(cfg: DecoderConfig, w: Record<string, Float32Array>, ids: number[]): M {
  const H = cfg.hiddenSize;
  const D = cfg.headDim;
  const I = cfg.intermediateSize;
  const nRep = cfg.numHeads / cfg.numKvHeads;
  const S = ids.length;
  const emb = mat(w['model.embed_tokens.weight'], cfg.vocabSize, H);
  let x: M = ids.map((id) => emb[id]);
  const mask: M = Array.from({ length: S }, (_, i) =>
    Array.from({ length: S }, (_, j) => (j > i ? -Infinity : 0)),
  );
  const invFreq = oracleInvFreq(cfg);
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = (s: string) => w[`model.layers.${l}.${s}`];
    const xn = rmsNorm(x, p('input_layernorm.weight'), cfg.rmsNormEps);
    const q = addBias(
      matmulT(xn, mat(p('self_attn.q_proj.weight'), cfg.numHeads * D, H)),
      p('self_attn.q_proj.bias'),
    );
    const k = addBias(
      matmulT(xn, mat(p('self_attn.k_proj.weight'), cfg.numKvHeads * D, H)),
      p('self_attn.k_proj.bias'),
    );
    const v = addBias(
      matmulT(xn, mat(p('self_attn.v_proj.weight'), cfg.numKvHeads * D, H)),
      p('self_attn.v_proj.bias'),
    );
    const qh = Array.from({ length: cfg.numHeads }, (_, h) =>
      applyRope(cols(q, h * D, (h + 1) * D), invFreq),
    );
    const kh = Array.from({ length: cfg.numKvHeads }, (_, h) =>
      applyRope(cols(k, h * D, (h + 1) * D), invFreq),
    );
    const vh = Array.from({ length: cfg.numKvHeads }, (_, h) => cols(v, h * D, (h + 1) * D));
    // repeat_kv: [kv, ...] -> expand to [kv, n_rep, ...] -> reshape [kv * n_rep, ...]
    const kRep = kh.flatMap((m) => Array.from({ length: nRep }, () => m));
    const vRep = vh.flatMap((m) => Array.from({ length: nRep }, () => m));
    const heads = qh.map((qm, h) => {
      const scores = matmulT(qm, kRep[h]).map((row, i) => row.map((s, j) => s / Math.sqrt(D) + mask[i][j]));
      const probs = softmaxRows(scores);
      const vT = vRep[h][0].map((_, c) => vRep[h].map((row) => row[c]));
      return matmulT(probs, vT);
    });
    const concat = Array.from({ length: S }, (_, t) => heads.flatMap((hm) => hm[t]));
    const attn = addBias(
      matmulT(concat, mat(p('self_attn.o_proj.weight'), H, cfg.numHeads * D)),
      p('self_attn.o_proj.bias'),
    );
    x = add(x, attn);
    const xn2 = rmsNorm(x, p('post_attention_layernorm.weight'), cfg.rmsNormEps);
    const gate = matmulT(xn2, mat(p('mlp.gate_proj.weight'), I, H));
    const up = matmulT(xn2, mat(p('mlp.up_proj.weight'), I, H));
    const act = gate.map((row, r) => row.map((g, c) => (g / (1 + Math.exp(-g))) * up[r][c]));
    x = add(x, matmulT(act, mat(p('mlp.down_proj.weight'), H, I)));
  }
  return rmsNorm(x, w['model.norm.weight'], cfg.rmsNormEps);
}

function oracleLogits(
  cfg: DecoderConfig,
  w: Record<string, Float32Array>,
  ids: number[],
  pair?: { goodTokenId: number; badTokenId: number },
): number[] {
  const H = cfg.hiddenSize;
  const h = oracleHidden(cfg, w, ids);
  let out: M;
  switch (cfg.head) {
    case 'qwen-prm': {
      const z = addBias(matmulT(h, mat(w['score.0.weight'], H, H)), w['score.0.bias']).map((r) =>
        r.map((v) => Math.max(0, v)),
      );
      out = addBias(matmulT(z, mat(w['score.2.weight'], 2, H)), w['score.2.bias']);
      break;
    }
    case 'token-classification':
      out = addBias(matmulT(h, mat(w['score.weight'], 2, H)), w['score.bias']);
      break;
    case 'value-head':
      out = addBias(matmulT(h, mat(w['v_head.summary.weight'], 1, H)), w['v_head.summary.bias']).map((r) => [
        0,
        r[0],
      ]);
      break;
    case 'token-pair': {
      const lm = mat(
        w[cfg.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight'],
        cfg.vocabSize,
        H,
      );
      out = matmulT(h, [lm[pair!.badTokenId], lm[pair!.goodTokenId]]);
      break;
    }
  }
  return out.flat();
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-9) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++)
    expect(Math.abs(got[i] - want[i])).toBeLessThan(tol * (1 + Math.abs(want[i])));
}

// ---------------------------------------------------------------------------------------------

describe('referenceForward(cfg, weights, inputIds) against the matrix-form oracle', () => {
  it.each<[string, DecoderArch, HeadKind, Partial<TinyCheckpointOptions>, number[]]>([
    ['1-layer qwen-prm, 2 tokens', 'qwen2', 'qwen-prm', { layers: 1 }, [5, 17]],
    ['2-layer qwen-prm GQA 4/2, 7 tokens', 'qwen2', 'qwen-prm', {}, [3, 9, 27, 27, 1, 40, 12]],
    ['value head (tied), GQA 4/1', 'qwen2', 'value-head', { kvHeads: 1 }, [2, 4, 6, 8, 10]],
    ['llama token-classification MHA', 'llama', 'token-classification', { kvHeads: 4 }, [7, 7, 7, 30]],
    [
      'mistral token-pair, 3 layers, head_dim 16',
      'mistral',
      'token-pair',
      { layers: 3, heads: 2, kvHeads: 1 },
      [1, 2, 3, 50, 60],
    ],
  ])('%s', async (_name, arch, head, extra, ids) => {
    const t = await tiny({ arch, head, seed: 7, ...extra });
    const got = referenceForward(t.cfg, (k) => t.weights[k], ids, t.tokenPair);
    expect(got).toHaveLength(ids.length * 2);
    expectClose(got, oracleLogits(t.cfg, t.weights, ids, t.tokenPair));
  });

  it('a repeated token gives the same logits at every position (attention averages equal values)', async () => {
    const t = await tiny({ arch: 'qwen2', head: 'qwen-prm', seed: 3 });
    const got = referenceForward(t.cfg, (k) => t.weights[k], [5, 5, 5]);
    // RoPE rotates only q and k; if it leaked into v, or the mask let weights not sum to 1, these would differ.
    expectClose([got[2], got[3], got[4], got[5]], [got[0], got[1], got[0], got[1]], 1e-12);
    const other = referenceForward(t.cfg, (k) => t.weights[k], [5, 6, 5]);
    expect(Math.abs(other[5] - got[5])).toBeGreaterThan(1e-9);
  });
});

describe('referenceForward properties', () => {
  it('is causal: changing a later token leaves earlier logits unchanged and changes later ones', async () => {
    const t = await tiny({ arch: 'qwen2', head: 'qwen-prm', seed: 11 });
    const w = (k: string) => t.weights[k];
    const a = referenceForward(t.cfg, w, [4, 8, 15, 16, 23, 42]);
    const b = referenceForward(t.cfg, w, [4, 8, 15, 33, 23, 42]);
    expect(Array.from(b.subarray(0, 6))).toEqual(Array.from(a.subarray(0, 6)));
    for (const t2 of [3, 4, 5]) expect(Math.abs(a[2 * t2 + 1] - b[2 * t2 + 1])).toBeGreaterThan(1e-9);
  });

  it('GQA with each kv head duplicated into MHA weights gives the same logits (kv head = q head / group)', async () => {
    const gqa = await tiny({ arch: 'qwen2', head: 'qwen-prm', heads: 4, kvHeads: 2, seed: 5 });
    const D = gqa.cfg.headDim;
    const H = gqa.cfg.hiddenSize;
    const mha: Record<string, Float32Array> = { ...gqa.weights };
    // MHA head h must read GQA kv head floor(h / 2): rows [kv0, kv0, kv1, kv1].
    const dup = (src: Float32Array, rowLen: number) => {
      const out = new Float32Array(src.length * 2);
      for (let h = 0; h < 4; h++)
        out.set(
          src.subarray(Math.floor(h / 2) * D * rowLen, (Math.floor(h / 2) + 1) * D * rowLen),
          h * D * rowLen,
        );
      return out;
    };
    for (let l = 0; l < gqa.cfg.numLayers; l++) {
      for (const x of ['k', 'v']) {
        mha[`model.layers.${l}.self_attn.${x}_proj.weight`] = dup(
          gqa.weights[`model.layers.${l}.self_attn.${x}_proj.weight`],
          H,
        );
        mha[`model.layers.${l}.self_attn.${x}_proj.bias`] = dup(
          gqa.weights[`model.layers.${l}.self_attn.${x}_proj.bias`],
          1,
        );
      }
    }
    const mhaCfg: DecoderConfig = { ...gqa.cfg, numKvHeads: 4 };
    const ids = [1, 9, 20, 33, 2];
    expectClose(
      referenceForward(mhaCfg, (k) => mha[k], ids),
      referenceForward(gqa.cfg, (k) => gqa.weights[k], ids),
      1e-12,
    );
  });

  it('llama3 rope scaling leaves position 0 alone but changes later positions', async () => {
    const plain = await tiny({ arch: 'llama', head: 'token-classification', seed: 9 });
    const scaled = await tiny({ arch: 'llama', head: 'token-classification', seed: 9, ropeScaling: true });
    expect(scaled.cfg.ropeScaling?.type).toBe('llama3');
    const ids = [3, 14, 15, 9, 26];
    const a = referenceForward(plain.cfg, (k) => plain.weights[k], ids);
    const b = referenceForward(scaled.cfg, (k) => scaled.weights[k], ids);
    expect([b[0], b[1]]).toEqual([a[0], a[1]]);
    expect(Math.abs(a[9] - b[9])).toBeGreaterThan(1e-9);
  });

  it('value-head logits are [0, v] and token-pair columns follow [bad, good]', async () => {
    const vh = await tiny({ arch: 'qwen2', head: 'value-head', seed: 2 });
    const v = referenceForward(vh.cfg, (k) => vh.weights[k], [1, 2, 3]);
    expect([v[0], v[2], v[4]]).toEqual([0, 0, 0]);
    const tp = await tiny({ arch: 'mistral', head: 'token-pair', seed: 2 });
    const pair = tp.tokenPair!;
    const x = referenceForward(tp.cfg, (k) => tp.weights[k], [1, 2, 3], pair);
    const y = referenceForward(tp.cfg, (k) => tp.weights[k], [1, 2, 3], {
      goodTokenId: pair.badTokenId,
      badTokenId: pair.goodTokenId,
    });
    expect(Array.from(y)).toEqual([x[1], x[0], x[3], x[2], x[5], x[4]]);
  });

  it('tied token-pair heads read the embedding rows', async () => {
    const t = await tiny({ arch: 'llama', head: 'token-pair', tie: true, seed: 4 });
    expect(t.weights['lm_head.weight']).toBeUndefined();
    const got = referenceForward(t.cfg, (k) => t.weights[k], [5, 6], t.tokenPair);
    expectClose(got, oracleLogits(t.cfg, t.weights, [5, 6], t.tokenPair));
  });

  it('token-classification without score.bias', async () => {
    const t = await tiny({ arch: 'qwen2', head: 'token-classification', seed: 8 });
    const w = { ...t.weights };
    delete w['score.bias'];
    const got = referenceForward(t.cfg, (k) => w[k], [5, 6]);
    const h = referenceHidden(t.cfg, (k) => w[k], [5, 6]);
    const sw = w['score.weight'];
    const dot = (row: number, x: Float64Array) =>
      x.reduce((s, v, i) => s + v * sw[row * t.cfg.hiddenSize + i], 0);
    expectClose(got, [dot(0, h[0]), dot(1, h[0]), dot(0, h[1]), dot(1, h[1])], 1e-12);
  });

  it('gives probabilities away from 0 and 1 on a tiny random model (not saturated)', async () => {
    const t = await tiny({ arch: 'qwen2', head: 'qwen-prm', seed: 1 });
    const ids = Array.from({ length: 24 }, (_, i) => (i * 11 + 5) % 64);
    const lg = referenceForward(t.cfg, (k) => t.weights[k], ids);
    const p = ids.map((_, i) => 1 / (1 + Math.exp(lg[2 * i] - lg[2 * i + 1])));
    expect(p.filter((x) => x > 0.05 && x < 0.95).length).toBeGreaterThanOrEqual(20);
  });
});

describe('referenceForward on weights read back from a BF16 sharded checkpoint', () => {
  it('matches the in-memory weights exactly (the checkpoint stores what makeTinyCheckpoint returns)', async () => {
    const t = await tiny({ arch: 'qwen2', head: 'qwen-prm', dtype: 'BF16', shards: 2, seed: 21 });
    const ck = await openLocalCheckpoint(t.dir);
    const cfg = parseDecoderConfig(ck.config);
    const read: Record<string, Float32Array> = {};
    for (const name of ck.names()) read[name] = await ck.readF32(name);
    await ck.close();
    const ids = [3, 1, 4, 1, 5];
    expect(Array.from(referenceForward(cfg, (k) => read[k], ids))).toEqual(
      Array.from(referenceForward(t.cfg, (k) => t.weights[k], ids)),
    );
  });
});

describe('referenceForward rejects bad input', () => {
  it.each<[string, (t: Awaited<ReturnType<typeof tiny>>) => unknown, RegExp]>([
    [
      'an out-of-vocabulary id',
      (t) => referenceForward(t.cfg, (k) => t.weights[k], [64]),
      /token id 64 is outside the vocabulary \[0, 64\)/,
    ],
    ['an empty input', (t) => referenceForward(t.cfg, (k) => t.weights[k], []), /inputIds is empty/],
    [
      'a missing weight',
      (t) => referenceForward(t.cfg, (k) => (k === 'model.norm.weight' ? undefined! : t.weights[k]), [1]),
      /weight "model\.norm\.weight" is missing/,
    ],
    [
      'a wrongly shaped weight',
      (t) => referenceForward({ ...t.cfg, intermediateSize: 63 }, (k) => t.weights[k], [1]),
      /"model\.layers\.0\.mlp\.gate_proj\.weight" has 2048 values, expected 2016/,
    ],
  ])('%s', async (_name, call, message) => {
    const t = await tiny({ arch: 'qwen2', head: 'qwen-prm' });
    expect(() => call(t)).toThrow(message);
  });

  it('a token-pair head without token ids', async () => {
    const t = await tiny({ arch: 'llama', head: 'token-pair' });
    expect(() => referenceForward(t.cfg, (k) => t.weights[k], [1])).toThrow(
      /needs \{ goodTokenId, badTokenId \}/,
    );
  });
});
