/**
 * The vLLM pooling API as the scoring path sees it: the `POST /pooling` body for planned inputs,
 * and the answer's `data[i].data` rows turned into step rewards, with every way a server can be
 * configured differently from the model's prompt (wrong step tag, no softmax, not a PRM head)
 * refused with the vLLM flag that fixes it. Pure: the HTTP client lives in src/remote/vllm.ts.
 *
 * Protocol (vLLM `vllm/entrypoints/pooling/pooling/protocol.py`, `PoolingResponse`): the request
 * `{"model", "input", "task": "token_classify"}` takes `input` as `list[list[int]]` too; we send
 * the ids our family builder made, so the server never re-tokenises the user's text (special
 * tokens in it stay plain text, as they do locally) and the prompt is the local one id for id.
 * Under STEP pooling (`StepPool`) a row is kept for each prompt token equal to `step_tag_id`, with
 * only the `returned_token_ids` columns when set; with the activation on each row is a softmax,
 * `[p(bad), p(good)]`, the order of every family's ONNX head, so the reward is column 1.
 * https://docs.vllm.ai/en/latest/models/pooling_models/ (reward models, token_classify).
 */
import type { InputPlan, ModelFamily, ModelSpec } from './types.ts';

/** What the caller does about a failure; `retryable` says whether trying again may help. */
export type RemoteErrorCode =
  /** The server runs, but its pooler is set up for another prompt or head; the message names the flag. */
  | 'config'
  /** The answer is not a vLLM pooling answer (another server behind the URL, or a bug). */
  | 'protocol'
  /** An HTTP error status; `status` holds it. */
  | 'http'
  /** No answer within the time limit. */
  | 'timeout'
  /** No connection: server down, wrong URL, connection closed, or (in a browser) blocked by CORS. */
  | 'unreachable'
  /** The caller cancelled. */
  | 'cancelled';

/** A vLLM server could not score; the message says what to change (often a `vllm serve` flag). */
export class RemoteError extends Error {
  readonly code: RemoteErrorCode;
  readonly status?: number;
  readonly retryable: boolean;

  constructor(
    code: RemoteErrorCode,
    message: string,
    extra: { status?: number; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'RemoteError';
    this.code = code;
    if (extra.status !== undefined) this.status = extra.status;
    this.retryable = extra.retryable ?? false;
  }
}

/** A short solution every supported family can build: scored once to check a server's pooler. */
export const PROBE_SOLUTION = { problem: 'What is 1 + 1?', steps: ['1 + 1 = 2.', 'The answer is 2.'] };

/** The families a vLLM server can score natively (STEP pooling over a step tag). */
export const SERVER_FAMILIES: readonly ModelFamily[] = ['qwen-prm', 'token-pair'];

/** What the client knows of the prompt it sends: the family and the id of the step tag. */
export interface ServerPrompt {
  family: ModelFamily;
  stepToken: string;
  stepTokenId: number;
}

/**
 * Refuses families vLLM has no STEP pooler for (Skywork's value head needs its own plugin).
 *
 * @example
 * checkServerFamily(spec); // throws RemoteError('config') for family value-head
 */
export function checkServerFamily(spec: ModelSpec): void {
  if (!SERVER_FAMILIES.includes(spec.family)) {
    throw new RemoteError(
      'config',
      `Model "${spec.name}" is of family ${spec.family}, which vLLM does not serve with STEP pooling ` +
        `(only ${SERVER_FAMILIES.join(' and ')} are supported over a server); score it locally instead.`,
    );
  }
}

/**
 * The `--pooler-config` that makes a server answer this prompt: STEP pooling at our step tag;
 * token-pair (causal LM) models also need the [bad, good] columns.
 *
 * @example
 * poolerConfigFlag({ family: 'qwen-prm', stepToken: '<extra_0>', stepTokenId: 151651 });
 * // `--pooler-config '{"pooling_type":"STEP","step_tag_id":151651}'`
 */
export function poolerConfigFlag(p: ServerPrompt): string {
  const cols = p.family === 'token-pair' ? ',"returned_token_ids":[BAD_ID,GOOD_ID]' : '';
  return `--pooler-config '{"pooling_type":"STEP","step_tag_id":${p.stepTokenId}${cols}}'`;
}

function columnsNote(p: ServerPrompt): string {
  return p.family === 'token-pair'
    ? ' (BAD_ID, GOOD_ID: the ids of the bad and good tokens, in that order; Math-Shepherd: [387,648])'
    : '';
}

/** The JSON body of `POST /pooling` for a batch of planned inputs. */
export interface PoolingRequestBody {
  model: string;
  input: number[][];
  task: 'token_classify';
  encoding_format: 'float';
}

/**
 * @example
 * poolingRequest('Qwen/Qwen2.5-Math-PRM-7B', [plan]);
 * // { model: 'Qwen/Qwen2.5-Math-PRM-7B', input: [plan.inputIds], task: 'token_classify', encoding_format: 'float' }
 */
export function poolingRequest(model: string, plans: InputPlan[]): PoolingRequestBody {
  return { model, input: plans.map((p) => p.inputIds), task: 'token_classify', encoding_format: 'float' };
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

// Softmax rows sum to 1 up to float32 rounding of the server's tensor.
const SUM_TOLERANCE = 1e-3;

function rowsOf(entry: unknown, i: number): unknown {
  if (!isObject(entry) || !('data' in entry)) {
    throw new RemoteError('protocol', `The server's answer has no data for input ${i + 1}.`);
  }
  return entry.data;
}

/**
 * Step rewards (column 1 of each row) from a `PoolingResponse`, one list per plan, after checking
 * the rows match the prompt: one row per step tag, two columns, each a softmax.
 *
 * @example
 * rewardsFromPooling({ data: [{ index: 0, data: [[0.2, 0.8], [0.9, 0.1]] }] }, [plan], prompt); // [[0.8, 0.1]]
 */
export function rewardsFromPooling(body: unknown, plans: InputPlan[], prompt: ServerPrompt): number[][] {
  if (!isObject(body) || !Array.isArray(body.data)) {
    throw new RemoteError(
      'protocol',
      'The server answered /pooling without a "data" list; is the URL a vLLM server (vllm serve)?',
    );
  }
  if (body.data.length !== plans.length) {
    throw new RemoteError(
      'protocol',
      `The server returned ${body.data.length} results for ${plans.length} inputs.`,
    );
  }
  const entries = [...body.data].sort((a, b) =>
    isObject(a) && isObject(b) && typeof a.index === 'number' && typeof b.index === 'number'
      ? a.index - b.index
      : 0,
  );
  const flag = poolerConfigFlag(prompt);
  const cols = columnsNote(prompt);
  const tag = `${JSON.stringify(prompt.stepToken)} (id ${prompt.stepTokenId})`;
  return plans.map((plan, i) => {
    const rows = rowsOf(entries[i], i);
    const steps = plan.scorePositions.length;
    if (typeof rows === 'string') {
      throw new RemoteError('protocol', 'The server sent base64 data although the request asked for floats.');
    }
    if (!Array.isArray(rows)) {
      throw new RemoteError('protocol', `The server's data for input ${i + 1} is not a list of rows.`);
    }
    if (rows.length > 0 && rows.every((r) => typeof r === 'number')) {
      throw new RemoteError(
        'config',
        `The server pooled input ${i + 1} into one vector of ${rows.length} numbers instead of one row per step: ` +
          `its pooler is not STEP (an embedding or classification setup, or not a PRM). Serve the PRM with ${flag}${cols}.`,
      );
    }
    if (!rows.every((r) => Array.isArray(r) && r.every((x) => typeof x === 'number'))) {
      throw new RemoteError('protocol', `The server's rows for input ${i + 1} are not lists of numbers.`);
    }
    const table = rows as number[][];
    if (table.length !== steps) {
      const why =
        table.length === plan.inputIds.length
          ? `one row per token (${table.length}): the pooler keeps every token, so step_tag_id is not set`
          : `${table.length} rows for ${steps} steps: the server's step_tag_id is not our step token ${tag}`;
      throw new RemoteError(
        'config',
        `The server answered ${why}. Start vLLM with ${flag}${cols}, and check that --model names the model ` +
          'whose tokenizer built this prompt.',
      );
    }
    const width = table[0]?.length ?? 2;
    if (table.some((r) => r.length !== width) || width !== 2) {
      const what =
        width === 1
          ? 'one number per step: a single-label head (an outcome reward model, or num_labels 1), not a two-class PRM'
          : prompt.family === 'token-pair'
            ? `${width} numbers per step: the whole vocabulary, because returned_token_ids is not set`
            : `${width} numbers per step: hidden states or a language-model head, not a PRM's two classes`;
      throw new RemoteError(
        'config',
        `The server returned ${what}. Serve a process reward model with ${flag}${cols}.`,
      );
    }
    return table.map(([bad, good], s) => {
      const probabilities =
        bad >= 0 && bad <= 1 && good >= 0 && good <= 1 && Math.abs(bad + good - 1) <= SUM_TOLERANCE;
      if (!probabilities) {
        throw new RemoteError(
          'config',
          `The server returned [${bad}, ${good}] for step ${s + 1}: raw scores, not probabilities, so its ` +
            'activation is off. Add "use_activation":true to --pooler-config (vLLM before 0.10: "softmax":true).',
        );
      }
      return good;
    });
  });
}

/**
 * The message of a vLLM error body: `{"error": {"message", "type", "code"}}` (current), or
 * `{"object": "error", "message", ...}` (older), or FastAPI's `{"detail": ...}`.
 *
 * @example
 * vllmErrorMessage('{"error":{"message":"The model `x` does not exist.","type":"NotFoundError","code":404}}');
 * // 'The model `x` does not exist.'
 */
export function vllmErrorMessage(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const plain = text.trim().slice(0, 300);
    return plain === '' ? undefined : plain;
  }
  if (!isObject(body)) return undefined;
  if (isObject(body.error) && typeof body.error.message === 'string') return body.error.message;
  if (typeof body.message === 'string') return body.message;
  if (typeof body.detail === 'string') return body.detail;
  if (body.detail !== undefined) return JSON.stringify(body.detail).slice(0, 300);
  return undefined;
}

/** HTTP statuses worth retrying: overload, timeouts and server-side failures. */
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/**
 * The `RemoteError` for an HTTP error answer from `url`, with what to do about the common ones.
 *
 * @example
 * httpError(404, '{"error":{"message":"The model `x` does not exist."}}', 'http://127.0.0.1:8000/pooling').message;
 * // 'http://127.0.0.1:8000/pooling answered 404: The model `x` does not exist. ...'
 */
export function httpError(status: number, text: string, url: string): RemoteError {
  const said = vllmErrorMessage(text);
  let hint = '';
  if (said && /model .* does not exist/i.test(said)) {
    hint = ' Pass the name the server was started with (vllm serve NAME, or its --served-model-name).';
  } else if (said && /token_classify|pooling|task|runner/i.test(said) && status === 400) {
    hint =
      ' The server does not run the model as a pooling model: start it with --runner pooling ' +
      '(vLLM before 0.10: --task reward).';
  } else if (said && /out of vocabulary/i.test(said)) {
    hint =
      " The server's model has another tokenizer than the prompt folder's: build the prompt with the " +
      'converted folder of the model the server runs.';
  } else if (said && /maximum context length|max_model_len|too long/i.test(said)) {
    hint = " The input is longer than the server's --max-model-len; raise it, or score with --truncate.";
  } else if (status === 404) {
    hint = ' The server has no such endpoint: is it vLLM (with /pooling at the root, not under /v1)?';
  } else if (status === 401 || status === 403) {
    hint = ' The server wants an API key (vllm serve --api-key).';
  }
  return new RemoteError('http', `${url} answered ${status}${said ? `: ${said}` : ''}.${hint}`, {
    status,
    retryable: RETRY_STATUSES.has(status),
  });
}

/**
 * Milliseconds to wait before retry `attempt` (1-based): doubling from `base`, capped at 30 s.
 *
 * @example
 * backoffMs(3, 500); // 2000
 */
export function backoffMs(attempt: number, base: number): number {
  return Math.min(30_000, base * 2 ** (attempt - 1));
}

/** A served model as `GET /v1/models` lists it. */
export interface ServedModel {
  id: string;
  maxModelLen?: number;
}

/**
 * The models of a `GET /v1/models` answer (`{"object": "list", "data": [{"id", "max_model_len"}]}`).
 *
 * @example
 * servedModels({ object: 'list', data: [{ id: 'm', max_model_len: 4096 }] }); // [{ id: 'm', maxModelLen: 4096 }]
 */
export function servedModels(body: unknown): ServedModel[] {
  if (!isObject(body) || !Array.isArray(body.data)) {
    throw new RemoteError(
      'protocol',
      'GET /v1/models did not answer with a model list; is the URL a vLLM server (vllm serve)?',
    );
  }
  return body.data.flatMap((m) =>
    isObject(m) && typeof m.id === 'string'
      ? [
          {
            id: m.id,
            ...(typeof m.max_model_len === 'number' ? { maxModelLen: m.max_model_len } : {}),
          },
        ]
      : [],
  );
}
