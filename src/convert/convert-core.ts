/**
 * The conversion itself, shared by `prm convert` (./convert.ts, Node) and the page's conversion
 * worker (src/engine/convert-worker.ts, OPFS): check everything about a checkpoint (config, every
 * tensor's presence, shape and dtype, tokenizer files, chat template, token-pair ids), then - and
 * only then - ask the target for its output folder and write the model folder into it through a
 * `FileIo`: `onnx/model*.onnx` (+ external data), config.json, tokenizer.json,
 * tokenizer_config.json and prm.json, last. The same code and options give the same bytes
 * wherever it runs.
 *
 * Deliberately does not: choose, replace or clean up the output folder (the caller's `prepare`
 * does), or run the converted model.
 */
import { defaultSpecFor, DTYPES, modelFileFor, parseModelSpec } from '../core/spec.ts';
import type { Dtype, ModelFamily, ModelSpec } from '../core/types.ts';
import {
  expectedTensorNames,
  expectedTensorShape,
  optionalTensorNames,
  parseDecoderConfig,
  type DecoderConfig,
} from './hf-config.ts';
import { buildOnnxModels, type BuiltModel } from './graph/model.ts';
import type { BuildProgress } from './graph/builder.ts';
import { checkBlockSize } from './quantize.ts';
import { Checkpoint, CheckpointError, readJsonObject } from './safetensors.ts';
import type { CheckpointFiles } from './byte-source.ts';
import { joinPath, writeWholeFile, type FileIo } from './file-io.ts';
import type { JobPool, ResumeOptions } from './graph/builder.ts';

export interface ConversionOptions {
  /** ONNX variants to write (default q4 and q4f16). */
  dtypes?: Dtype[];
  /** prm.json `name` (default: the checkpoint folder's or repo's name). */
  name?: string;
  /**
   * prm.json `family` when the head alone does not say it (default: the head's own family):
   * `user-turns` for RLHFlow's causal LMs, which carry the token-pair head.
   */
  family?: ModelFamily;
  /** 4-bit block size (default 32). */
  blockSize?: number;
  /** q4 variants: store the embedding 4-bit with GatherBlockQuantized. */
  quantizeEmbedding?: boolean;
  /** token-pair: the good/bad tokens as exact vocabulary strings, or their ids. */
  goodToken?: string;
  badToken?: string;
  goodId?: number;
  badId?: number;
  /** prm.json overrides of the family defaults. */
  stepToken?: string;
  stepSeparator?: string;
  /** prm.json `strip_step_labels` (default: not set, i.e. false). */
  stripStepLabels?: boolean;
  /** prm.json `reverse_numbers` (default: not set, i.e. false). */
  reverseNumbers?: boolean;
  /** Rotary cache length and prm.json `context_length` (default min(max_position_embeddings, 32768)). */
  contextLength?: number;
  /** Weights up to this many bytes stay inside the .onnx (default 1.9e9). */
  inlineLimit?: number;
  /** Largest external data file (default 2e9 bytes). */
  chunkBytes?: number;
  /**
   * Worker threads that decode, quantize and write the weights while the next tensor is read
   * (default 0: everything on the calling thread; they need the target's `makePool`).
   */
  threads?: number;
  /** Weights below this many values stay on the calling thread (default 2^20); tests lower it. */
  workerMinValues?: number;
  /** Progress and notices, one line each. */
  log?: (line: string) => void;
  /**
   * Per-tensor progress: `total` tensors, and `bytesToRead`, the checkpoint bytes the conversion
   * reads (its weights files may hold more: an unused `lm_head`, say).
   */
  onProgress?: (p: BuildProgress & { total: number; bytesToRead: number }) => void;
  signal?: AbortSignal;
  /**
   * Carry on an interrupted conversion of the same checkpoint with the same options into the same
   * files (the target's FileIo must keep their bytes).
   */
  resume?: ResumeOptions;
}

/** What a conversion will write, known once every check has passed. */
export interface WritePlan {
  /** Every file it may write, relative to the output folder (it writes a subset of these). */
  files: string[];
  /** About how many bytes the folder will take (the weights as stored, plus the small files). */
  estimatedBytes: number;
}

/** Where a conversion writes. */
export interface ConvertTarget {
  io: FileIo;
  /**
   * Called once, after every check and before anything is written: makes the output folder, with
   * an `onnx` folder in it, and returns its path for `io`. Throwing here stops the conversion with
   * nothing written (a quota check, say).
   */
  prepare(plan: WritePlan): Promise<string>;
  /** Workers for `threads` > 0 (./weight-pool.ts; Node: ./weight-threads.ts). */
  makePool?: (threads: number) => JobPool;
}

export interface ConvertedModel {
  /** The folder `prepare` returned. */
  dir: string;
  spec: ModelSpec;
  models: BuiltModel[];
  tokenPair?: { goodTokenId: number; badTokenId: number };
}

/** The mark prm.json's description carries (./out-folder.ts recognises our folders by it). */
export const CONVERTED_MARK = 'converted by prm convert';

/** Math-Shepherd's pair (model card: `tokenizer.encode("+ -")[1:]` = [648, 387]). */
export const DEFAULT_GOOD_TOKEN = '+';
export const DEFAULT_BAD_TOKEN = '-';
const MAX_DEFAULT_CONTEXT = 32768;
/**
 * The longest --context-length: 128K, the longest context of the supported decoders' released
 * checkpoints (Qwen2.5 / Llama 3.1 with rope scaling). Every ONNX file stores rotary caches of
 * context x head_dim floats, so the bound also keeps those (and the conversion's memory) finite.
 */
export const MAX_CONTEXT_LENGTH = 131072;
const GIB = 1024 ** 3;

interface TokenizerJson {
  added_tokens?: { id: number; content: string }[];
  model?: { vocab?: Record<string, number> | [string, number][] };
}

/** Exact token string -> id from tokenizer.json (added tokens, then the model vocabulary). */
export function tokenIdOf(tokenizer: TokenizerJson, token: string): number | undefined {
  const added = tokenizer.added_tokens?.find((t) => t.content === token);
  if (added) return added.id;
  const vocab = tokenizer.model?.vocab;
  if (Array.isArray(vocab)) {
    // Unigram models list [piece, score] pairs; the id is the index.
    const i = vocab.findIndex(([piece]) => piece === token);
    return i >= 0 ? i : undefined;
  }
  return vocab && Object.hasOwn(vocab, token) ? vocab[token] : undefined;
}

/**
 * The token-pair ids: explicit ids win; else the token strings (default `+`/`-`) are looked up
 * exactly, and when the vocabulary is SentencePiece-style (has `▁+`) the space-prefixed piece is
 * preferred, which is what `tokenizer.encode("+ -")` yields in Math-Shepherd's model card.
 *
 * @example
 * resolveTokenPair(tok, { goodToken: '+', badToken: '-' }) // { goodTokenId: 648, badTokenId: 387 } for Math-Shepherd
 */
export function resolveTokenPair(
  tokenizer: TokenizerJson,
  o: Pick<ConversionOptions, 'goodToken' | 'badToken' | 'goodId' | 'badId'>,
  vocabSize: number,
): { goodTokenId: number; badTokenId: number; note: string } {
  const one = (
    label: 'good' | 'bad',
    id: number | undefined,
    token: string | undefined,
    fallback: string,
  ) => {
    if (id !== undefined) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new Error(`--${label}-id ${id} is outside the vocabulary [0, ${vocabSize})`);
      }
      return { id, how: `id ${id}` };
    }
    const explicit = token !== undefined;
    const t = token ?? fallback;
    const candidates = explicit ? [t] : [`▁${t}`, t];
    for (const c of candidates) {
      const found = tokenIdOf(tokenizer, c);
      if (found !== undefined) return { id: found, how: `${JSON.stringify(c)} -> ${found}` };
    }
    throw new CheckpointError(
      `the ${label} token ${JSON.stringify(t)} is not a single token in tokenizer.json. Pass the exact ` +
        `vocabulary string (SentencePiece vocabularies write a leading space as "▁") with --${label}-token, ` +
        `or the id with --${label}-id.`,
    );
  };
  const good = one('good', o.goodId, o.goodToken, DEFAULT_GOOD_TOKEN);
  const bad = one('bad', o.badId, o.badToken, DEFAULT_BAD_TOKEN);
  if (good.id === bad.id)
    throw new Error(`the good and bad tokens are the same id ${good.id}; they must differ`);
  return { goodTokenId: good.id, badTokenId: bad.id, note: `token pair: good ${good.how}, bad ${bad.how}` };
}

async function readJson(
  files: CheckpointFiles,
  file: string,
  what: string,
): Promise<Record<string, unknown>> {
  return (await readJsonText(files, file, what)).value;
}

/** A JSON object file, parsed, and its text; `what` says what to do when it is missing. */
async function readJsonText(
  files: CheckpointFiles,
  file: string,
  what: string,
): Promise<{ value: Record<string, unknown>; text: string }> {
  const read = await readJsonObject(files, file);
  if (read === null) throw new CheckpointError(`${files.path(file)}: missing. ${what}`);
  return read;
}

/** The decoder and head weights a conversion needs: every expected one, and the optional ones present. */
function tensorsNeeded(ckpt: Checkpoint, cfg: DecoderConfig): string[] {
  return [...expectedTensorNames(cfg), ...optionalTensorNames(cfg).filter((n) => ckpt.has(n))];
}

/** The checkpoint tensors a conversion reads: a tied token-pair head reads the embedding twice. */
function tensorsRead(ckpt: Checkpoint, cfg: DecoderConfig): string[] {
  const names = tensorsNeeded(ckpt, cfg);
  if (cfg.head === 'token-pair' && cfg.tieWordEmbeddings) names.push('model.embed_tokens.weight');
  return names;
}

/** Every problem with the checkpoint's tensors, before any conversion work. */
function checkTensors(ckpt: Checkpoint, cfg: DecoderConfig): void {
  const names = expectedTensorNames(cfg);
  const missing = names.filter((n) => !ckpt.has(n));
  if (missing.length > 0) {
    const shown = missing
      .slice(0, 8)
      .map((n) => `"${n}"`)
      .join(', ');
    throw new CheckpointError(
      `the checkpoint lacks ${missing.length} tensor(s) a ${cfg.architectureName} needs: ${shown}` +
        `${missing.length > 8 ? ', ...' : ''}. Is a shard missing, or is config.json from another model?`,
    );
  }
  for (const n of tensorsRead(ckpt, cfg)) {
    const info = ckpt.info(n);
    const want = expectedTensorShape(cfg, n)!;
    if (info.shape.length !== want.length || info.shape.some((d, i) => d !== want[i])) {
      throw new CheckpointError(
        `tensor "${n}" has shape ${JSON.stringify(info.shape)} but config.json implies ${JSON.stringify(want)}. ` +
          'Does config.json belong to these weights?',
      );
    }
    if (!['F32', 'F16', 'BF16', 'F64'].includes(info.dtype)) {
      throw new CheckpointError(
        `tensor "${n}" is stored as ${info.dtype}; only F32, F16, BF16 and F64 weights can be converted ` +
          '(quantized checkpoints - GPTQ, AWQ, bitsandbytes - are not supported: use the original weights).',
      );
    }
  }
}

// The families whose prompt is a conversation rendered by the tokenizer's chat template.
const CHAT_FAMILIES: Partial<Record<ModelFamily, string>> = {
  'qwen-prm':
    'A qwen-prm model scores a ChatML conversation (Qwen2.5-Math-PRM ships the template in tokenizer_config.json)',
  'user-turns':
    "A user-turns model scores each step as a user turn of a chat (RLHFlow's math-rm/prm_evaluate.py renders it with apply_chat_template)",
};

/** tokenizer_config.json with a chat template: from the file itself, or merged from chat_template.{jinja,json}. */
async function tokenizerConfigFor(
  files: CheckpointFiles,
  family: ModelFamily,
): Promise<Record<string, unknown>> {
  const tc = await readJson(
    files,
    'tokenizer_config.json',
    'transformers.js needs tokenizer_config.json next to tokenizer.json: copy it from the model repository.',
  );
  const why = CHAT_FAMILIES[family];
  if (!why || typeof tc.chat_template === 'string' || Array.isArray(tc.chat_template)) return tc;
  // Newer transformers save the template beside tokenizer_config.json; transformers.js reads it only from inside.
  const jinja = await files.readText('chat_template.jinja');
  if (jinja !== null) return { ...tc, chat_template: jinja };
  if ((await files.list()).includes('chat_template.json')) {
    const ct = await readJson(files, 'chat_template.json', '');
    if (typeof ct.chat_template === 'string') return { ...tc, chat_template: ct.chat_template };
  }
  throw new CheckpointError(
    `${files.path('tokenizer_config.json')} has no "chat_template", and there is no chat_template.jinja. ${why}, ` +
      "which the playground renders with the tokenizer's chat template: copy tokenizer_config.json from the model repository.",
  );
}

/**
 * The prm.json family of a checkpoint whose head is `head`: the head's own, or `family` where it
 * is one that head can serve.
 */
function familyFor(head: DecoderConfig['head'], family: ModelFamily | undefined): ModelFamily {
  if (family === undefined || family === head) return head;
  if (family === 'user-turns' && head === 'token-pair') return family;
  throw new Error(
    `--family ${family} does not fit this checkpoint's ${head} head; ` +
      (head === 'token-pair'
        ? 'a causal LM (token-pair head) converts as token-pair or user-turns.'
        : `leave --family out: the head says ${head}.`),
  );
}

/** The most worker threads `threads` may ask for. */
export const MAX_THREADS = 64;

function parseOptions(o: ConversionOptions): { dtypes: Dtype[]; blockSize: number; threads: number } {
  const dtypes = o.dtypes ?? ['q4', 'q4f16'];
  if (dtypes.length === 0) throw new Error(`no dtype requested; choose from ${DTYPES.join(', ')}`);
  for (const d of dtypes) {
    if (!DTYPES.includes(d))
      throw new Error(`unknown dtype ${JSON.stringify(d)}; choose from ${DTYPES.join(', ')}`);
  }
  if (new Set(dtypes).size !== dtypes.length) throw new Error(`dtype listed twice in ${dtypes.join(',')}`);
  const blockSize = o.blockSize ?? 32;
  try {
    checkBlockSize(blockSize);
  } catch (e) {
    throw new Error(`--block-size: ${(e as Error).message}`, { cause: e });
  }
  const threads = o.threads ?? 0;
  if (!Number.isInteger(threads) || threads < 0 || threads > MAX_THREADS) {
    throw new Error(`--threads must be a whole number from 0 to ${MAX_THREADS}, got ${o.threads}`);
  }
  return { dtypes, blockSize, threads };
}

// protobuf refuses messages of 2 GiB or more (graph/model.ts); the default external data chunk.
const DEFAULT_CHUNK_BYTES = 2_000_000_000;

/**
 * The checkpoint bytes a conversion reads: each tensor of `tensorsRead` whole, but only two rows
 * of a token-pair head's matrix (`lm_head.weight`, or the embedding's second read when tied:
 * graph/heads/token-pair.ts).
 */
function bytesReadBy(ckpt: Checkpoint, cfg: DecoderConfig): number {
  const names = tensorsRead(ckpt, cfg);
  const pair =
    cfg.head !== 'token-pair' ? null : cfg.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  return names.reduce((bytes, n, i) => {
    const { byteLength, shape } = ckpt.info(n);
    return bytes + (n === pair && i === names.lastIndexOf(n) ? (byteLength / shape[0]) * 2 : byteLength);
  }, 0);
}

/**
 * About how many bytes each dtype's ONNX files take: 4-bit blocks and scales for the quantized
 * matrices of q4 variants, float32/float16 for everything else, plus the rotary caches.
 */
function estimateBytes(
  ckpt: Checkpoint,
  cfg: DecoderConfig,
  dtype: Dtype,
  blockSize: number,
  quantizeEmbedding: boolean,
  contextLength: number,
): number {
  const q4 = dtype === 'q4' || dtype === 'q4f16';
  const floatBytes = dtype === 'fp32' || dtype === 'q4' ? 4 : 2;
  const scaleBytes = dtype === 'q4' ? 4 : 2;
  let bytes = contextLength * cfg.headDim * floatBytes;
  for (const n of tensorsNeeded(ckpt, cfg)) {
    const shape = ckpt.info(n).shape;
    const count = shape.reduce((a, b) => a * b, 1);
    const embedding = n === 'model.embed_tokens.weight';
    const quantized = q4 && shape.length === 2 && (!embedding || quantizeEmbedding);
    bytes += quantized ? count / 2 + (count / blockSize) * scaleBytes : count * floatBytes;
    bytes += 4096; // alignment and headers
  }
  return Math.ceil(bytes);
}

/**
 * Converts a checkpoint into the folder `target.prepare` makes.
 *
 * @example
 * const files = await hubCheckpointFiles({ repo: 'Qwen/Qwen2.5-Math-PRM-7B', revision: 'main', endpoint });
 * await convertInto(files, { io: nodeFileIo, prepare: async () => 'models/qwen-prm-7b' }, { dtypes: ['q4'] });
 * // models/qwen-prm-7b/{config.json,tokenizer.json,tokenizer_config.json,prm.json,onnx/model_q4.onnx,...}
 */
export async function convertInto(
  files: CheckpointFiles,
  target: ConvertTarget,
  options: ConversionOptions = {},
): Promise<ConvertedModel> {
  const log = options.log ?? (() => {});
  const { dtypes, blockSize, threads } = parseOptions(options);
  if (threads > 0 && !target.makePool) throw new Error('--threads: this converter has no worker threads');
  const { io } = target;
  const ckpt = await Checkpoint.open(files);
  try {
    let cfg: DecoderConfig;
    try {
      cfg = parseDecoderConfig(ckpt.config);
    } catch (e) {
      throw new CheckpointError(
        `${files.path('config.json')}: ${(e as Error).message.replace(/^config\.json: /, '')}`,
        {
          cause: e,
        },
      );
    }
    if (cfg.headDim % 16 !== 0) {
      throw new CheckpointError(
        `head_dim ${cfg.headDim} is not a multiple of 16, which onnxruntime's GroupQueryAttention requires. ` +
          'This architecture cannot be converted to the WebGPU graph.',
      );
    }
    const contextLength = options.contextLength ?? Math.min(cfg.maxPositions, MAX_DEFAULT_CONTEXT);
    if (!Number.isInteger(contextLength) || contextLength < 1 || contextLength > MAX_CONTEXT_LENGTH) {
      throw new Error(
        `--context-length must be a whole number from 1 to ${MAX_CONTEXT_LENGTH}, got ${contextLength}`,
      );
    }
    if (contextLength > cfg.maxPositions) {
      log(
        `note: --context-length ${contextLength} is beyond max_position_embeddings ${cfg.maxPositions}; ` +
          'scores past the trained length are unreliable.',
      );
    }
    const { value: tokenizer, text: tokenizerText } = await readJsonText(
      files,
      'tokenizer.json',
      'The model folder needs the fast tokenizer file: copy tokenizer.json from the model repository.',
    );
    const family = familyFor(cfg.head, options.family);
    const tokenizerConfig = await tokenizerConfigFor(files, family);
    // RLHFlow reads `encode('+')[-1]` / `encode('-')[-1]` (math-rm/prm_evaluate.py): the exact pieces
    // "+" and "-" of Llama 3's byte-level vocabulary, the reply the prompt builder puts in each turn.
    const pairOptions =
      family === 'user-turns'
        ? {
            ...options,
            goodToken: options.goodToken ?? DEFAULT_GOOD_TOKEN,
            badToken: options.badToken ?? DEFAULT_BAD_TOKEN,
          }
        : options;
    const pair =
      cfg.head === 'token-pair' ? resolveTokenPair(tokenizer, pairOptions, cfg.vocabSize) : undefined;
    if (pair) log(pair.note);
    if (family === 'token-pair' && tokenizerConfig.chat_template !== undefined) {
      log(
        'note: this causal LM has a chat template; if it is an RLHFlow-style PRM (each step a user turn ' +
          'answered "+"), convert it with --family user-turns.',
      );
    }
    checkTensors(ckpt, cfg);

    const defaults = defaultSpecFor(family);
    const name = options.name ?? files.name;
    const spec = parseModelSpec({
      ...defaults,
      format: 'prm-playground/1',
      name,
      architecture: cfg.arch,
      step_separator: options.stepSeparator ?? defaults.step_separator,
      step_token: options.stepToken ?? defaults.step_token,
      context_length: contextLength,
      dtypes,
      ...(options.stripStepLabels ? { strip_step_labels: true } : {}),
      ...(options.reverseNumbers ? { reverse_numbers: true } : {}),
      source:
        typeof ckpt.config._name_or_path === 'string' && ckpt.config._name_or_path
          ? ckpt.config._name_or_path
          : files.name,
      description:
        `${cfg.architectureName} ${CONVERTED_MARK} (${dtypes.join(', ')}; 4-bit block ${blockSize}` +
        `${options.quantizeEmbedding ? ', 4-bit embedding' : ''})` +
        (pair ? `; token pair good=${pair.goodTokenId} bad=${pair.badTokenId}` : ''),
    });

    if (options.quantizeEmbedding && dtypes.some((d) => d === 'q4' || d === 'q4f16')) {
      // Checked in headless Chromium with onnxruntime-web 1.31.0-dev (/webgpu build): its CPU EP
      // has no GatherBlockQuantized kernel; the WebGPU EP and onnxruntime-node do.
      log('note: a 4-bit embedding (GatherBlockQuantized) runs on WebGPU, not on the browser WASM fallback.');
    }
    for (const d of dtypes) {
      if (options.quantizeEmbedding && (d === 'q4' || d === 'q4f16')) continue;
      const bytes = cfg.vocabSize * cfg.hiddenSize * (d === 'fp32' || d === 'q4' ? 4 : 2);
      if (bytes > GIB) {
        log(
          `note: the ${d} embedding table is ${(bytes / GIB).toFixed(2)} GiB, more than many WebGPU adapters ` +
            'allow in one buffer (1 GiB); add --quantize-embedding to store it 4-bit.',
        );
      }
    }
    const total = tensorsRead(ckpt, cfg).length;
    const bytesToRead = bytesReadBy(ckpt, cfg);
    const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    const plan: WritePlan = {
      files: ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'prm.json'],
      estimatedBytes: tokenizerText.length + 1_000_000,
    };
    for (const d of dtypes) {
      const bytes = estimateBytes(ckpt, cfg, d, blockSize, !!options.quantizeEmbedding, contextLength);
      plan.estimatedBytes += bytes;
      const file = modelFileFor(d);
      plan.files.push(file, `${file}_data`);
      // Chunks are filled up to chunkBytes except for a tensor that does not fit: leave room for that.
      const chunks = Math.ceil((bytes * 1.25) / chunkBytes) + 1;
      for (let i = 1; i < chunks; i++) plan.files.push(`${file}_data_${i}`);
    }
    if (options.signal?.aborted) throw new Error('conversion aborted');
    const dir = await target.prepare(plan);
    const models = await buildOnnxModels(ckpt, cfg, {
      io,
      dir: joinPath(dir, 'onnx'),
      dtypes,
      blockSize,
      quantizeEmbedding: options.quantizeEmbedding ?? false,
      contextLength,
      head: pair ?? {},
      inlineLimit: options.inlineLimit,
      chunkBytes,
      parallel: { threads, minValues: options.workerMinValues ?? 1 << 20, makePool: target.makePool },
      resume: options.resume,
      onProgress: (p) => {
        if (options.signal?.aborted) throw new Error('conversion aborted');
        options.onProgress?.({ ...p, total, bytesToRead });
      },
    });
    const external = models.filter((m) => m.externalData.length > 0);
    const config: Record<string, unknown> = { ...ckpt.config };
    if (external.length > 0) {
      // transformers.js loads `<file>_data`, `<file>_data_1`, ... only when told how many there are.
      const prev = (config['transformers.js_config'] ?? {}) as Record<string, unknown>;
      config['transformers.js_config'] = {
        ...prev,
        use_external_data_format: Object.fromEntries(external.map((m) => [m.file, m.externalData.length])),
      };
    }
    const text = (file: string, value: string) =>
      writeWholeFile(io, joinPath(dir, file), new TextEncoder().encode(value));
    text('config.json', JSON.stringify(config, null, 2) + '\n');
    text('tokenizer.json', tokenizerText);
    text('tokenizer_config.json', JSON.stringify(tokenizerConfig, null, 2) + '\n');
    // prm.json last: a folder without it is not a model.
    text('prm.json', JSON.stringify(spec, null, 2) + '\n');
    if (options.signal?.aborted) throw new Error('conversion aborted');
    return {
      dir,
      spec,
      models,
      tokenPair: pair && { goodTokenId: pair.goodTokenId, badTokenId: pair.badTokenId },
    };
  } finally {
    await ckpt.close();
  }
}
