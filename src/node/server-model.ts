/**
 * A vLLM server as the CLI's model: the prompt side (prm.json and tokenizer) from a local model
 * folder, the scoring from `POST /pooling` (src/remote/vllm.ts), checked before any real work:
 * the server serves the model name, and a probe solution comes back as one softmax row per step.
 *
 * It does not score or retry by itself; the runner does, and the core reads the rows.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { singleTokenId } from '../core/families/common.ts';
import { planScore } from '../core/pipeline.ts';
import type { ScoreRunner } from '../core/runner.ts';
import type { ModelSpec, TokenizerLike } from '../core/types.ts';
import { checkServerFamily, PROBE_SOLUTION, type RemoteError } from '../core/vllm.ts';
import { createVllmRunner, type VllmRunner } from '../remote/vllm.ts';
import { readModelSpec } from './model.ts';
import { loadTokenizerDir } from './tokenizer-files.ts';

/** What scoring needs from a model, local or remote. */
export interface ScoringModel {
  spec: ModelSpec;
  tokenizer: TokenizerLike;
  runner: ScoreRunner;
  /** The ONNX variant, or `vllm` for a server. */
  dtype: string;
  dispose(): Promise<void>;
}

export interface ServerModelOptions {
  url: string;
  /** The served model name. */
  model: string;
  /** A model folder whose prm.json and tokenizer build the prompt (its ONNX files are not read). */
  promptDir: string;
  timeoutMs?: number;
  retries?: number;
  backoffMs?: number;
  signal?: AbortSignal;
  onRetry?: (info: { attempt: number; waitMs: number; error: RemoteError }) => void;
  /** Notes for the user (e.g. the server's shorter context). */
  note?: (text: string) => void;
}

export interface ServerModel extends ScoringModel {
  runner: VllmRunner;
  /** Where the prompt comes from, absolute. */
  promptDir: string;
}

/**
 * Opens a served model and checks it before scoring.
 *
 * @example
 * const m = await openServerModel({ url: 'http://127.0.0.1:8000', model: 'Qwen/Qwen2.5-Math-PRM-7B', promptDir: 'models/qwen-prm-7b' });
 * const s = await scoreSolution(m.spec, m.tokenizer, m.runner, problem, steps);
 */
export async function openServerModel(opts: ServerModelOptions): Promise<ServerModel> {
  const promptDir = path.resolve(opts.promptDir);
  const folderSpec = readModelSpec(promptDir);
  checkServerFamily(folderSpec);
  const tokenizer = loadTokenizerDir(promptDir);
  const runner = createVllmRunner({
    url: opts.url,
    model: opts.model,
    prompt: {
      family: folderSpec.family,
      stepToken: folderSpec.step_token,
      stepTokenId: singleTokenId(tokenizer, folderSpec.step_token),
    },
    timeoutMs: opts.timeoutMs,
    retries: opts.retries,
    backoffMs: opts.backoffMs,
    signal: opts.signal,
    onRetry: opts.onRetry,
  });
  const probe = planScore(folderSpec, tokenizer, PROBE_SOLUTION.problem, PROBE_SOLUTION.steps, true);
  const served = await runner.check(probe);
  let spec = folderSpec;
  if (served.maxModelLen !== undefined && served.maxModelLen < folderSpec.context_length) {
    opts.note?.(
      `the server's max_model_len is ${served.maxModelLen}, below the ${folderSpec.context_length} tokens of ` +
        `${path.join(promptDir, 'prm.json')}; inputs are held to ${served.maxModelLen} tokens ` +
        '(vllm serve --max-model-len raises it).',
    );
    spec = { ...folderSpec, context_length: served.maxModelLen };
  }
  return { spec, tokenizer, runner, dtype: 'vllm', promptDir, dispose: async () => undefined };
}

/**
 * The predictions-file fingerprint of a served model: the served name and every file that decides
 * the prompt (prm.json and the tokenizer files), so a resume refuses lines from another prompt.
 * The server's weights cannot be seen from here; the name stands for them.
 *
 * @example
 * serverFingerprint('models/qwen-prm-7b', 'Qwen/Qwen2.5-Math-PRM-7B'); // '9c1f0a2b3d4e5f60'
 */
export function serverFingerprint(promptDir: string, model: string): string {
  const hash = createHash('sha256');
  hash.update(`vllm\0${model}\0`);
  for (const rel of ['prm.json', 'tokenizer.json', 'tokenizer_config.json']) {
    const bytes = fs.readFileSync(path.join(promptDir, rel));
    hash.update(`${rel}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest('hex').slice(0, 16);
}
