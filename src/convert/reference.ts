/**
 * An independent, deliberately plain reference forward pass of a Qwen2 / Llama / Mistral PRM:
 * embedding, RMSNorm, GQA causal attention with RoPE (HF `rotate_half` convention), SwiGLU MLP,
 * final norm, then the family head reduced to the project's 2-logit contract (class 1 = correct).
 * It exists to check converted ONNX graphs against, so it shares no code with src/convert/graph/**
 * and follows transformers' modeling code line by line, accumulating in float64.
 *
 * Deliberately does not: batch, pad, cache keys/values, or run fast (O(layers x seq^2 x hidden)
 * plain loops; fine for tiny test models and a few tokens of a real one).
 */
import { ropeInvFreq, type DecoderConfig } from './hf-config.ts';

export interface TokenPairOptions {
  goodTokenId: number;
  badTokenId: number;
}

type Weights = (name: string) => Float32Array;

function get(weights: Weights, name: string, expectedLength: number): Float32Array {
  const w = weights(name);
  if (!w) throw new Error(`reference: weight "${name}" is missing`);
  if (w.length !== expectedLength) {
    throw new Error(`reference: weight "${name}" has ${w.length} values, expected ${expectedLength}`);
  }
  return w;
}

/** y = W x (+ b), W row-major [out, in] as PyTorch's Linear stores it. */
function linear(x: Float64Array, w: Float32Array, outDim: number, b?: Float32Array): Float64Array {
  const inDim = x.length;
  const y = new Float64Array(outDim);
  for (let o = 0; o < outDim; o++) {
    let s = b ? b[o] : 0;
    const row = o * inDim;
    for (let i = 0; i < inDim; i++) s += w[row + i] * x[i];
    y[o] = s;
  }
  return y;
}

function rmsNorm(x: Float64Array, w: Float32Array, eps: number): Float64Array {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += x[i] * x[i];
  const r = 1 / Math.sqrt(ss / x.length + eps);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = w[i] * (x[i] * r);
  return y;
}

/** In place: HF apply_rotary_pos_emb on one head vector, x*cos + rotate_half(x)*sin. */
function rope(x: Float64Array, offset: number, headDim: number, cos: Float64Array, sin: Float64Array): void {
  const half = headDim / 2;
  for (let i = 0; i < half; i++) {
    const a = x[offset + i];
    const b = x[offset + i + half];
    // rotate_half(x) = cat(-x2, x1); cos/sin are cat(freqs, freqs), so both halves use index i.
    x[offset + i] = a * cos[i] - b * sin[i];
    x[offset + i + half] = b * cos[i] + a * sin[i];
  }
}

const silu = (v: number) => v / (1 + Math.exp(-v));

/**
 * Final hidden states (after the last RMSNorm) of one unpadded sequence: `seq` rows of
 * `hiddenSize`.
 *
 * @example
 * const h = referenceHidden(cfg, (n) => weights[n], [1, 2, 3]); // h.length === 3
 */
export function referenceHidden(cfg: DecoderConfig, weights: Weights, inputIds: number[]): Float64Array[] {
  const H = cfg.hiddenSize;
  const D = cfg.headDim;
  const nQ = cfg.numHeads;
  const nKv = cfg.numKvHeads;
  const groups = nQ / nKv;
  const I = cfg.intermediateSize;
  const S = inputIds.length;
  if (S === 0) throw new Error('reference: inputIds is empty');

  const embed = get(weights, 'model.embed_tokens.weight', cfg.vocabSize * H);
  let h: Float64Array[] = inputIds.map((id) => {
    if (!Number.isInteger(id) || id < 0 || id >= cfg.vocabSize) {
      throw new Error(`reference: token id ${id} is outside the vocabulary [0, ${cfg.vocabSize})`);
    }
    return Float64Array.from(embed.subarray(id * H, (id + 1) * H));
  });

  const invFreq = ropeInvFreq(cfg);
  const cos: Float64Array[] = [];
  const sin: Float64Array[] = [];
  for (let p = 0; p < S; p++) {
    cos.push(invFreq.map((f) => Math.cos(p * f)));
    sin.push(invFreq.map((f) => Math.sin(p * f)));
  }
  const scale = 1 / Math.sqrt(D);

  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}`;
    const ln1 = get(weights, `${p}.input_layernorm.weight`, H);
    const wq = get(weights, `${p}.self_attn.q_proj.weight`, nQ * D * H);
    const wk = get(weights, `${p}.self_attn.k_proj.weight`, nKv * D * H);
    const wv = get(weights, `${p}.self_attn.v_proj.weight`, nKv * D * H);
    const wo = get(weights, `${p}.self_attn.o_proj.weight`, H * nQ * D);
    const bq = cfg.attentionBias ? get(weights, `${p}.self_attn.q_proj.bias`, nQ * D) : undefined;
    const bk = cfg.attentionBias ? get(weights, `${p}.self_attn.k_proj.bias`, nKv * D) : undefined;
    const bv = cfg.attentionBias ? get(weights, `${p}.self_attn.v_proj.bias`, nKv * D) : undefined;
    const bo = cfg.oProjBias ? get(weights, `${p}.self_attn.o_proj.bias`, H) : undefined;

    const q: Float64Array[] = [];
    const k: Float64Array[] = [];
    const v: Float64Array[] = [];
    for (let t = 0; t < S; t++) {
      const x = rmsNorm(h[t], ln1, cfg.rmsNormEps);
      const qt = linear(x, wq, nQ * D, bq);
      const kt = linear(x, wk, nKv * D, bk);
      for (let hh = 0; hh < nQ; hh++) rope(qt, hh * D, D, cos[t], sin[t]);
      for (let hh = 0; hh < nKv; hh++) rope(kt, hh * D, D, cos[t], sin[t]);
      q.push(qt);
      k.push(kt);
      v.push(linear(x, wv, nKv * D, bv));
    }

    const next: Float64Array[] = [];
    for (let t = 0; t < S; t++) {
      const ctx = new Float64Array(nQ * D);
      for (let hh = 0; hh < nQ; hh++) {
        // repeat_kv repeats each kv head `groups` times in a row: q head hh reads kv head hh/groups.
        const kvOff = Math.floor(hh / groups) * D;
        const qOff = hh * D;
        const scores = new Float64Array(t + 1);
        let max = -Infinity;
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[t][qOff + d] * k[s][kvOff + d];
          scores[s] = dot * scale;
          if (scores[s] > max) max = scores[s];
        }
        let sum = 0;
        for (let s = 0; s <= t; s++) {
          scores[s] = Math.exp(scores[s] - max);
          sum += scores[s];
        }
        for (let s = 0; s <= t; s++) {
          const wgt = scores[s] / sum;
          for (let d = 0; d < D; d++) ctx[qOff + d] += wgt * v[s][kvOff + d];
        }
      }
      const attnOut = linear(ctx, wo, H, bo);
      const r = new Float64Array(H);
      for (let i = 0; i < H; i++) r[i] = h[t][i] + attnOut[i];
      next.push(r);
    }
    h = next;

    const ln2 = get(weights, `${p}.post_attention_layernorm.weight`, H);
    const wg = get(weights, `${p}.mlp.gate_proj.weight`, I * H);
    const wu = get(weights, `${p}.mlp.up_proj.weight`, I * H);
    const wd = get(weights, `${p}.mlp.down_proj.weight`, H * I);
    h = h.map((ht) => {
      const x = rmsNorm(ht, ln2, cfg.rmsNormEps);
      const g = linear(x, wg, I);
      const u = linear(x, wu, I);
      const a = new Float64Array(I);
      for (let i = 0; i < I; i++) a[i] = silu(g[i]) * u[i];
      const m = linear(a, wd, H);
      const r = new Float64Array(H);
      for (let i = 0; i < H; i++) r[i] = ht[i] + m[i];
      return r;
    });
  }
  const normW = get(weights, 'model.norm.weight', H);
  return h.map((ht) => rmsNorm(ht, normW, cfg.rmsNormEps));
}

/**
 * Full forward pass of ONE sequence (no padding). Returns logits `[seq, 2]` flat, row-major,
 * class 1 = "step correct":
 * - qwen-prm: `score.2(relu(score.0(h)))`
 * - token-classification: `score(h)`
 * - value-head: `[0, v_head.summary(h)]` (softmax class 1 = sigmoid(v))
 * - token-pair: `[lm_head[bad] . h, lm_head[good] . h]` (tied: embedding rows)
 *
 * @example
 * const logits = referenceForward(cfg, (n) => w[n], [5, 9, 2]);
 * const p1 = 1 / (1 + Math.exp(logits[0] - logits[1])); // p(correct) at token 0
 */
export function referenceForward(
  cfg: DecoderConfig,
  weights: Weights,
  inputIds: number[],
  tokenPair?: TokenPairOptions,
): Float64Array {
  const H = cfg.hiddenSize;
  const hidden = referenceHidden(cfg, weights, inputIds);
  const out = new Float64Array(hidden.length * 2);
  const dot = (w: Float32Array, off: number, x: Float64Array) => {
    let s = 0;
    for (let i = 0; i < H; i++) s += w[off + i] * x[i];
    return s;
  };
  switch (cfg.head) {
    case 'qwen-prm': {
      const w0 = get(weights, 'score.0.weight', H * H);
      const b0 = get(weights, 'score.0.bias', H);
      const w2 = get(weights, 'score.2.weight', 2 * H);
      const b2 = get(weights, 'score.2.bias', 2);
      hidden.forEach((x, t) => {
        const z = linear(x, w0, H, b0).map((v) => (v > 0 ? v : 0));
        const y = linear(z, w2, 2, b2);
        out[2 * t] = y[0];
        out[2 * t + 1] = y[1];
      });
      return out;
    }
    case 'token-classification': {
      const w = get(weights, 'score.weight', 2 * H);
      let b: Float32Array | undefined;
      try {
        b = weights('score.bias');
      } catch {
        b = undefined;
      }
      if (b && b.length !== 2)
        throw new Error(`reference: weight "score.bias" has ${b.length} values, expected 2`);
      hidden.forEach((x, t) => {
        const y = linear(x, w, 2, b);
        out[2 * t] = y[0];
        out[2 * t + 1] = y[1];
      });
      return out;
    }
    case 'value-head': {
      const w = get(weights, 'v_head.summary.weight', H);
      const b = get(weights, 'v_head.summary.bias', 1);
      hidden.forEach((x, t) => {
        out[2 * t] = 0;
        out[2 * t + 1] = dot(w, 0, x) + b[0];
      });
      return out;
    }
    case 'token-pair': {
      if (!tokenPair) throw new Error('reference: a token-pair head needs { goodTokenId, badTokenId }');
      const name = cfg.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
      const lm = get(weights, name, cfg.vocabSize * H);
      for (const id of [tokenPair.goodTokenId, tokenPair.badTokenId]) {
        if (!Number.isInteger(id) || id < 0 || id >= cfg.vocabSize) {
          throw new Error(`reference: token-pair id ${id} is outside the vocabulary [0, ${cfg.vocabSize})`);
        }
      }
      hidden.forEach((x, t) => {
        out[2 * t] = dot(lm, tokenPair.badTokenId * H, x);
        out[2 * t + 1] = dot(lm, tokenPair.goodTokenId * H, x);
      });
      return out;
    }
  }
}
