/**
 * `prm convert` behind the CLI: a Hugging Face PRM checkpoint folder in, a transformers.js-style
 * model folder out - `config.json`, `tokenizer.json`, `tokenizer_config.json`, `prm.json` and
 * `onnx/model*.onnx` (+ `*.onnx_data[_i]` external data above ~1.9 GB of weights).
 *
 * Safety: everything is checked (config, every tensor's presence, shape and dtype, tokenizer files,
 * chat template, token-pair ids) before anything is written; the folder is built in a temporary
 * sibling and renamed into place at the end, so a failure or an abort leaves no half-written
 * model folder. An existing output folder is an error unless `force`, and even then only an empty
 * folder or one this converter wrote is replaced (./out-folder.ts); an output that is, or holds,
 * the checkpoint or one of its files (symlinks resolved) is refused with an `OutputPathError`.
 *
 * The checkpoint is read through `CheckpointFiles` (byte-source.ts): a local folder, or a Hub repo
 * by HTTP range requests (hub-files.ts), never downloaded whole.
 *
 * Deliberately does not: run the converted model (tests and `prm score` do).
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { checkOutputPath, makeParentFolder } from '../node/paths.ts';
import { defaultSpecFor, DTYPES, parseModelSpec } from '../core/spec.ts';
import type { Dtype, ModelSpec } from '../core/types.ts';
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
import { Checkpoint } from './safetensors.ts';
import {
  checkpointInputs,
  CONVERTED_MARK,
  existingOutProblem,
  oldFolderName,
  removeStaleTemporaries,
  tmpFolderName,
} from './out-folder.ts';
import type { CheckpointFiles } from './byte-source.ts';
import { localCheckpointFiles } from '../node/local-files.ts';

export interface ConvertOptions {
  /** A checkpoint folder, or its files from elsewhere (a Hub repo: hub-files.ts). */
  checkpointDir: string | CheckpointFiles;
  outDir: string;
  /** ONNX variants to write (default q4 and q4f16). */
  dtypes?: Dtype[];
  /** prm.json `name` (default: the checkpoint folder's name). */
  name?: string;
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
  /** Rotary cache length and prm.json `context_length` (default min(max_position_embeddings, 32768)). */
  contextLength?: number;
  /** Replace an existing output folder. */
  force?: boolean;
  /** Weights up to this many bytes stay inside the .onnx (default 1.9e9). */
  inlineLimit?: number;
  /** Largest external data file (default 2e9 bytes). */
  chunkBytes?: number;
  /**
   * Worker threads that decode, quantize and write the weights while the next tensor is read
   * (default: the machine's cores, at most 4); 0 does everything on the main thread.
   */
  threads?: number;
  /** Weights below this many values stay on the main thread (default 2^20); tests lower it. */
  workerMinValues?: number;
  /** Progress and notices, one line each. */
  log?: (line: string) => void;
  /** Per-tensor progress. */
  onProgress?: (p: BuildProgress & { total: number }) => void;
  signal?: AbortSignal;
}

export interface ConvertResult {
  outDir: string;
  spec: ModelSpec;
  models: BuiltModel[];
  tokenPair?: { goodTokenId: number; badTokenId: number };
}

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
  o: Pick<ConvertOptions, 'goodToken' | 'badToken' | 'goodId' | 'badId'>,
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
    throw new Error(
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

/** A JSON object file, parsed, and its text. */
async function readJsonText(
  files: CheckpointFiles,
  file: string,
  what: string,
): Promise<{ value: Record<string, unknown>; text: string }> {
  const path = files.path(file);
  const text = await files.readText(file);
  if (text === null) throw new Error(`${path}: missing. ${what}`);
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return { value: v as Record<string, unknown>, text };
  } catch (e) {
    throw new Error(`${path}: invalid JSON (${(e as Error).message})`, { cause: e });
  }
}

/** Every problem with the checkpoint's tensors, before any conversion work. */
function checkTensors(ckpt: Checkpoint, cfg: DecoderConfig, tokenPairTied: boolean): void {
  const names = expectedTensorNames(cfg);
  const missing = names.filter((n) => !ckpt.has(n));
  if (missing.length > 0) {
    const shown = missing
      .slice(0, 8)
      .map((n) => `"${n}"`)
      .join(', ');
    throw new Error(
      `the checkpoint lacks ${missing.length} tensor(s) a ${cfg.architectureName} needs: ${shown}` +
        `${missing.length > 8 ? ', ...' : ''}. Is a shard missing, or is config.json from another model?`,
    );
  }
  const all = [...names, ...optionalTensorNames(cfg).filter((n) => ckpt.has(n))];
  if (tokenPairTied) all.push('model.embed_tokens.weight');
  for (const n of all) {
    const info = ckpt.info(n);
    const want = expectedTensorShape(cfg, n)!;
    if (info.shape.length !== want.length || info.shape.some((d, i) => d !== want[i])) {
      throw new Error(
        `tensor "${n}" has shape ${JSON.stringify(info.shape)} but config.json implies ${JSON.stringify(want)}. ` +
          'Does config.json belong to these weights?',
      );
    }
    if (!['F32', 'F16', 'BF16', 'F64'].includes(info.dtype)) {
      throw new Error(
        `tensor "${n}" is stored as ${info.dtype}; only F32, F16, BF16 and F64 weights can be converted ` +
          '(quantized checkpoints - GPTQ, AWQ, bitsandbytes - are not supported: use the original weights).',
      );
    }
  }
}

/** tokenizer_config.json with a chat template: from the file itself, or merged from chat_template.{jinja,json}. */
async function tokenizerConfigFor(
  files: CheckpointFiles,
  cfg: DecoderConfig,
): Promise<Record<string, unknown>> {
  const tc = await readJson(
    files,
    'tokenizer_config.json',
    'transformers.js needs tokenizer_config.json next to tokenizer.json: copy it from the model repository.',
  );
  if (cfg.head !== 'qwen-prm' || typeof tc.chat_template === 'string' || Array.isArray(tc.chat_template))
    return tc;
  // Newer transformers save the template beside tokenizer_config.json; transformers.js reads it only from inside.
  const jinja = await files.readText('chat_template.jinja');
  if (jinja !== null) return { ...tc, chat_template: jinja };
  if ((await files.list()).includes('chat_template.json')) {
    const ct = await readJson(files, 'chat_template.json', '');
    if (typeof ct.chat_template === 'string') return { ...tc, chat_template: ct.chat_template };
  }
  throw new Error(
    `${files.path('tokenizer_config.json')} has no "chat_template", and there is no chat_template.jinja. A qwen-prm ` +
      "model scores a ChatML conversation, which the playground renders with the tokenizer's chat template. " +
      'Copy tokenizer_config.json from the model repository (Qwen2.5-Math-PRM ships the template in it).',
  );
}

/** The most worker threads `threads` may ask for. */
export const MAX_THREADS = 64;

function parseOptions(o: ConvertOptions): { dtypes: Dtype[]; blockSize: number; threads: number } {
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
  const threads = o.threads ?? Math.min(4, availableParallelism());
  if (!Number.isInteger(threads) || threads < 0 || threads > MAX_THREADS) {
    throw new Error(`--threads must be a whole number from 0 to ${MAX_THREADS}, got ${o.threads}`);
  }
  return { dtypes, blockSize, threads };
}

/**
 * Converts a checkpoint folder into a model folder.
 *
 * @example
 * await convertCheckpoint({ checkpointDir: 'Qwen2.5-Math-PRM-7B', outDir: 'models/qwen-prm-7b', dtypes: ['q4'] });
 * // models/qwen-prm-7b/{config.json,tokenizer.json,tokenizer_config.json,prm.json,onnx/model_q4.onnx,...}
 */
export async function convertCheckpoint(options: ConvertOptions): Promise<ConvertResult> {
  const log = options.log ?? (() => {});
  const { dtypes, blockSize, threads } = parseOptions(options);
  const files =
    typeof options.checkpointDir === 'string'
      ? localCheckpointFiles(options.checkpointDir)
      : options.checkpointDir;
  const src = files.label;
  const out = resolve(options.outDir);
  // A Hub checkpoint has no local files the output could overwrite.
  checkOutputPath('--out', out, files.remote ? [] : checkpointInputs(src));
  if (existsSync(out)) {
    const problem = existingOutProblem(out);
    if (problem) {
      throw new Error(options.force ? problem : `${out} already exists. Choose another --out. (${problem})`);
    }
    if (!options.force) {
      throw new Error(`${out} already exists. Choose another --out, or pass --force to replace it.`);
    }
  }

  const ckpt = await Checkpoint.open(files);
  try {
    let cfg: DecoderConfig;
    try {
      cfg = parseDecoderConfig(ckpt.config);
    } catch (e) {
      throw new Error(
        `${files.path('config.json')}: ${(e as Error).message.replace(/^config\.json: /, '')}`,
        {
          cause: e,
        },
      );
    }
    if (cfg.headDim % 16 !== 0) {
      throw new Error(
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
    const tokenizerConfig = await tokenizerConfigFor(files, cfg);
    const pair = cfg.head === 'token-pair' ? resolveTokenPair(tokenizer, options, cfg.vocabSize) : undefined;
    if (pair) log(pair.note);
    checkTensors(ckpt, cfg, cfg.head === 'token-pair' && cfg.tieWordEmbeddings);

    const defaults = defaultSpecFor(cfg.head);
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
    const total =
      expectedTensorNames(cfg).length +
      optionalTensorNames(cfg).filter((n) => ckpt.has(n)).length +
      (cfg.head === 'token-pair' && cfg.tieWordEmbeddings ? 1 : 0);
    makeParentFolder('--out', out);
    for (const stale of await removeStaleTemporaries(out)) {
      log(`note: removed ${stale} left by an interrupted conversion.`);
    }
    const tmp = tmpFolderName(out);
    await mkdir(join(tmp, 'onnx'), { recursive: true });
    try {
      const models = await buildOnnxModels(ckpt, cfg, {
        dir: join(tmp, 'onnx'),
        dtypes,
        blockSize,
        quantizeEmbedding: options.quantizeEmbedding ?? false,
        contextLength,
        head: pair ?? {},
        inlineLimit: options.inlineLimit,
        chunkBytes: options.chunkBytes,
        parallel: { threads, minValues: options.workerMinValues ?? 1 << 20 },
        onProgress: (p) => {
          if (options.signal?.aborted) throw new Error('conversion aborted');
          options.onProgress?.({ ...p, total });
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
      await writeFile(join(tmp, 'config.json'), JSON.stringify(config, null, 2) + '\n');
      await writeFile(join(tmp, 'tokenizer.json'), tokenizerText);
      await writeFile(join(tmp, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2) + '\n');
      await writeFile(join(tmp, 'prm.json'), JSON.stringify(spec, null, 2) + '\n');
      if (options.signal?.aborted) throw new Error('conversion aborted');

      if (existsSync(out)) {
        // The conversion took a while: look again, the folder may have gained files since.
        const problem = existingOutProblem(out);
        if (problem) throw new Error(problem);
        const old = oldFolderName(out);
        await rename(out, old);
        await rename(tmp, out);
        await rm(old, { recursive: true, force: true });
      } else {
        await rename(tmp, out);
      }
      return {
        outDir: out,
        spec,
        models,
        tokenPair: pair && { goodTokenId: pair.goodTokenId, badTokenId: pair.badTokenId },
      };
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
  } finally {
    await ckpt.close();
  }
}
