/**
 * Test helper: writes a tiny random Hugging Face PRM checkpoint folder that looks like the real
 * thing to the converter and to transformers.js: config.json with the family's architectures and
 * model_type, safetensors weights (optionally sharded with an index), and a WordLevel
 * tokenizer.json / tokenizer_config.json with the family's step token as an added token (and a
 * ChatML chat_template for qwen-prm, a Llama 3.1-style one with `chat: 'llama3'`, as RLHFlow's
 * user-turns PRMs ship). Deterministic from `seed`.
 *
 * Deliberately does not: produce meaningful scores (weights are N(0, 0.2) noise, norms near 1), or
 * mimic real vocabularies (token ids are small and arbitrary; read them from `tokenIds`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeFloats, encodeFloats } from '../../src/convert/float16.ts';
import { safetensorsIndex, writeSafetensors, type TensorToWrite } from '../../src/node/safetensors-write.ts';
import { writeTorchSave } from '../support/torch-save.ts';
import {
  expectedTensorNames,
  expectedTensorShape,
  optionalTensorNames,
  parseDecoderConfig,
  type DecoderArch,
  type DecoderConfig,
  type HeadKind,
} from '../../src/convert/hf-config.ts';

export interface TinyCheckpointOptions {
  dir: string;
  arch: DecoderArch;
  head: HeadKind;
  dtype?: 'F32' | 'F16' | 'BF16';
  seed?: number;
  shards?: number;
  hidden?: number;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  intermediate?: number;
  vocab?: number;
  ropeScaling?: boolean;
  tie?: boolean;
  /** Standard deviation of the random weights (default 0.2). */
  std?: number;
  /** Weight files: safetensors (default) or torch.save `pytorch_model.bin` (sharded with an index). */
  format?: 'safetensors' | 'bin';
  /** Add Llama 3's chat tokens and `LLAMA31_TEMPLATE` (RLHFlow's Llama3.1-8B-PRM shape). */
  chat?: 'llama3';
}

export interface TinyCheckpoint {
  dir: string;
  config: Record<string, unknown>;
  cfg: DecoderConfig;
  /** Every weight as the files store it (already rounded to `dtype`), by name. */
  weights: Record<string, Float32Array>;
  /** The string after each step at which scores are read (e.g. `<extra_0>`, ` ки`, `\n`). */
  stepToken: string;
  stepTokenId: number;
  /** Token ids of the tiny vocabulary, by token string. */
  tokenIds: Record<string, number>;
  /** token-pair only: rows of the LM head that give [bad, good]. */
  tokenPair?: { goodTokenId: number; badTokenId: number };
}

/**
 * RLHFlow/Llama3.1-8B-PRM's shape, tiny: a Llama causal LM (token-pair head) with llama3 RoPE
 * scaling and Llama 3's chat tokens and template, converted with `--family user-turns`.
 */
export const TINY_RLHFLOW: Omit<TinyCheckpointOptions, 'dir'> = {
  arch: 'llama',
  head: 'token-pair',
  chat: 'llama3',
  ropeScaling: true,
  dtype: 'BF16',
  hidden: 64,
  heads: 4,
  vocab: 96,
};

/**
 * A qwen-prm checkpoint in bfloat16 with matrices large enough (hidden 256) to go to worker
 * threads and several data chunks: the conversions that resume or run on a pool compare bytes on it.
 */
export const TINY_QWEN_POOLED: Omit<TinyCheckpointOptions, 'dir'> = {
  arch: 'qwen2',
  head: 'qwen-prm',
  dtype: 'BF16',
  hidden: 256,
  heads: 4,
  layers: 3,
};

/** Seeded PRNG (mulberry32) with a Box-Muller normal: deterministic weights for a given seed. */
export function makeRng(seed: number): { uniform(): number; normal(): number } {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    normal: () => {
      const u = 1 - uniform();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
    },
  };
}

const ARCH_PREFIX: Record<DecoderArch, string> = { qwen2: 'Qwen2', llama: 'Llama', mistral: 'Mistral' };

function architectureFor(arch: DecoderArch, head: HeadKind): string {
  switch (head) {
    case 'qwen-prm':
    case 'value-head':
      if (arch !== 'qwen2') throw new Error(`makeTinyCheckpoint: head ${head} exists only for arch qwen2`);
      return head === 'qwen-prm' ? 'Qwen2ForProcessRewardModel' : 'Qwen2ForPrmModel';
    case 'token-classification':
      return `${ARCH_PREFIX[arch]}ForTokenClassification`;
    case 'token-pair':
      return `${ARCH_PREFIX[arch]}ForCausalLM`;
  }
}

const STEP_TOKEN: Record<HeadKind, string> = {
  'qwen-prm': '<extra_0>',
  'value-head': '\n',
  'token-classification': '\n',
  'token-pair': 'ки',
};

// Qwen2.5's ChatML template, reduced to what a PRM prompt uses (no tools).
export const CHATML_TEMPLATE =
  "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

/**
 * Llama 3.1 Instruct's chat template reduced to what a PRM conversation uses (no tools): bos, the
 * default system header with its fixed dates and an optional system message, then each message's
 * header and trimmed content followed by <|eot_id|>.
 */
export const LLAMA31_TEMPLATE =
  "{{- bos_token }}{%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content'] | trim %}" +
  "{%- set messages = messages[1:] %}{%- else %}{%- set system_message = '' %}{%- endif %}" +
  "{{- '<|start_header_id|>system<|end_header_id|>\\n\\nCutting Knowledge Date: December 2023\\nToday Date: 26 Jul 2024\\n\\n' + system_message + '<|eot_id|>' }}" +
  "{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";

/** Llama 3's special tokens that LLAMA31_TEMPLATE writes. */
const LLAMA3_CHAT_TOKENS = [
  '<|begin_of_text|>',
  '<|end_of_text|>',
  '<|start_header_id|>',
  '<|end_header_id|>',
  '<|eot_id|>',
];

const WORDS = (
  '0 1 2 3 4 5 6 7 8 9 + - = * / ( ) . , ? : $ x y the is so we have answer step ' +
  'Sue flamingos total each add sum first then find boxed system user assistant Please reason by and put your final within'
).split(' ');

function tokenizerFiles(arch: DecoderArch, head: HeadKind, vocab: number, chat?: 'llama3') {
  const qwen = arch === 'qwen2';
  const specials = qwen ? ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] : ['<unk>', '<s>', '</s>'];
  if (chat === 'llama3') specials.push(...LLAMA3_CHAT_TOKENS);
  const step = STEP_TOKEN[head];
  // `\n` is an added (non-special) token so ChatML newlines and Skywork/TRL separators survive the
  // whitespace pre-tokenizer; the step token is an added special token when it is not `\n`.
  const added: { content: string; special: boolean }[] = [
    ...specials.map((content) => ({ content, special: true })),
    { content: '\n', special: false },
  ];
  if (step !== '\n') added.push({ content: step, special: true });
  const unk = qwen ? '[UNK]' : '<unk>';
  const tokens = [...new Set([...(qwen ? [unk] : []), ...added.map((a) => a.content), ...WORDS])];
  if (tokens.length > vocab) throw new Error(`makeTinyCheckpoint: vocab must be at least ${tokens.length}`);
  for (let i = 0; tokens.length < vocab; i++) tokens.push(`w${i}`);
  const tokenIds: Record<string, number> = Object.fromEntries(tokens.map((t, i) => [t, i]));
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added.map((a) => ({
      id: tokenIds[a.content],
      content: a.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: a.special,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab: tokenIds, unk_token: unk },
  };
  const bos = chat === 'llama3' ? '<|begin_of_text|>' : qwen ? '<|endoftext|>' : '<s>';
  const eos = chat === 'llama3' ? '<|eot_id|>' : qwen ? '<|im_end|>' : '</s>';
  const tokenizerConfig: Record<string, unknown> = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: bos,
    eos_token: eos,
    pad_token: qwen ? '<|endoftext|>' : '</s>',
    unk_token: unk,
    model_max_length: 4096,
    clean_up_tokenization_spaces: false,
  };
  if (head === 'qwen-prm') tokenizerConfig.chat_template = CHATML_TEMPLATE;
  if (chat === 'llama3') tokenizerConfig.chat_template = LLAMA31_TEMPLATE;
  return { tokenizer, tokenizerConfig, tokenIds, bos, eos };
}

function roundTo(dtype: 'F32' | 'F16' | 'BF16', data: Float32Array): Float32Array {
  if (dtype === 'F32') return data;
  const out = new Float32Array(data.length);
  decodeFloats(dtype, encodeFloats(dtype, data), out);
  return out;
}

/**
 * Writes a tiny random checkpoint folder and returns its config and weights.
 *
 * @example
 * const t = await makeTinyCheckpoint({ dir: tmp, arch: 'qwen2', head: 'qwen-prm', dtype: 'BF16', shards: 2 });
 * const ckpt = await Checkpoint.open(t.dir); // 2 shards + model.safetensors.index.json
 */
export async function makeTinyCheckpoint(opts: TinyCheckpointOptions): Promise<TinyCheckpoint> {
  const { dir, arch, head } = opts;
  const dtype = opts.dtype ?? 'F32';
  const hidden = opts.hidden ?? 32;
  const heads = opts.heads ?? 4;
  const vocab = opts.vocab ?? 64;
  const tie = opts.tie ?? head === 'value-head';
  const std = opts.std ?? 0.2;
  const tok = tokenizerFiles(arch, head, vocab, opts.chat);

  const config: Record<string, unknown> = {
    architectures: [architectureFor(arch, head)],
    model_type: arch,
    hidden_size: hidden,
    intermediate_size: opts.intermediate ?? 2 * hidden,
    num_hidden_layers: opts.layers ?? 2,
    num_attention_heads: heads,
    num_key_value_heads: opts.kvHeads ?? (heads % 2 === 0 ? heads / 2 : heads),
    max_position_embeddings: 4096,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    rope_scaling: opts.ropeScaling
      ? // Chosen so head_dim 8 (wavelengths 6.3, 63, 628, 6283) hits all three llama3 branches.
        {
          rope_type: 'llama3',
          factor: 8,
          low_freq_factor: 1,
          high_freq_factor: 4,
          original_max_position_embeddings: 64,
        }
      : null,
    vocab_size: vocab,
    tie_word_embeddings: tie,
    hidden_act: 'silu',
    bos_token_id: tok.tokenIds[tok.bos],
    eos_token_id: tok.tokenIds[tok.eos],
    torch_dtype: { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[dtype],
  };
  if (head === 'token-classification') config.id2label = { 0: 'LABEL_0', 1: 'LABEL_1' };
  if (arch === 'mistral') config.sliding_window = 4096;
  const cfg = parseDecoderConfig(config);

  const rng = makeRng(opts.seed ?? 1);
  const names = [...expectedTensorNames(cfg), ...optionalTensorNames(cfg)];
  // Skywork's and (by its file size) Qwen2.5-Math-PRM's checkpoints also carry an unused lm_head;
  // a converter must ignore it. Appended last so the other weights do not change.
  if ((head === 'value-head' || head === 'qwen-prm') && !names.includes('lm_head.weight')) {
    names.push('lm_head.weight');
  }
  const tensors: TensorToWrite[] = [];
  for (const name of names) {
    const shape = expectedTensorShape(cfg, name)!;
    let data: Float32Array;
    if (name === 'lm_head.weight' && cfg.tieWordEmbeddings) {
      data = tensors[0].data; // tied: the same values as model.embed_tokens.weight
    } else {
      data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      const isNorm = name.endsWith('norm.weight');
      for (let i = 0; i < data.length; i++) data[i] = isNorm ? 1 + 0.1 * rng.normal() : std * rng.normal();
      data = roundTo(dtype, data);
    }
    tensors.push({ name, dtype, shape, data });
  }
  const weights = Object.fromEntries(tensors.map((t) => [t.name, t.data]));

  await mkdir(dir, { recursive: true });
  const shards = Math.max(1, Math.min(opts.shards ?? 1, tensors.length));
  const bin = opts.format === 'bin';
  if (shards === 1) {
    if (bin) await writeTorchSave(join(dir, 'pytorch_model.bin'), tensors);
    else await writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  } else {
    const per = Math.ceil(tensors.length / shards);
    const weightMap: Record<string, string> = {};
    let total = 0;
    for (let s = 0; s < shards; s++) {
      const part = tensors.slice(s * per, (s + 1) * per);
      const file = `${bin ? 'pytorch_model' : 'model'}-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.${bin ? 'bin' : 'safetensors'}`;
      if (bin) await writeTorchSave(join(dir, file), part);
      else await writeSafetensors(join(dir, file), part, { format: 'pt' });
      for (const t of part) {
        weightMap[t.name] = file;
        total += t.data.length * (dtype === 'F32' ? 4 : 2);
      }
    }
    const index = bin ? 'pytorch_model.bin.index.json' : 'model.safetensors.index.json';
    await writeFile(join(dir, index), safetensorsIndex(weightMap, total));
  }
  await writeFile(join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tok.tokenizer, null, 2) + '\n');
  await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(tok.tokenizerConfig, null, 2) + '\n');

  const stepToken = head === 'token-pair' ? ' ки' : STEP_TOKEN[head];
  return {
    dir,
    config,
    cfg,
    weights,
    stepToken,
    stepTokenId: tok.tokenIds[STEP_TOKEN[head]],
    tokenIds: tok.tokenIds,
    tokenPair:
      head === 'token-pair' ? { goodTokenId: tok.tokenIds['+'], badTokenId: tok.tokenIds['-'] } : undefined,
  };
}
