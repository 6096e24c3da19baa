/**
 * A local stand-in for a vLLM server running a PRM (`vllm serve MODEL --runner pooling`), for CLI,
 * unit and browser tests (vLLM itself cannot be installed here; never the network). It scores
 * with one of our converted ONNX models through onnxruntime-node, so its numbers are real and
 * comparable with local scoring. Written from vLLM's protocol definitions
 * (vllm/entrypoints/pooling/pooling/protocol.py, vllm/entrypoints/openai/protocol.py):
 * - `POST /pooling` `{"model", "input": str | list[str] | list[int] | list[list[int]], "task",
 *   "encoding_format"}` -> `PoolingResponse` `{"id": "pool-...", "object": "list", "created",
 *   "model", "data": [{"index", "object": "pooling", "data"}], "usage"}`;
 * - `GET /v1/models` -> `{"object": "list", "data": [{"id", "object": "model", "max_model_len", ...}]}`;
 * - `GET /health` -> 200;
 * - errors as `ErrorResponse` `{"error": {"message", "type", "param", "code"}}`: an unknown model
 *   is 404 NotFoundError; an input over max_model_len, a token id outside the vocabulary and a bad
 *   task 400 BadRequestError;
 * - CORS as vLLM's default `--allowed-origins '["*"]'` (Starlette's CORSMiddleware), or only the
 *   listed origins, or none.
 * The pooler follows `StepPool`: a row per token, only `returned_token_ids` columns when set,
 * only rows whose prompt token is `step_tag_id` when set, softmax when `use_activation`. `LAST`
 * returns one flat vector; `lmVocab` makes rows span a whole vocabulary (a causal LM served
 * without returned_token_ids); `headWidth: 1` is a single-label reward head.
 * Faults for the client's error paths: `fail(n, status)`, `hang(n)`, `drop(n)`.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { stepRewards } from '../../src/core/rewards.ts';
import { modelFileFor } from '../../src/core/spec.ts';
import type { Dtype } from '../../src/core/types.ts';
import { chooseDtype, readModelSpec } from '../../src/node/model.ts';
import { createOrtRunner } from '../../src/node/ort-node.ts';
import { loadTokenizerDir } from '../../src/node/tokenizer-files.ts';

export interface PoolerConfig {
  pooling_type: 'STEP' | 'ALL' | 'LAST';
  /** null: keep every token's row. */
  step_tag_id: number | null;
  returned_token_ids: number[] | null;
  use_activation: boolean;
}

export interface VllmStandInOptions {
  /** A converted model folder (prm.json, tokenizer files, onnx/). */
  modelDir: string;
  dtype?: Dtype;
  /** The name clients must send (`--served-model-name`). */
  servedName: string;
  /** Defaults: STEP at the model's step token, no returned_token_ids, softmax on. */
  pooler?: Partial<PoolerConfig>;
  /** Rows over a vocabulary of this size, the two classes at `bad`/`good` (a causal LM head). */
  lmVocab?: { size: number; bad: number; good: number };
  /** 1: a single-label reward head (one raw score per token). */
  headWidth?: 1;
  /** `--allowed-origins`; default ['*']; [] sends no CORS headers at all. */
  allowedOrigins?: string[];
  /** `--max-model-len`; default the model's context length. */
  maxModelLen?: number;
  /** Port on 127.0.0.1; default a free one. */
  port?: number;
}

export interface PoolingCall {
  model: unknown;
  input: unknown;
  task: unknown;
  origin: string | null;
}

export interface VllmStandIn {
  url: string;
  /** Every POST /pooling body, in order of arrival. */
  calls: PoolingCall[];
  /** Paths of every request, in order. */
  paths: string[];
  /** Answers the next `count` /pooling requests with `status` and a vLLM error body. */
  fail(count: number, status: number, message?: string): void;
  /** Never answers the next `count` /pooling requests (the client's time limit must fire). */
  hang(count: number): void;
  /** Closes the connection of the next `count` /pooling requests without an answer. */
  drop(count: number): void;
  /** After `count` more /pooling requests are answered, drop (or hang) every one until `heal()`. */
  breakAfter(count: number, mode?: 'drop' | 'hang'): void;
  heal(): void;
  close(): Promise<void>;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'BadRequestError',
  404: 'NotFoundError',
  500: 'InternalServerError',
  503: 'ServiceUnavailableError',
};

/**
 * Starts the stand-in on a free loopback port.
 *
 * @example
 * const vllm = await startVllmStandIn({ modelDir: m.dir, servedName: 'Qwen/Qwen2.5-Math-PRM-7B' });
 * // POST `${vllm.url}/pooling` ...
 * await vllm.close();
 */
export async function startVllmStandIn(opts: VllmStandInOptions): Promise<VllmStandIn> {
  const dir = path.resolve(opts.modelDir);
  const spec = readModelSpec(dir);
  const dtype = chooseDtype(dir, spec, opts.dtype);
  const tokenizer = loadTokenizerDir(dir);
  const runner = await createOrtRunner(path.join(dir, modelFileFor(dtype)));
  const stepTag = tokenizer.tokenId(spec.step_token) ?? null;
  const pooler: PoolerConfig = {
    pooling_type: 'STEP',
    step_tag_id: stepTag,
    returned_token_ids: null,
    use_activation: true,
    ...opts.pooler,
  };
  const maxModelLen = opts.maxModelLen ?? spec.context_length;
  const vocabSize = Number(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).vocab_size);
  const allowed = opts.allowedOrigins ?? ['*'];
  const created = Math.floor(Date.now() / 1000);

  const faults: ({ kind: 'fail'; status: number; message?: string } | { kind: 'hang' | 'drop' })[] = [];
  let okLeft = Infinity;
  let breakMode: 'drop' | 'hang' = 'drop';
  const hanging = new Set<ServerResponse>();

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, status: number, message: string, param: string | null = null) =>
    send(res, status, {
      error: { message, type: ERROR_TYPES[status] ?? 'Error', param, code: status },
    });

  /** One token's row before pooling: the head's output at that position. */
  const tokenRow = (l0: number, l1: number): number[] => {
    if (opts.headWidth === 1) return [l1 - l0];
    const p1 = stepRewards([l0, l1], 1, [0])[0];
    const pair = pooler.use_activation ? [1 - p1, p1] : [l0, l1];
    if (!opts.lmVocab) return pair;
    const far = pooler.use_activation ? 0 : -1e9;
    const row = new Array<number>(opts.lmVocab.size).fill(far);
    row[opts.lmVocab.bad] = pair[0];
    row[opts.lmVocab.good] = pair[1];
    return row;
  };

  async function pool(ids: number[][]): Promise<unknown[]> {
    const outs = await runner.run(ids);
    return outs.map((out, i) => {
      const rows: number[][] = [];
      for (let t = 0; t < out.seqLen; t++) rows.push(tokenRow(out.logits[2 * t], out.logits[2 * t + 1]));
      if (pooler.pooling_type === 'LAST') return rows[rows.length - 1];
      if (pooler.pooling_type === 'ALL') return rows;
      const cols = pooler.returned_token_ids;
      const picked = cols ? rows.map((r) => cols.map((c) => r[c])) : rows;
      const tag = pooler.step_tag_id;
      return tag === null ? picked : picked.filter((_, t) => ids[i][t] === tag);
    });
  }

  async function handlePooling(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const fault = faults.shift();
    if (fault?.kind === 'hang' || (okLeft <= 0 && breakMode === 'hang')) {
      hanging.add(res);
      return;
    }
    if (fault?.kind === 'drop' || okLeft <= 0) {
      req.socket.destroy();
      return;
    }
    // Counted on arrival: concurrent requests must not all slip in before the break.
    if (!fault) okLeft--;
    if (fault?.kind === 'fail') {
      error(res, fault.status, fault.message ?? `Internal server error (stand-in fault ${fault.status}).`);
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw);
    } catch {
      error(res, 400, 'Invalid JSON body.');
      return;
    }
    calls.push({
      model: body.model,
      input: body.input,
      task: body.task,
      origin: req.headers.origin ?? null,
    });
    if (body.model !== undefined && body.model !== opts.servedName) {
      error(res, 404, `The model \`${String(body.model)}\` does not exist.`, 'model');
      return;
    }
    if (body.task !== undefined && body.task !== 'token_classify') {
      error(
        res,
        400,
        `Task ${String(body.task)} is not supported, it must be one of the supported tasks: ['token_classify'].`,
      );
      return;
    }
    const input = body.input;
    const list: unknown[] =
      typeof input === 'string' || (Array.isArray(input) && typeof input[0] === 'number')
        ? [input]
        : Array.isArray(input)
          ? input
          : [];
    if (list.length === 0) {
      error(res, 400, 'Input must be a string, a list of strings, or token ids.', 'input');
      return;
    }
    const ids = list.map((x) =>
      typeof x === 'string' ? tokenizer.encode(x, { addSpecialTokens: true }) : (x as number[]),
    );
    const outside = ids.flat().find((t) => !Number.isInteger(t) || t < 0 || t >= vocabSize);
    if (outside !== undefined) {
      error(res, 400, `Token id ${outside} is out of vocabulary`);
      return;
    }
    const long = ids.find((x) => x.length > maxModelLen);
    if (long) {
      error(
        res,
        400,
        `This model's maximum context length is ${maxModelLen} tokens. However, you requested ` +
          `${long.length} tokens in the input for embedding generation. Please reduce the length of the input.`,
      );
      return;
    }
    const data = await pool(ids);
    const tokens = ids.reduce((a, x) => a + x.length, 0);
    send(res, 200, {
      id: `pool-${randomBytes(16).toString('hex')}`,
      object: 'list',
      created: Math.floor(Date.now() / 1000),
      model: opts.servedName,
      data: data.map((d, index) => ({ index, object: 'pooling', data: d })),
      usage: {
        prompt_tokens: tokens,
        total_tokens: tokens,
        completion_tokens: 0,
        prompt_tokens_details: null,
      },
    });
  }

  const corsHeaders = (req: IncomingMessage): Record<string, string> => {
    const origin = req.headers.origin;
    if (!origin || allowed.length === 0) return {};
    if (allowed.includes('*')) return { 'access-control-allow-origin': '*' };
    return allowed.includes(origin) ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
  };

  const calls: PoolingCall[] = [];
  const paths: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    paths.push(url.pathname);
    for (const [k, v] of Object.entries(corsHeaders(req))) res.setHeader(k, v);
    if (req.method === 'OPTIONS') {
      const ok = Object.keys(corsHeaders(req)).length > 0;
      if (!ok) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('Disallowed CORS origin');
        return;
      }
      res.writeHead(200, {
        'access-control-allow-methods': 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
        'access-control-max-age': '600',
      });
      res.end('OK');
      return;
    }
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      if (req.method === 'GET' && url.pathname === '/health') {
        res.writeHead(200);
        res.end();
      } else if (req.method === 'GET' && url.pathname === '/v1/models') {
        send(res, 200, {
          object: 'list',
          data: [
            {
              id: opts.servedName,
              object: 'model',
              created,
              owned_by: 'vllm',
              root: opts.servedName,
              parent: null,
              max_model_len: maxModelLen,
              permission: [],
            },
          ],
        });
      } else if (req.method === 'POST' && url.pathname === '/pooling') {
        handlePooling(req, res, raw).catch((e) => error(res, 500, (e as Error).message));
      } else {
        send(res, 404, { detail: 'Not Found' });
      }
    });
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    paths,
    fail(count, status, message) {
      for (let i = 0; i < count; i++) faults.push({ kind: 'fail', status, message });
    },
    hang(count) {
      for (let i = 0; i < count; i++) faults.push({ kind: 'hang' });
    },
    drop(count) {
      for (let i = 0; i < count; i++) faults.push({ kind: 'drop' });
    },
    breakAfter(count, mode = 'drop') {
      okLeft = count;
      breakMode = mode;
    },
    heal() {
      okLeft = Infinity;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await runner.dispose();
    },
  };
}

// `npx tsx test/support/vllm-standin.ts MODEL_DIR SERVED_NAME [PORT]`: the stand-in by hand, to
// try `prm eval --server` or the page's "vLLM server" without a GPU (Ctrl-C stops it).
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const [dir, name, port] = process.argv.slice(2);
  if (!dir || !name) {
    process.stderr.write('usage: npx tsx test/support/vllm-standin.ts MODEL_DIR SERVED_NAME [PORT]\n');
    process.exit(2);
  }
  const s = await startVllmStandIn({
    modelDir: dir,
    servedName: name,
    port: port ? Number(port) : undefined,
  });
  process.stderr.write(`vLLM stand-in serving ${name} from ${dir} at ${s.url}\n`);
  process.on('SIGINT', () => void s.close().then(() => process.exit(0)));
  process.on('SIGTERM', () => void s.close().then(() => process.exit(0)));
}
