/**
 * Flag parsing shared by the CLI commands: a strict `node:util` parseArgs that turns every slip
 * into a `UsageError` with a plain message, and the one checker for each kind of value the
 * commands share (threshold, dtype, whole numbers).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './command.ts';
import { JUDGES, type JudgeName } from '../core/judge/index.ts';
import { DTYPES } from '../core/spec.ts';
import { normalizeServerUrl } from '../remote/vllm.ts';
import type { Dtype } from '../core/types.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `--batch` default of `prm score --input` and `prm eval`: one item per model run, because
 * onnxruntime-node on a small CPU gains nothing from batching (one input of a few hundred tokens
 * already fills the cores, and a batch adds padding; figures in bench/README.md, "Batching on the
 * CPU"). `--batch N` remains for backends that do gain.
 */
export const DEFAULT_BATCH = 1;

/**
 * Parses `argv` strictly; unknown flags, missing values and stray positionals become `UsageError`s.
 *
 * @example
 * parseFlags(['--json', '--limit', '5'], { json: { type: 'boolean' }, limit: { type: 'string' } }, 'data').values.limit; // '5'
 */
export function parseFlags<O extends Options>(argv: string[], options: O, positionals = false) {
  try {
    return parseArgs({
      args: argv,
      options,
      strict: true,
      allowPositionals: positionals,
      allowNegative: false,
    });
  } catch (e) {
    const err = e as Error & { code?: string };
    const m = /'(-[^']*)'/.exec(err.message);
    const flag = m?.[1] ?? '';
    switch (err.code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new UsageError(`unknown option ${flag}.`);
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
        // "argument is ambiguous": the value after the flag starts with a dash (--n -1).
        const next = argv[argv.indexOf(flag) + 1];
        if (/ambiguous/.test(err.message) && next !== undefined) {
          throw new UsageError(
            `${flag} needs a value, and ${next} looks like a flag; if ${next} is the value, write ${flag}=${next}.`,
          );
        }
        throw new UsageError(
          err.message
            .split('\n')[0]
            .replace(/^Option /, 'option ')
            .replace(/\.?$/, '.'),
        );
      }
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        throw new UsageError(
          `unexpected argument ${err.message.match(/'([^']*)'/)?.[0] ?? ''}; every value needs its flag.`,
        );
      default:
        throw new UsageError(err.message);
    }
  }
}

/**
 * `--threshold`: a number in [0, 1], or undefined when the flag is absent.
 *
 * @example
 * parseThreshold('0.3'); // 0.3
 * parseThreshold('2'); // UsageError: --threshold must be a number between 0 and 1, got 2.
 */
export function parseThreshold(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = Number(value);
  if (value.trim() === '' || !Number.isFinite(t) || t < 0 || t > 1) {
    throw new UsageError(`--threshold must be a number between 0 and 1, got ${value}.`);
  }
  return t;
}

/**
 * `--dtype`: one of the ONNX variants, or undefined when absent.
 *
 * @example
 * parseDtype('q4'); // 'q4'
 */
export function parseDtype(value: string | undefined): Dtype | undefined {
  if (value === undefined) return undefined;
  if (!DTYPES.includes(value as Dtype)) {
    throw new UsageError(`--dtype must be one of ${DTYPES.join(', ')}, got ${value}.`);
  }
  return value as Dtype;
}

/**
 * A positive integer flag such as `--limit` or `--batch`, or `fallback` when absent.
 *
 * @example
 * parsePositiveInt('--limit', '5', undefined); // 5
 */
export function parsePositiveInt<F extends number | undefined>(
  flag: string,
  value: string | undefined,
  fallback: F,
): number | F {
  return parseWholeNumber(flag, value, fallback, 1);
}

/**
 * A whole-number flag of at least `min` (and at most `max` when given), or `fallback` when absent.
 *
 * @example
 * parseWholeNumber('--threads', '0', undefined, 0, 64); // 0
 */
export function parseWholeNumber<F extends number | undefined>(
  flag: string,
  value: string | undefined,
  fallback: F,
  min: number,
  max?: number,
): number | F {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) {
    const range = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`${flag} must be a whole number ${range}, got ${value}.`);
  }
  return n;
}

/**
 * `--judge`: a second judge beside the PRM, or undefined when absent.
 *
 * @example
 * parseJudge('arithmetic'); // 'arithmetic'
 */
export function parseJudge(value: string | undefined): JudgeName | undefined {
  if (value === undefined) return undefined;
  if (!JUDGES.includes(value as JudgeName)) {
    throw new UsageError(`--judge must be one of ${JUDGES.join(', ')}, got ${value}.`);
  }
  return value as JudgeName;
}

/** The flags `prm score` and `prm eval` share for scoring on a vLLM server. */
export const SERVER_FLAGS = {
  server: { type: 'string' },
  'prompt-from': { type: 'string' },
  timeout: { type: 'string' },
  retries: { type: 'string' },
} as const;

/** Their help text. */
export const SERVER_USAGE = `vLLM server (the text is sent to it):
  --server URL          Score on a vLLM server (vllm serve ... with STEP pooling) instead of a
                        local ONNX model; --model is then the served model name.
  --prompt-from DIR     With --server: the model folder (prm convert output; its ONNX files are
                        not read) whose prm.json and tokenizer build the prompt, as locally.
  --timeout S           Seconds to wait for one request (default 120).
  --retries N           Retries of a request that failed in a way that may pass (connection
                        refused or closed, timeout, HTTP 408/429/5xx), waiting 1 s, 2 s, 4 s...
                        (default 3).`;

/** What `--server` and its companions say, checked. */
export interface ServerFlags {
  url: string;
  model: string;
  promptDir: string;
  timeoutMs: number;
  retries: number;
}

/**
 * The server flags, or undefined without `--server` (then its companions are refused).
 *
 * @example
 * parseServerFlags({ server: 'http://127.0.0.1:8000', model: 'Qwen/Qwen2.5-Math-PRM-7B', 'prompt-from': 'models/qwen-prm-7b' });
 * // { url: 'http://127.0.0.1:8000', model: 'Qwen/Qwen2.5-Math-PRM-7B', promptDir: 'models/qwen-prm-7b', timeoutMs: 120000, retries: 3 }
 */
export function parseServerFlags(v: {
  server?: string;
  model?: string;
  dtype?: string;
  'prompt-from'?: string;
  timeout?: string;
  retries?: string;
}): ServerFlags | undefined {
  if (v.server === undefined) {
    const extra = (['prompt-from', 'timeout', 'retries'] as const).filter((k) => v[k] !== undefined);
    if (extra.length > 0) throw new UsageError(`--${extra[0]} applies to --server only.`);
    return undefined;
  }
  if (v.model === undefined) {
    throw new UsageError('--server needs --model NAME: the model name the server serves (vllm serve NAME).');
  }
  if (v['prompt-from'] === undefined) {
    throw new UsageError(
      '--server needs --prompt-from DIR: the converted model folder (prm.json and tokenizer files) that ' +
        'builds the prompt for the served model, e.g. the one `prm convert hf:Qwen/Qwen2.5-Math-PRM-7B` wrote.',
    );
  }
  if (v.dtype !== undefined) {
    throw new UsageError(
      '--dtype picks a local ONNX variant; the server runs its own weights. Drop --dtype.',
    );
  }
  const timeout = parseWholeNumber('--timeout', v.timeout, 120, 1);
  const retries = parseWholeNumber('--retries', v.retries, 3, 0, 20);
  let url: string;
  try {
    url = normalizeServerUrl(v.server);
  } catch (e) {
    throw new UsageError(`--server: ${(e as Error).message}`);
  }
  return { url, model: v.model, promptDir: v['prompt-from'], timeoutMs: timeout * 1000, retries };
}
