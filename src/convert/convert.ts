/**
 * `prm convert` behind the CLI: a Hugging Face PRM checkpoint folder in, a transformers.js-style
 * model folder out - `config.json`, `tokenizer.json`, `tokenizer_config.json`, `prm.json` and
 * `onnx/model*.onnx` (+ `*.onnx_data[_i]` external data above ~1.9 GB of weights).
 *
 * The conversion itself is ./convert-core.ts (shared with the page's conversion worker); this adds
 * the Node side. Safety: everything is checked (config, every tensor's presence, shape and dtype,
 * tokenizer files, chat template, token-pair ids) before anything is written; the folder is built in a temporary
 * sibling and renamed into place at the end, so a failure or an abort leaves no half-written
 * model folder. An existing output folder is an error unless `force`, and even then only an empty
 * folder or one this converter wrote is replaced (./out-folder.ts); an output that is, or holds,
 * the checkpoint or one of its files (symlinks resolved) is refused (../node/paths.ts).
 *
 * The checkpoint is read through `CheckpointFiles` (byte-source.ts): a local folder, or a Hub repo
 * by HTTP range requests (hub-files.ts), never downloaded whole.
 *
 * Deliberately does not: run the converted model (tests and `prm score` do).
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { checkOutputPath, makeParentFolder } from '../node/paths.ts';
import type { ModelSpec } from '../core/types.ts';
import type { BuiltModel } from './graph/model.ts';
import {
  checkpointInputs,
  existingOutProblem,
  oldFolderName,
  removeStaleTemporaries,
  tmpFolderName,
} from './out-folder.ts';
import type { CheckpointFiles } from './byte-source.ts';
import { localCheckpointFiles } from '../node/local-files.ts';
import { nodeFileIo } from '../node/file-io.ts';
import { nodeWeightPool } from './weight-threads.ts';
import { poolWorkers } from './weight-pool.ts';
import { convertInto, type ConversionOptions } from './convert-core.ts';

export {
  CONVERTED_MARK,
  DEFAULT_BAD_TOKEN,
  DEFAULT_GOOD_TOKEN,
  MAX_CONTEXT_LENGTH,
  MAX_THREADS,
  resolveTokenPair,
  tokenIdOf,
} from './convert-core.ts';

export interface ConvertOptions extends ConversionOptions {
  /** A checkpoint folder, or its files from elsewhere (a Hub repo: hub-files.ts). */
  checkpointDir: string | CheckpointFiles;
  outDir: string;
  /** Replace an existing output folder. */
  force?: boolean;
  /**
   * Worker threads that decode, quantize and write the weights while the next tensor is read
   * (default: the machine's cores, at most 4); 0 does everything on the main thread.
   */
  threads?: number;
}

export interface ConvertResult {
  outDir: string;
  spec: ModelSpec;
  models: BuiltModel[];
  tokenPair?: { goodTokenId: number; badTokenId: number };
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
  let tmp: string | null = null;
  try {
    const made = await convertInto(
      files,
      {
        io: nodeFileIo,
        makePool: nodeWeightPool,
        async prepare() {
          makeParentFolder('--out', out);
          for (const stale of await removeStaleTemporaries(out)) {
            log(`note: removed ${stale} left by an interrupted conversion.`);
          }
          tmp = tmpFolderName(out);
          await mkdir(join(tmp, 'onnx'), { recursive: true });
          return tmp;
        },
      },
      { ...options, threads: options.threads ?? poolWorkers(availableParallelism(), 0) },
    );
    if (existsSync(out)) {
      // The conversion took a while: look again, the folder may have gained files since.
      const problem = existingOutProblem(out);
      if (problem) throw new Error(problem);
      const old = oldFolderName(out);
      await rename(out, old);
      await rename(made.dir, out);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(made.dir, out);
    }
    return { outDir: out, spec: made.spec, models: made.models, tokenPair: made.tokenPair };
  } catch (e) {
    if (tmp) await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
