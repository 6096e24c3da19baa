import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  expectedTensorNames,
  expectedTensorShape,
  optionalTensorNames,
  parseDecoderConfig,
  ropeInvFreq,
  type DecoderConfig,
} from '../../src/convert/hf-config.ts';
import { CheckpointError } from '../../src/convert/safetensors.ts';

// https://huggingface.co/Qwen/Qwen2.5-Math-PRM-7B/blob/main/config.json, shared with
// bench/make-synthetic-checkpoint.ts.
const QWEN_PRM_7B = JSON.parse(
  readFileSync(new URL('./fixtures/configs/qwen2.5-math-prm-7b.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

// https://huggingface.co/Skywork/Skywork-o1-Open-PRM-Qwen-2.5-1.5B (rope_theta of its Qwen2.5-Math
// base, UNVERIFIED).
const SKYWORK_1_5B = {
  architectures: ['Qwen2ForPrmModel'],
  model_type: 'qwen2',
  hidden_act: 'silu',
  hidden_size: 1536,
  intermediate_size: 8960,
  max_position_embeddings: 4096,
  num_attention_heads: 12,
  num_hidden_layers: 28,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 10000.0,
  tie_word_embeddings: true,
  vocab_size: 151936,
};

// RLHFlow/Llama3.1-8B-PRM-*: Llama 3.1 8B with llama3 rope scaling.
const LLAMA31_8B = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  attention_bias: false,
  hidden_size: 4096,
  intermediate_size: 14336,
  max_position_embeddings: 131072,
  num_attention_heads: 32,
  num_hidden_layers: 32,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_scaling: {
    factor: 8.0,
    low_freq_factor: 1.0,
    high_freq_factor: 4.0,
    original_max_position_embeddings: 8192,
    rope_type: 'llama3',
  },
  rope_theta: 500000.0,
  tie_word_embeddings: false,
  vocab_size: 128256,
};

/** What LLAMA31_8B's rope settings parse to, in either config spelling. */
const LLAMA31_ROPE = {
  ropeTheta: 500000,
  ropeScaling: {
    type: 'llama3',
    factor: 8,
    lowFreqFactor: 1,
    highFreqFactor: 4,
    originalMaxPositions: 8192,
  },
} as const;

// peiyi9979/math-shepherd-mistral-7b-prm (Mistral-7B-v0.1).
const MATH_SHEPHERD = {
  architectures: ['MistralForCausalLM'],
  model_type: 'mistral',
  hidden_size: 4096,
  intermediate_size: 14336,
  max_position_embeddings: 32768,
  num_attention_heads: 32,
  num_hidden_layers: 32,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_theta: 10000.0,
  sliding_window: 4096,
  tie_word_embeddings: false,
  vocab_size: 32000,
};

// trl-lib/Qwen2-0.5B-Reward-Math-Sheperd style token classifier.
const TRL_QWEN_0_5B = {
  architectures: ['Qwen2ForTokenClassification'],
  model_type: 'qwen2',
  hidden_size: 896,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  tie_word_embeddings: true,
  vocab_size: 151936,
  id2label: { 0: 'LABEL_0', 1: 'LABEL_1' },
};

describe('parseDecoderConfig(config)', () => {
  it.each<[string, Record<string, unknown>, Partial<DecoderConfig>]>([
    [
      'Qwen2.5-Math-PRM-7B',
      QWEN_PRM_7B,
      {
        arch: 'qwen2',
        architectureName: 'Qwen2ForProcessRewardModel',
        head: 'qwen-prm',
        hiddenSize: 3584,
        numLayers: 28,
        numHeads: 28,
        numKvHeads: 4,
        headDim: 128,
        intermediateSize: 18944,
        vocabSize: 152064,
        rmsNormEps: 1e-5,
        ropeTheta: 10000,
        ropeScaling: null,
        maxPositions: 4096,
        tieWordEmbeddings: false,
        attentionBias: true,
        oProjBias: false,
      },
    ],
    [
      'Skywork-o1-Open-PRM-Qwen-2.5-1.5B',
      SKYWORK_1_5B,
      {
        arch: 'qwen2',
        head: 'value-head',
        hiddenSize: 1536,
        numHeads: 12,
        numKvHeads: 2,
        headDim: 128,
        intermediateSize: 8960,
        vocabSize: 151936,
        rmsNormEps: 1e-6,
        tieWordEmbeddings: true,
        attentionBias: true,
      },
    ],
    [
      'Llama 3.1 8B PRM',
      LLAMA31_8B,
      {
        arch: 'llama',
        head: 'token-pair',
        headDim: 128,
        ...LLAMA31_ROPE,
        attentionBias: false,
        oProjBias: false,
      },
    ],
    [
      'Math-Shepherd Mistral 7B',
      MATH_SHEPHERD,
      {
        arch: 'mistral',
        head: 'token-pair',
        numKvHeads: 8,
        headDim: 128,
        maxPositions: 32768,
        attentionBias: false,
      },
    ],
    [
      'TRL Qwen2 0.5B token classifier',
      TRL_QWEN_0_5B,
      { arch: 'qwen2', head: 'token-classification', numLabels: 2, headDim: 64, tieWordEmbeddings: true },
    ],
    [
      'llama with attention_bias: true',
      { ...LLAMA31_8B, attention_bias: true },
      { attentionBias: true, oProjBias: true },
    ],
    [
      'no num_key_value_heads (MHA), no rope_theta (default 10000), no tie_word_embeddings (default false)',
      {
        ...MATH_SHEPHERD,
        num_key_value_heads: undefined,
        rope_theta: undefined,
        tie_word_embeddings: undefined,
      },
      { numKvHeads: 32, ropeTheta: 10000, tieWordEmbeddings: false },
    ],
    ['an explicit head_dim', { ...MATH_SHEPHERD, head_dim: 64 }, { headDim: 64 }],
    [
      'transformers v5 rope_parameters (llama3)',
      {
        ...LLAMA31_8B,
        rope_theta: undefined,
        rope_scaling: undefined,
        rope_parameters: {
          rope_type: 'llama3',
          rope_theta: 500000.0,
          factor: 8.0,
          low_freq_factor: 1.0,
          high_freq_factor: 4.0,
          original_max_position_embeddings: 8192,
        },
      },
      LLAMA31_ROPE,
    ],
    [
      'transformers v5 rope_parameters (default)',
      {
        ...QWEN_PRM_7B,
        rope_theta: undefined,
        rope_parameters: { rope_type: 'default', rope_theta: 10000.0 },
      },
      { ropeTheta: 10000, ropeScaling: null },
    ],
    [
      'rope_scaling {type: "default"} as none',
      { ...QWEN_PRM_7B, rope_scaling: { type: 'default' } },
      { ropeScaling: null },
    ],
  ])('%s', (_name, config, expected) => {
    expect(parseDecoderConfig(config)).toMatchObject(expected);
  });

  it('parseDecoderConfig(config, { head }) overrides head detection', () => {
    expect(parseDecoderConfig(QWEN_PRM_7B, { head: 'value-head' }).head).toBe('value-head');
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'missing num_attention_heads',
      { ...QWEN_PRM_7B, num_attention_heads: undefined },
      /^config\.json: missing field "num_attention_heads"$/,
    ],
    ['missing hidden_size', { ...QWEN_PRM_7B, hidden_size: undefined }, /missing field "hidden_size"/],
    ['missing rms_norm_eps', { ...QWEN_PRM_7B, rms_norm_eps: null }, /missing field "rms_norm_eps"/],
    ['missing architectures', { ...QWEN_PRM_7B, architectures: undefined }, /missing field "architectures"/],
    ['missing model_type', { ...QWEN_PRM_7B, model_type: undefined }, /missing field "model_type"/],
    [
      'a string where a number belongs',
      { ...QWEN_PRM_7B, hidden_size: '3584' },
      /field "hidden_size" must be a number, got "3584"/,
    ],
    [
      'a fractional layer count',
      { ...QWEN_PRM_7B, num_hidden_layers: 2.5 },
      /field "num_hidden_layers" must be an integer/,
    ],
    [
      'heads not a multiple of kv heads',
      { ...QWEN_PRM_7B, num_key_value_heads: 5 },
      /\(28\) must be a multiple of num_key_value_heads \(5\)/,
    ],
    [
      'an unknown architecture',
      { ...QWEN_PRM_7B, architectures: ['GPT2LMHeadModel'] },
      /unsupported architecture "GPT2LMHeadModel"\. Supported: Qwen2ForProcessRewardModel, Qwen2ForPrmModel,.*LlamaForCausalLM/,
    ],
    [
      'an unknown model_type',
      { ...QWEN_PRM_7B, model_type: 'gemma' },
      /unsupported model_type "gemma" \(supported: qwen2, llama, mistral\)/,
    ],
    ['a non-SiLU activation', { ...QWEN_PRM_7B, hidden_act: 'gelu' }, /hidden_act "gelu" is not supported/],
    [
      'yarn rope scaling',
      { ...QWEN_PRM_7B, rope_scaling: { type: 'yarn', factor: 4 } },
      /rope_scaling type "yarn" is not supported/,
    ],
    [
      'llama3 scaling without factor',
      {
        ...LLAMA31_8B,
        rope_scaling: {
          rope_type: 'llama3',
          low_freq_factor: 1,
          high_freq_factor: 4,
          original_max_position_embeddings: 8192,
        },
      },
      /missing field "rope_scaling\.factor"/,
    ],
    [
      'a 3-label token classifier',
      { ...TRL_QWEN_0_5B, id2label: { 0: 'a', 1: 'b', 2: 'c' } },
      /must have 2 labels .* has 3/,
    ],
  ])('throws CheckpointError for %s', (_name, config, message) => {
    let err: unknown;
    try {
      parseDecoderConfig(config);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(message);
  });
});

describe('expectedTensorNames(cfg)', () => {
  it('lists 342 tensors for Qwen2.5-Math-PRM-7B: embed, 28 x 12 per layer, norm, 4 score weights', () => {
    const names = expectedTensorNames(parseDecoderConfig(QWEN_PRM_7B));
    expect(names).toHaveLength(1 + 28 * 12 + 1 + 4);
    expect(names.slice(0, 13)).toEqual([
      'model.embed_tokens.weight',
      'model.layers.0.input_layernorm.weight',
      'model.layers.0.self_attn.q_proj.weight',
      'model.layers.0.self_attn.q_proj.bias',
      'model.layers.0.self_attn.k_proj.weight',
      'model.layers.0.self_attn.k_proj.bias',
      'model.layers.0.self_attn.v_proj.weight',
      'model.layers.0.self_attn.v_proj.bias',
      'model.layers.0.self_attn.o_proj.weight',
      'model.layers.0.post_attention_layernorm.weight',
      'model.layers.0.mlp.gate_proj.weight',
      'model.layers.0.mlp.up_proj.weight',
      'model.layers.0.mlp.down_proj.weight',
    ]);
    expect(names.slice(-5)).toEqual([
      'model.norm.weight',
      'score.0.weight',
      'score.0.bias',
      'score.2.weight',
      'score.2.bias',
    ]);
    expect(names).not.toContain('model.layers.0.self_attn.o_proj.bias');
  });

  it.each<[string, Record<string, unknown>, string[], string[]]>([
    [
      'Skywork value head',
      SKYWORK_1_5B,
      ['v_head.summary.weight', 'v_head.summary.bias'],
      ['lm_head.weight'],
    ],
    [
      'untied Math-Shepherd LM head',
      MATH_SHEPHERD,
      ['lm_head.weight'],
      ['model.layers.0.self_attn.q_proj.bias'],
    ],
    [
      'tied token-pair (head reuses the embedding)',
      { ...MATH_SHEPHERD, tie_word_embeddings: true },
      [],
      ['lm_head.weight'],
    ],
    ['TRL token classifier', TRL_QWEN_0_5B, ['score.weight'], ['score.bias']],
  ])('%s', (_name, config, includes, excludes) => {
    const names = expectedTensorNames(parseDecoderConfig(config));
    for (const n of includes) expect(names).toContain(n);
    for (const n of excludes) expect(names).not.toContain(n);
    expect(names.at(-1 - includes.length)).toBe('model.norm.weight');
  });

  it('optionalTensorNames(cfg) offers score.bias only for token classification', () => {
    expect(optionalTensorNames(parseDecoderConfig(TRL_QWEN_0_5B))).toEqual(['score.bias']);
    expect(optionalTensorNames(parseDecoderConfig(QWEN_PRM_7B))).toEqual([]);
  });
});

describe('expectedTensorShape(cfg, name)', () => {
  const cfg = parseDecoderConfig(QWEN_PRM_7B);
  it.each<[string, number[] | undefined]>([
    ['model.embed_tokens.weight', [152064, 3584]],
    ['model.layers.27.self_attn.q_proj.weight', [3584, 3584]],
    ['model.layers.0.self_attn.k_proj.weight', [512, 3584]],
    ['model.layers.0.self_attn.v_proj.bias', [512]],
    ['model.layers.0.self_attn.o_proj.weight', [3584, 3584]],
    ['model.layers.0.mlp.down_proj.weight', [3584, 18944]],
    ['model.layers.0.mlp.gate_proj.weight', [18944, 3584]],
    ['score.0.weight', [3584, 3584]],
    ['score.2.weight', [2, 3584]],
    ['model.layers.28.input_layernorm.weight', undefined],
    ['model.rotary_emb.inv_freq', undefined],
  ])('%s -> %j', (name, shape) => {
    expect(expectedTensorShape(cfg, name)).toEqual(shape);
  });
});

/** transformers' _compute_llama3_parameters, written vector-style as in the Python. */
function llama3Oracle(theta: number, dim: number, factor: number, low: number, high: number, oldCtx: number) {
  const invFreq = Array.from({ length: dim / 2 }, (_, j) => 1.0 / theta ** ((2 * j) / dim));
  const lowFreqWavelen = oldCtx / low;
  const highFreqWavelen = oldCtx / high;
  const wavelen = invFreq.map((f) => (2 * Math.PI) / f);
  let invFreqLlama = invFreq.map((f, j) => (wavelen[j] > lowFreqWavelen ? f / factor : f));
  const smoothFactor = wavelen.map((w) => (oldCtx / w - low) / (high - low));
  const smoothed = invFreqLlama.map((f, j) => ((1 - smoothFactor[j]) * f) / factor + smoothFactor[j] * f);
  const isMedium = wavelen.map((w) => !(w < highFreqWavelen) && !(w > lowFreqWavelen));
  invFreqLlama = invFreqLlama.map((f, j) => (isMedium[j] ? smoothed[j] : f));
  return invFreqLlama;
}

describe('ropeInvFreq(cfg)', () => {
  it('plain RoPE: 1 / theta^(2i/d)', () => {
    const f = ropeInvFreq({ headDim: 8, ropeTheta: 10000, ropeScaling: null });
    expect(Array.from(f)).toEqual([1, 0.1, 0.01, 0.001].map((x, i) => expect.closeTo(x, 15 - i)));
  });

  it('llama3 on head_dim 8 hits all three branches (hand-computed values)', () => {
    const f = ropeInvFreq({
      headDim: 8,
      ropeTheta: 10000,
      ropeScaling: {
        type: 'llama3',
        factor: 8,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalMaxPositions: 64,
      },
    });
    // wavelengths 6.28 (< 16: kept), 62.8 (between 16 and 64: smoothed), 628 and 6283 (> 64: / 8).
    const s = (64 / ((2 * Math.PI) / 0.1) - 1) / 3;
    expect(f[0]).toBeCloseTo(1, 14);
    expect(f[1]).toBeCloseTo((1 - s) * 0.0125 + s * 0.1, 14);
    expect(f[1]).toBeCloseTo(0.0130423, 6);
    expect(f[2]).toBeCloseTo(0.00125, 14);
    expect(f[3]).toBeCloseTo(0.000125, 14);
  });

  it('llama3 for Llama 3.1 8B equals the transformers formula for all 64 frequencies', () => {
    const cfg = parseDecoderConfig(LLAMA31_8B);
    const got = ropeInvFreq(cfg);
    const want = llama3Oracle(500000, 128, 8, 1, 4, 8192);
    expect(got).toHaveLength(64);
    for (let i = 0; i < 64; i++) expect(got[i]).toBeCloseTo(want[i], 15);
    expect(got[0]).toBe(1);
    // The last frequency is fully scaled: 500000^(-126/128) / 8.
    expect(got[63] / (500000 ** (-126 / 128) / 8)).toBeCloseTo(1, 12);
  });
});
