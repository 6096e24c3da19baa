/**
 * Emits a Qwen2 / Llama / Mistral decoder (embedding, N x [RMSNorm, GQA attention with RoPE,
 * RMSNorm, SwiGLU MLP], final RMSNorm) with the ops the onnxruntime WebGPU execution provider
 * runs fast: Gather, SimplifiedLayerNormalization / SkipSimplifiedLayerNormalization, MatMul or
 * MatMulNBits, and GroupQueryAttention with rotary applied inside (`do_rotary=1`, cos/sin caches).
 *
 * One pass over the whole input, no KV cache: GQA gets no past_key/past_value and its present_*
 * outputs are left unconnected. `seqlens_k = sum(attention_mask) - 1` and
 * `total_sequence_length = seq`, so batches must be RIGHT-padded (GQA treats the first
 * `seqlens_k + 1` positions of each row as the tokens, with positions 0, 1, 2, ...).
 *
 * Deliberately does not: support left padding, sliding-window attention, or any activation but
 * SiLU (hf-config.ts refuses those configs).
 */
import type { DecoderConfig } from '../hf-config.ts';
import { ropeInvFreq } from '../hf-config.ts';
import { attr, DataType } from '../onnx-proto.ts';
import type { GraphBuilder } from './builder.ts';

export interface DecoderOutput {
  /** Final-norm hidden states, [batch, seq, hidden], in the variant's activation type. */
  hidden: string;
}

/**
 * RoPE cos/sin caches `[positions, headDim / 2]`: `cos(p * invFreq[i])`, computed in float64.
 *
 * @example
 * ropeCaches(new Float64Array([1, 0.01]), 2).cos // [1, 1, cos(1), cos(0.01)]
 */
export function ropeCaches(
  invFreq: Float64Array,
  positions: number,
): { cos: Float32Array; sin: Float32Array } {
  const half = invFreq.length;
  const cos = new Float32Array(positions * half);
  const sin = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const a = p * invFreq[i];
      cos[p * half + i] = Math.cos(a);
      sin[p * half + i] = Math.sin(a);
    }
  }
  return { cos, sin };
}

/**
 * Emits the decoder; `contextLength` sizes the rotary caches (the longest input the model takes).
 *
 * @example
 * const ids = b.input('input_ids', DataType.INT64, ['batch', 'sequence']);
 * const mask = b.input('attention_mask', DataType.INT64, ['batch', 'sequence']);
 * const { hidden } = await emitDecoder(b, cfg, ids, mask, 4096);
 */
export async function emitDecoder(
  b: GraphBuilder,
  cfg: DecoderConfig,
  inputIds: string,
  attentionMask: string,
  contextLength: number,
): Promise<DecoderOutput> {
  const H = cfg.hiddenSize;
  const eps = cfg.rmsNormEps;
  const qSize = cfg.numHeads * cfg.headDim;
  const kvSize = cfg.numKvHeads * cfg.headDim;

  // GQA's sequence-length inputs, from the mask (genai builder's pattern).
  const one = b.intConstant('/model/constants/INT64_1', [1], []);
  const axis1 = b.intConstant('/model/constants/INT64_[1]', [1], [1]);
  const [sum] = b.op('/model/attn_mask_reformat/ReduceSum', 'ReduceSum', [attentionMask, axis1], {
    attrs: { keepdims: attr.int(0) },
  });
  const [sumMinus1] = b.op('/model/attn_mask_reformat/Sub', 'Sub', [sum, one]);
  const [seqlensK] = b.op('/model/attn_mask_reformat/seqlens_k/Cast', 'Cast', [sumMinus1], {
    attrs: { to: attr.int(DataType.INT32) },
  });
  const [maskShape] = b.op('/model/attn_mask_reformat/Shape', 'Shape', [attentionMask]);
  const [seqLen] = b.op('/model/attn_mask_reformat/Gather', 'Gather', [maskShape, one], {
    attrs: { axis: attr.int(0) },
  });
  const [totalSeqLen] = b.op('/model/attn_mask_reformat/total_seq_len/Cast', 'Cast', [seqLen], {
    attrs: { to: attr.int(DataType.INT32) },
  });

  const { cos, sin } = ropeCaches(ropeInvFreq(cfg), contextLength);
  const cosCache = b.floatConstant('cos_cache', cos, [contextLength, cfg.headDim / 2]);
  const sinCache = b.floatConstant('sin_cache', sin, [contextLength, cfg.headDim / 2]);

  const embedded = await b.embedding(
    '/model/embed_tokens',
    inputIds,
    'model.embed_tokens.weight',
    cfg.vocabSize,
    H,
  );

  let residual = embedded;
  let pending = ''; // output of the previous block, not yet added to the residual
  for (let i = 0; i < cfg.numLayers; i++) {
    const p = `/model/layers.${i}`;
    const w = `model.layers.${i}`;
    let normed: string;
    if (i === 0) {
      normed = await b.rmsNorm(
        `${p}/input_layernorm/SimplifiedLayerNormalization`,
        embedded,
        `${w}.input_layernorm.weight`,
        H,
        eps,
      );
    } else {
      [normed, residual] = await b.skipRmsNorm(
        `${p}/input_layernorm/SkipSimplifiedLayerNormalization`,
        pending,
        residual,
        `${w}.input_layernorm.weight`,
        H,
        eps,
        true,
      );
    }

    const proj = (name: 'q' | 'k' | 'v' | 'o', input: string, n: number, k: number) =>
      b.linear(`${p}/attn/${name}_proj`, input, {
        name: `${w}.self_attn.${name}_proj`,
        n,
        k,
        bias: name === 'o' ? cfg.oProjBias : cfg.attentionBias,
        quantize: true,
      });
    const q = await proj('q', normed, qSize, H);
    const k = await proj('k', normed, kvSize, H);
    const v = await proj('v', normed, kvSize, H);
    const [attn] = b.op(
      `${p}/attn/GroupQueryAttention`,
      'GroupQueryAttention',
      [q, k, v, '', '', seqlensK, totalSeqLen, cosCache, sinCache],
      {
        domain: 'com.microsoft',
        attrs: {
          num_heads: attr.int(cfg.numHeads),
          kv_num_heads: attr.int(cfg.numKvHeads),
          do_rotary: attr.int(1),
          rotary_interleaved: attr.int(0),
          scale: attr.float(1 / Math.sqrt(cfg.headDim)),
        },
      },
    );
    const o = await proj('o', attn, H, qSize);

    let normed2: string;
    [normed2, residual] = await b.skipRmsNorm(
      `${p}/post_attention_layernorm/SkipSimplifiedLayerNormalization`,
      o,
      residual,
      `${w}.post_attention_layernorm.weight`,
      H,
      eps,
      true,
    );
    const mlp = (name: 'gate' | 'up' | 'down', input: string, n: number, k: number) =>
      b.linear(`${p}/mlp/${name}_proj`, input, {
        name: `${w}.mlp.${name}_proj`,
        n,
        k,
        bias: false,
        quantize: true,
      });
    const gate = await mlp('gate', normed2, cfg.intermediateSize, H);
    const up = await mlp('up', normed2, cfg.intermediateSize, H);
    const [sig] = b.op(`${p}/mlp/act_fn/Sigmoid`, 'Sigmoid', [gate]);
    const [silu] = b.op(`${p}/mlp/act_fn/Mul`, 'Mul', [gate, sig]);
    const [gated] = b.op(`${p}/mlp/Mul`, 'Mul', [silu, up]);
    pending = await mlp('down', gated, H, cfg.intermediateSize);
  }

  const [hidden] = await b.skipRmsNorm(
    '/model/norm/SkipSimplifiedLayerNormalization',
    pending,
    residual,
    'model.norm.weight',
    H,
    eps,
    false,
  );
  return { hidden };
}
