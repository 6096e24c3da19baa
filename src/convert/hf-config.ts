/**
 * Reads a Hugging Face `config.json` (already parsed) into the few numbers the converter needs to
 * build a decoder graph, detects which PRM head the checkpoint carries, lists the weight names that
 * head and decoder must have, and computes RoPE inverse frequencies (plain and "llama3" scaling).
 *
 * Deliberately does not: touch the file system, read weights, or guess fields that are missing.
 * Only Qwen2 / Llama / Mistral decoders are supported (SiLU MLP, RMSNorm, RoPE, GQA). Mistral's
 * `sliding_window` is ignored: with the 4096-token contexts this project uses (and Mistral-7B's
 * 4096 window) full causal attention is identical to sliding-window attention. Rope scaling other
 * than `llama3` (linear, dynamic, yarn, longrope) is refused rather than silently mis-converted.
 */
import { CheckpointError } from './safetensors.ts';

export type DecoderArch = 'qwen2' | 'llama' | 'mistral';
export type HeadKind = 'qwen-prm' | 'token-classification' | 'value-head' | 'token-pair';

export interface RopeScalingLlama3 {
  type: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositions: number;
}

export interface DecoderConfig {
  arch: DecoderArch;
  /** `config.architectures[0]`, e.g. `Qwen2ForProcessRewardModel`. */
  architectureName: string;
  head: HeadKind;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: null | RopeScalingLlama3;
  maxPositions: number;
  tieWordEmbeddings: boolean;
  /** q/k/v projections carry a bias (always for qwen2; `config.attention_bias` for llama/mistral). */
  attentionBias: boolean;
  /**
   * o_proj carries a bias. Qwen2: never. Llama with `attention_bias: true`: yes (transformers'
   * LlamaAttention gives all four projections `bias=config.attention_bias`).
   */
  oProjBias: boolean;
  /** token-classification only: number of labels (always 2 after validation). */
  numLabels?: number;
}

export const SUPPORTED_ARCHITECTURES: Record<string, { head: HeadKind; arch?: DecoderArch }> = {
  Qwen2ForProcessRewardModel: { head: 'qwen-prm', arch: 'qwen2' },
  // Skywork-o1-Open-PRM: config.json says Qwen2ForPrmModel (custom class over a Qwen2 decoder).
  Qwen2ForPrmModel: { head: 'value-head', arch: 'qwen2' },
  Qwen2ForTokenClassification: { head: 'token-classification', arch: 'qwen2' },
  LlamaForTokenClassification: { head: 'token-classification', arch: 'llama' },
  MistralForTokenClassification: { head: 'token-classification', arch: 'mistral' },
  Qwen2ForCausalLM: { head: 'token-pair', arch: 'qwen2' },
  LlamaForCausalLM: { head: 'token-pair', arch: 'llama' },
  MistralForCausalLM: { head: 'token-pair', arch: 'mistral' },
};

const ARCHS: readonly DecoderArch[] = ['qwen2', 'llama', 'mistral'];

function fail(message: string): never {
  throw new CheckpointError(`config.json: ${message}`);
}

function num(config: Record<string, unknown>, key: string, opts: { int?: boolean; positive?: boolean } = {}) {
  const v = config[key];
  if (v === undefined || v === null) fail(`missing field "${key}"`);
  return checkNum(key, v, opts);
}

function optNum(
  config: Record<string, unknown>,
  key: string,
  fallback: number,
  opts: { int?: boolean; positive?: boolean } = {},
): number {
  const v = config[key];
  if (v === undefined || v === null) return fallback;
  return checkNum(key, v, opts);
}

function checkNum(key: string, v: unknown, opts: { int?: boolean; positive?: boolean }): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    fail(`field "${key}" must be a number, got ${JSON.stringify(v)}`);
  if (opts.int && !Number.isInteger(v)) fail(`field "${key}" must be an integer, got ${v}`);
  if (opts.positive && v <= 0) fail(`field "${key}" must be positive, got ${v}`);
  return v;
}

function optBool(config: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = config[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') fail(`field "${key}" must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** Head kind for an architecture class name, or undefined when unsupported. */
export function headForArchitecture(name: string): HeadKind | undefined {
  const known = SUPPORTED_ARCHITECTURES[name];
  if (known) return known.head;
  if (name.endsWith('ForTokenClassification')) return 'token-classification';
  return undefined;
}

// transformers v5 writes `rope_parameters` ({rope_type, rope_theta, factor, ...}) where v4 wrote
// `rope_theta` plus `rope_scaling`; both spellings are read, `rope_parameters` first.
function ropeParameters(config: Record<string, unknown>): Record<string, unknown> | null {
  const rp = config.rope_parameters;
  if (rp === undefined || rp === null) return null;
  if (typeof rp !== 'object' || Array.isArray(rp)) fail('field "rope_parameters" must be an object');
  return rp as Record<string, unknown>;
}

function parseRopeTheta(config: Record<string, unknown>): number {
  const rp = ropeParameters(config);
  if (rp && rp.rope_theta !== undefined && rp.rope_theta !== null) {
    return checkNum('rope_parameters.rope_theta', rp.rope_theta, { positive: true });
  }
  return optNum(config, 'rope_theta', 10000, { positive: true });
}

function parseRopeScaling(config: Record<string, unknown>): RopeScalingLlama3 | null {
  const raw = ropeParameters(config) ?? config.rope_scaling ?? null;
  if (raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) fail(`field "rope_scaling" must be an object or null`);
  const rs = raw as Record<string, unknown>;
  const type = rs.rope_type ?? rs.type;
  if (type === 'default' || type === undefined) return null;
  if (type !== 'llama3') {
    fail(
      `rope_scaling type ${JSON.stringify(type)} is not supported (supported: "llama3", or none). ` +
        'Converting it as plain RoPE would give wrong scores.',
    );
  }
  const sub = (k: string, int = false) => {
    const v = rs[k];
    if (v === undefined || v === null) fail(`missing field "rope_scaling.${k}"`);
    return checkNum(`rope_scaling.${k}`, v, { int, positive: true });
  };
  const out: RopeScalingLlama3 = {
    type: 'llama3',
    factor: sub('factor'),
    lowFreqFactor: sub('low_freq_factor'),
    highFreqFactor: sub('high_freq_factor'),
    originalMaxPositions: sub('original_max_position_embeddings', true),
  };
  if (out.highFreqFactor <= out.lowFreqFactor) {
    fail('rope_scaling.high_freq_factor must be larger than rope_scaling.low_freq_factor');
  }
  return out;
}

/**
 * Parses and validates a decoder config. `options.head` overrides head detection (for a checkpoint
 * whose `architectures` entry does not say what head it carries).
 *
 * @example
 * const cfg = parseDecoderConfig(JSON.parse(readFileSync('Qwen2.5-Math-PRM-7B/config.json', 'utf8')));
 * // cfg.head === 'qwen-prm', cfg.numKvHeads === 4, cfg.headDim === 128
 */
export function parseDecoderConfig(
  config: Record<string, unknown>,
  options: { head?: HeadKind } = {},
): DecoderConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new CheckpointError('config.json: expected a JSON object');
  }
  const archs = config.architectures;
  if (!Array.isArray(archs) || archs.length === 0 || typeof archs[0] !== 'string') {
    fail('missing field "architectures" (expected e.g. ["Qwen2ForProcessRewardModel"])');
  }
  const architectureName = archs[0] as string;
  const head = options.head ?? headForArchitecture(architectureName);
  if (!head) {
    fail(
      `unsupported architecture "${architectureName}". Supported: ${Object.keys(SUPPORTED_ARCHITECTURES).join(', ')} ` +
        '(and any *ForTokenClassification with 2 labels).',
    );
  }

  const modelType = config.model_type;
  if (modelType === undefined || modelType === null) fail('missing field "model_type"');
  if (typeof modelType !== 'string' || !(ARCHS as readonly string[]).includes(modelType)) {
    fail(`unsupported model_type ${JSON.stringify(modelType)} (supported: ${ARCHS.join(', ')})`);
  }
  const arch = modelType as DecoderArch;

  const act = config.hidden_act ?? 'silu';
  if (act !== 'silu') fail(`hidden_act ${JSON.stringify(act)} is not supported (only "silu")`);
  if (config.mlp_bias === true) fail('mlp_bias: true is not supported');

  const hiddenSize = num(config, 'hidden_size', { int: true, positive: true });
  const numLayers = num(config, 'num_hidden_layers', { int: true, positive: true });
  const numHeads = num(config, 'num_attention_heads', { int: true, positive: true });
  const numKvHeads = optNum(config, 'num_key_value_heads', numHeads, { int: true, positive: true });
  if (numHeads % numKvHeads !== 0) {
    fail(`num_attention_heads (${numHeads}) must be a multiple of num_key_value_heads (${numKvHeads})`);
  }
  const defaultHeadDim = hiddenSize / numHeads;
  const headDim = optNum(config, 'head_dim', defaultHeadDim, { int: true, positive: true });
  if (!Number.isInteger(headDim)) {
    fail(`hidden_size (${hiddenSize}) is not divisible by num_attention_heads (${numHeads}); set "head_dim"`);
  }
  if (headDim % 2 !== 0) fail(`head_dim must be even for RoPE, got ${headDim}`);

  const explicitBias = config.attention_bias;
  if (explicitBias !== undefined && explicitBias !== null && typeof explicitBias !== 'boolean') {
    fail(`field "attention_bias" must be true or false, got ${JSON.stringify(explicitBias)}`);
  }
  // Qwen2Attention hard-codes q/k/v bias=True, o_proj bias=False and has no attention_bias field.
  const attentionBias = arch === 'qwen2' ? true : explicitBias === true;
  const oProjBias = arch === 'llama' ? explicitBias === true : false;

  const cfg: DecoderConfig = {
    arch,
    architectureName,
    head,
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: num(config, 'intermediate_size', { int: true, positive: true }),
    vocabSize: num(config, 'vocab_size', { int: true, positive: true }),
    rmsNormEps: num(config, 'rms_norm_eps', { positive: true }),
    ropeTheta: parseRopeTheta(config),
    ropeScaling: parseRopeScaling(config),
    maxPositions: num(config, 'max_position_embeddings', { int: true, positive: true }),
    // Qwen2Config, LlamaConfig and MistralConfig all default tie_word_embeddings to false.
    tieWordEmbeddings: optBool(config, 'tie_word_embeddings', false),
    attentionBias,
    oProjBias,
  };
  if (head === 'token-classification') {
    cfg.numLabels = countLabels(config);
    if (cfg.numLabels !== 2) {
      fail(`a token-classification PRM must have 2 labels (wrong, correct); this one has ${cfg.numLabels}`);
    }
  }
  return cfg;
}

// config.json stores id2label, not num_labels (that is a derived property in transformers);
// PretrainedConfig's default is 2 labels.
function countLabels(config: Record<string, unknown>): number {
  if (config.num_labels !== undefined && config.num_labels !== null) {
    return checkNum('num_labels', config.num_labels, { int: true, positive: true });
  }
  const id2label = config.id2label;
  if (id2label && typeof id2label === 'object') return Object.keys(id2label).length;
  return 2;
}

/** Decoder weight names (embedding, every layer, final norm), in checkpoint order. */
export function decoderTensorNames(cfg: DecoderConfig): string[] {
  const names = ['model.embed_tokens.weight'];
  for (let i = 0; i < cfg.numLayers; i++) {
    const p = `model.layers.${i}`;
    names.push(`${p}.input_layernorm.weight`);
    for (const x of ['q', 'k', 'v', 'o'] as const) {
      names.push(`${p}.self_attn.${x}_proj.weight`);
      if ((x !== 'o' && cfg.attentionBias) || (x === 'o' && cfg.oProjBias))
        names.push(`${p}.self_attn.${x}_proj.bias`);
    }
    names.push(`${p}.post_attention_layernorm.weight`);
    for (const x of ['gate', 'up', 'down'] as const) names.push(`${p}.mlp.${x}_proj.weight`);
  }
  names.push('model.norm.weight');
  return names;
}

/** Head weight names that must be present (empty for a tied token-pair head: it reuses the embedding). */
export function headTensorNames(cfg: DecoderConfig): string[] {
  switch (cfg.head) {
    case 'qwen-prm':
      return ['score.0.weight', 'score.0.bias', 'score.2.weight', 'score.2.bias'];
    case 'token-classification':
      return ['score.weight'];
    case 'value-head':
      return ['v_head.summary.weight', 'v_head.summary.bias'];
    case 'token-pair':
      return cfg.tieWordEmbeddings ? [] : ['lm_head.weight'];
  }
}

/** Weights a head may carry but need not: `score.bias` of a token-classification head. */
export function optionalTensorNames(cfg: DecoderConfig): string[] {
  return cfg.head === 'token-classification' ? ['score.bias'] : [];
}

/**
 * Every weight the decoder plus head must have, decoder first. Shapes: see `expectedTensorShape`.
 *
 * @example
 * expectedTensorNames(cfg).slice(-4) // qwen-prm: ['score.0.weight','score.0.bias','score.2.weight','score.2.bias']
 */
export function expectedTensorNames(cfg: DecoderConfig): string[] {
  return [...decoderTensorNames(cfg), ...headTensorNames(cfg)];
}

/**
 * The shape a weight must have under `cfg` (row-major, PyTorch Linear layout [out, in]), or
 * undefined for a name this config does not know.
 *
 * @example
 * expectedTensorShape(cfg7b, 'model.layers.0.self_attn.k_proj.weight') // [512, 3584]
 */
export function expectedTensorShape(cfg: DecoderConfig, name: string): number[] | undefined {
  const H = cfg.hiddenSize;
  const q = cfg.numHeads * cfg.headDim;
  const kv = cfg.numKvHeads * cfg.headDim;
  const fixed: Record<string, number[]> = {
    'model.embed_tokens.weight': [cfg.vocabSize, H],
    'model.norm.weight': [H],
    'lm_head.weight': [cfg.vocabSize, H],
    'score.0.weight': [H, H],
    'score.0.bias': [H],
    'score.2.weight': [2, H],
    'score.2.bias': [2],
    'score.weight': [cfg.numLabels ?? 2, H],
    'score.bias': [cfg.numLabels ?? 2],
    'v_head.summary.weight': [1, H],
    'v_head.summary.bias': [1],
  };
  if (fixed[name]) return fixed[name];
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(name);
  if (!m || Number(m[1]) >= cfg.numLayers) return undefined;
  const layer: Record<string, number[]> = {
    'input_layernorm.weight': [H],
    'post_attention_layernorm.weight': [H],
    'self_attn.q_proj.weight': [q, H],
    'self_attn.k_proj.weight': [kv, H],
    'self_attn.v_proj.weight': [kv, H],
    'self_attn.o_proj.weight': [H, q],
    'self_attn.q_proj.bias': [q],
    'self_attn.k_proj.bias': [kv],
    'self_attn.v_proj.bias': [kv],
    'self_attn.o_proj.bias': [H],
    'mlp.gate_proj.weight': [cfg.intermediateSize, H],
    'mlp.up_proj.weight': [cfg.intermediateSize, H],
    'mlp.down_proj.weight': [H, cfg.intermediateSize],
  };
  return layer[m[2]];
}

/**
 * RoPE inverse frequencies, `headDim / 2` of them: `1 / theta^(2i/headDim)`, then the "llama3"
 * rescaling of transformers' `_compute_llama3_parameters` when configured. Computed in float64;
 * transformers computes the same formula in float32 (relative difference below 1e-7).
 *
 * @example
 * ropeInvFreq({ ...cfg, headDim: 4, ropeTheta: 10000, ropeScaling: null }) // Float64Array [1, 0.01]
 */
export function ropeInvFreq(cfg: Pick<DecoderConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>): Float64Array {
  const half = cfg.headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(cfg.ropeTheta, (2 * i) / cfg.headDim);
  const rs = cfg.ropeScaling;
  if (!rs) return inv;
  const lowFreqWavelen = rs.originalMaxPositions / rs.lowFreqFactor;
  const highFreqWavelen = rs.originalMaxPositions / rs.highFreqFactor;
  for (let i = 0; i < half; i++) {
    const wavelen = (2 * Math.PI) / inv[i];
    if (wavelen < highFreqWavelen) continue; // high frequency: unchanged
    if (wavelen > lowFreqWavelen) {
      inv[i] = inv[i] / rs.factor; // low frequency: fully scaled
    } else {
      const smooth =
        (rs.originalMaxPositions / wavelen - rs.lowFreqFactor) / (rs.highFreqFactor - rs.lowFreqFactor);
      inv[i] = ((1 - smooth) * inv[i]) / rs.factor + smooth * inv[i];
    }
  }
  return inv;
}
