/**
 * Writes a full-size synthetic Hugging Face checkpoint with a REAL model's config and random
 * BF16 weights, to benchmark `prm convert` on realistic sizes without downloading 15 GB:
 *
 *   npx tsx bench/make-synthetic-checkpoint.ts --config qwen7b --out .bench/qwen7b
 *   npx tsx bench/make-synthetic-checkpoint.ts --config skywork1.5b --out .bench/sky15 [--layers 2]
 *
 * qwen7b = https://huggingface.co/Qwen/Qwen2.5-Math-PRM-7B (15.2 GB, 4 shards); skywork1.5b =
 * https://huggingface.co/Skywork/Skywork-o1-Open-PRM-Qwen-2.5-1.5B (3.1 GB). Shards of about `--shard-gb` (default 4) GB
 * with model.safetensors.index.json; one tensor in memory at a time (the largest, the 7B
 * embedding, is 1.09 GB). Also writes a WordLevel tokenizer whose special tokens sit at the real
 * ids (<|endoftext|> 151643, <|im_start|> 151644, <|im_end|> 151645, <extra_0> 151651, "\n" 198).
 *
 * Deliberately does not: produce meaningful scores. Weights are uniform noise (std 0.02) drawn from
 * a 4 M-value random pool copied at random offsets (memcpy speed instead of 7.6 G random draws);
 * norms are 1. Good for timing, memory and file-format checks, not for accuracy.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { expectedTensorNames, expectedTensorShape, parseDecoderConfig } from '../src/convert/hf-config.ts';
import { f32ToBf16 } from '../src/convert/float16.ts';
import { safetensorsIndex, writeSafetensors, type TensorSpec } from '../src/node/safetensors-write.ts';

export const CONFIGS: Record<string, Record<string, unknown>> = {
  // The same file test/convert/hf-config.test.ts checks the config parser against.
  qwen7b: JSON.parse(
    readFileSync(
      new URL('../test/convert/fixtures/configs/qwen2.5-math-prm-7b.json', import.meta.url),
      'utf8',
    ),
  ) as Record<string, unknown>,
  'skywork1.5b': {
    architectures: ['Qwen2ForPrmModel'],
    attention_dropout: 0.0,
    bos_token_id: 151643,
    eos_token_id: 151643,
    hidden_act: 'silu',
    hidden_size: 1536,
    initializer_range: 0.02,
    intermediate_size: 8960,
    max_position_embeddings: 4096,
    max_window_layers: 21,
    model_type: 'qwen2',
    num_attention_heads: 12,
    num_hidden_layers: 28,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-6,
    rope_scaling: null,
    rope_theta: 10000.0,
    sliding_window: 4096,
    tie_word_embeddings: true,
    torch_dtype: 'bfloat16',
    use_cache: true,
    use_sliding_window: false,
    vocab_size: 151936,
  },
};

const CHATML =
  "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

const USAGE = `Usage: npx tsx bench/make-synthetic-checkpoint.ts --config qwen7b|skywork1.5b --out DIR
  [--layers N] (fewer layers for a quick run) [--shard-gb 4] [--seed 1]`;

/** The unknown-word token: every word outside the small vocabulary maps to it. */
const UNK = 'w100';

export function tokenizerFiles(config: Record<string, unknown>) {
  const vocabSize = config.vocab_size as number;
  const isQwenPrm = (config.architectures as string[])[0] === 'Qwen2ForProcessRewardModel';
  const specials: [string, number][] = [
    ['<|endoftext|>', 151643],
    ['<|im_start|>', 151644],
    ['<|im_end|>', 151645],
  ];
  if (isQwenPrm) specials.push(['<extra_0>', 151651]);
  // Ids in insertion order: transformers.js expects the vocab object ordered by id.
  const byId: string[] = new Array(vocabSize);
  const words =
    '0 1 2 3 4 5 6 7 8 9 + - = * / ( ) . , ? : $ x the is so we answer step system user assistant'.split(' ');
  words.forEach((w, i) => (byId[i] = w));
  byId[198] = '\n';
  for (const [t, id] of specials) byId[id] = t;
  for (let id = 0; id < vocabSize; id++) byId[id] ??= `w${id}`;
  const vocab: Record<string, number> = Object.fromEntries(byId.map((t, id) => [t, id]));
  const added = [['\n', 198, false] as const, ...specials.map(([t, id]) => [t, id, true] as const)];
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added.map(([content, id, special]) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: UNK },
  };
  const tokenizerConfig: Record<string, unknown> = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: '<|endoftext|>',
    eos_token: isQwenPrm ? '<|im_end|>' : '<|endoftext|>',
    pad_token: '<|endoftext|>',
    // Without it in tokenizer_config.json, transformers.js gives words outside the vocabulary no
    // id, and the app's warm-up prompt ("What is 1 + 1?") cannot be tokenized.
    unk_token: UNK,
    model_max_length: 4096,
  };
  if (isQwenPrm) tokenizerConfig.chat_template = CHATML;
  return { tokenizer, tokenizerConfig };
}

/** xorshift32: fast and good enough for picking pool offsets. */
function xorshift(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      out: { type: 'string' },
      layers: { type: 'string' },
      'shard-gb': { type: 'string', default: '4' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.config || !CONFIGS[values.config] || !values.out) {
    console.error(
      `${USAGE}\n(--config must be one of: ${Object.keys(CONFIGS).join(', ')}; --out is required)`,
    );
    process.exit(2);
  }
  const config = { ...CONFIGS[values.config] };
  if (values.layers) config.num_hidden_layers = Number(values.layers);
  const cfg = parseDecoderConfig(config);
  const shardBytes = Number(values['shard-gb']) * 1e9;
  const rand = xorshift(Number(values.seed));

  // Random pool of bf16 values, uniform with std 0.02.
  const pool = new Uint16Array(1 << 22);
  const a = 0.02 * Math.sqrt(3);
  for (let i = 0; i < pool.length; i++) pool[i] = f32ToBf16((rand() * 2 - 1) * a);
  const ONE = f32ToBf16(1);

  // The real Qwen2.5-Math-PRM-7B upload (15.25 GB) is 1.09 GB larger than its decoder + score head:
  // it most likely still carries the unused lm_head (vLLM's loader skips "lm_head." there; inferred,
  // UNVERIFIED). Keep it so the size matches and converters are exercised on an extra tensor.
  const extra = values.config === 'qwen7b' ? ['lm_head.weight'] : [];
  const specs: TensorSpec[] = [...expectedTensorNames(cfg), ...extra].map((name) => ({
    name,
    dtype: 'BF16',
    shape: expectedTensorShape(cfg, name)!,
  }));
  const bytesOf = (s: TensorSpec) => s.shape.reduce((x, y) => x * y, 1) * 2;
  const shards: TensorSpec[][] = [[]];
  let current = 0;
  for (const s of specs) {
    if (current > 0 && current + bytesOf(s) > shardBytes) {
      shards.push([]);
      current = 0;
    }
    shards[shards.length - 1].push(s);
    current += bytesOf(s);
  }

  const out = values.out;
  await mkdir(out, { recursive: true });
  const t0 = performance.now();
  const weightMap: Record<string, string> = {};
  let total = 0;
  for (let i = 0; i < shards.length; i++) {
    const file =
      shards.length === 1
        ? 'model.safetensors'
        : `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`;
    await writeSafetensors(
      join(out, file),
      {
        specs: shards[i],
        data: (spec) => {
          const n = spec.shape.reduce((x, y) => x * y, 1);
          const v = new Uint16Array(n);
          if (spec.name.endsWith('norm.weight')) v.fill(ONE);
          else {
            for (let pos = 0; pos < n;) {
              const len = Math.min(n - pos, 1 << 16);
              const from = Math.floor(rand() * (pool.length - len));
              v.set(pool.subarray(from, from + len), pos);
              pos += len;
            }
          }
          return new Uint8Array(v.buffer);
        },
      },
      { format: 'pt' },
    );
    for (const s of shards[i]) weightMap[s.name] = file;
    const size = (await stat(join(out, file))).size;
    total += shards[i].reduce((x, s) => x + bytesOf(s), 0);
    const secs = (performance.now() - t0) / 1000;
    console.error(
      `${file}: ${(size / 1e9).toFixed(2)} GB, ${shards[i].length} tensors (${secs.toFixed(1)} s elapsed)`,
    );
  }
  if (shards.length > 1)
    await writeFile(join(out, 'model.safetensors.index.json'), safetensorsIndex(weightMap, total));
  await writeFile(join(out, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const tok = tokenizerFiles(config);
  await writeFile(join(out, 'tokenizer.json'), JSON.stringify(tok.tokenizer) + '\n');
  await writeFile(join(out, 'tokenizer_config.json'), JSON.stringify(tok.tokenizerConfig, null, 2) + '\n');
  const secs = (performance.now() - t0) / 1000;
  console.error(
    `wrote ${values.config} (${cfg.numLayers} layers, ${specs.length} tensors, ${(total / 1e9).toFixed(2)} GB) to ${out} in ${secs.toFixed(1)} s`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) await main();
