/**
 * Loading a converted model folder in Node: `prm.json` + tokenizer files + `onnx/model*.onnx`
 * (the layout `prm convert` writes), giving the core what it needs to score: the spec, a
 * `TokenizerLike` and a `LogitsRunner`. Also finds the bundled default model under `models/`.
 *
 * It does not score or build prompts (src/core/pipeline.ts), and it never imports onnxruntime
 * itself (./ort-node.ts does).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DTYPES, modelFileFor, parseModelSpec } from '../core/spec.ts';
import type { Dtype, ModelSpec, TokenizerLike } from '../core/types.ts';
import { createOrtRunner, type OrtRunner } from './ort-node.ts';
import { loadTokenizerDir } from './tokenizer-files.ts';

/**
 * A model folder that cannot be used; the message names the file and what to do. The CLI prints
 * any failure's message alike; test/node/model.test.ts tells this one from a bug in the loader.
 */
export class ModelDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelDirError';
  }
}

export interface LoadedModel {
  /** Absolute path of the model folder. */
  dir: string;
  spec: ModelSpec;
  dtype: Dtype;
  /** Absolute path of the .onnx file that runs. */
  file: string;
  tokenizer: TokenizerLike;
  runner: OrtRunner;
  dispose(): Promise<void>;
}

export interface LoadOptions {
  /** ONNX variant; defaults to q4 when the folder has it, else fp32, else the first present. */
  dtype?: Dtype;
  /** Threads for onnxruntime; defaults to every available core. */
  threads?: number;
}

/** The package root (the folder holding package.json), independent of the current directory. */
export function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/**
 * The default `--model`: the first folder (by name) under `<package>/models/` with a prm.json.
 *
 * @example
 * defaultModelDir(); // '<repository>/models/arith-prm'
 */
export function defaultModelDir(modelsDir = path.join(packageRoot(), 'models')): string {
  let names: string[];
  try {
    names = fs.readdirSync(modelsDir).sort();
  } catch {
    names = [];
  }
  const found = names.find((n) => fs.existsSync(path.join(modelsDir, n, 'prm.json')));
  if (!found) {
    throw new ModelDirError(
      `No model found: ${modelsDir} has no folder with a prm.json. Pass --model DIR with a folder made by 'prm convert'.`,
    );
  }
  return path.join(modelsDir, found);
}

/** Dtypes whose ONNX file is present in the folder, in prm.json order. */
export function availableDtypes(dir: string, spec: ModelSpec): Dtype[] {
  return spec.dtypes.filter((d) => fs.existsSync(path.join(dir, modelFileFor(d))));
}

function listDtypes(dir: string, dtypes: Dtype[]): string {
  return dtypes.length === 0 ? 'none' : dtypes.map((d) => `${d} (${modelFileFor(d)})`).join(', ');
}

/**
 * Which ONNX variant to run: the requested one (checked against prm.json and the files present),
 * else q4, else fp32, else the first present.
 *
 * @example
 * chooseDtype('models/demo', spec); // 'q4'
 * chooseDtype('models/demo', spec, 'fp16'); // ModelDirError: ... onnx/model_fp16.onnx is missing; available: q4 (...), fp32 (...)
 */
export function chooseDtype(dir: string, spec: ModelSpec, requested?: Dtype): Dtype {
  const present = availableDtypes(dir, spec);
  if (requested !== undefined) {
    if (!DTYPES.includes(requested)) {
      throw new ModelDirError(`Unknown dtype ${JSON.stringify(requested)}; use one of ${DTYPES.join(', ')}.`);
    }
    if (present.includes(requested)) return requested;
    const file = path.join(dir, modelFileFor(requested));
    const why = spec.dtypes.includes(requested)
      ? 'is missing'
      : 'is not part of this model (prm.json "dtypes")';
    throw new ModelDirError(
      `--dtype ${requested}: ${file} ${why}; this folder has: ${listDtypes(dir, present)}. ` +
        (present.length > 0 ? `Pass --dtype ${present[0]}.` : "Re-convert the model with 'prm convert'."),
    );
  }
  for (const d of ['q4', 'fp32'] as Dtype[]) if (present.includes(d)) return d;
  if (present.length > 0) return present[0];
  throw new ModelDirError(
    `${dir} has none of the ONNX files its prm.json lists (${spec.dtypes.map((d) => modelFileFor(d)).join(', ')}). ` +
      "Re-convert the model with 'prm convert'.",
  );
}

/**
 * Reads and checks `<dir>/prm.json`.
 *
 * @example
 * readModelSpec('models/demo').family; // 'qwen-prm'
 */
export function readModelSpec(dir: string): ModelSpec {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs)) throw new ModelDirError(`Model folder ${abs} does not exist; check --model.`);
  if (!fs.statSync(abs).isDirectory()) {
    throw new ModelDirError(
      `--model must be a folder (with prm.json, tokenizer files and onnx/), got the file ${abs}.`,
    );
  }
  const file = path.join(abs, 'prm.json');
  if (!fs.existsSync(file)) {
    throw new ModelDirError(
      `${file} is missing: ${abs} is not a converted model folder. Make one with 'prm convert' ` +
        '(it writes prm.json, tokenizer.json, tokenizer_config.json and onnx/model*.onnx).',
    );
  }
  return parseModelSpec(fs.readFileSync(file, 'utf8'), file);
}

/**
 * A short fingerprint of what decides a model's scores: SHA-256 over prm.json, the tokenizer
 * files and the whole ONNX file of `dtype` with its external data files (names, sizes, bytes), cut
 * to 16 hex digits. Every byte is hashed, not a sample: two fine-tunes of one base differ only
 * inside the weights, which a head/tail sample can miss.
 *
 * @example
 * modelFingerprint('models/demo', 'q4'); // '3f9a0c1d2e4b5a69'
 */
export function modelFingerprint(dir: string, dtype: Dtype): string {
  const abs = path.resolve(dir);
  const onnx = modelFileFor(dtype);
  const external = fs
    .readdirSync(path.join(abs, path.dirname(onnx)))
    .filter((f) => f.startsWith(`${path.basename(onnx)}_data`))
    .sort()
    .map((f) => path.join(path.dirname(onnx), f));
  const hash = createHash('sha256');
  const buf = Buffer.alloc(8 << 20);
  for (const rel of ['prm.json', 'tokenizer.json', 'tokenizer_config.json', onnx, ...external]) {
    const fd = fs.openSync(path.join(abs, rel), 'r');
    try {
      hash.update(`${rel}\0${fs.fstatSync(fd).size}\0`);
      for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) hash.update(buf.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * Opens a converted model folder for scoring.
 *
 * @example
 * const m = await loadModelDir('models/demo', { dtype: 'q4' });
 * const s = await scoreSolution(m.spec, m.tokenizer, m.runner, problem, steps);
 * await m.dispose();
 */
export async function loadModelDir(dir: string, options: LoadOptions = {}): Promise<LoadedModel> {
  const abs = path.resolve(dir);
  const spec = readModelSpec(abs);
  const dtype = chooseDtype(abs, spec, options.dtype);
  const tokenizer = loadTokenizerDir(abs);
  const file = path.join(abs, modelFileFor(dtype));
  const runner = await createOrtRunner(file, { threads: options.threads });
  return { dir: abs, spec, dtype, file, tokenizer, runner, dispose: () => runner.dispose() };
}
