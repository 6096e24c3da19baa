/**
 * A vLLM server as a `StepRewardRunner`: the one HTTP client of the pooling API, shared by the CLI
 * (Node 20's fetch) and the page's worker (the browser's). It sends the planned ids to
 * `POST <url>/pooling`, with a time limit per request, retries with doubling waits for what may
 * pass (connection refused or closed, timeouts, 408/429/5xx), and cancellation through an
 * `AbortSignal`. What the rows mean and every misconfiguration message are the core's
 * (src/core/vllm.ts); this module only moves bytes and classifies failures.
 */
import type { StepRewardRunner } from '../core/runner.ts';
import type { InputPlan } from '../core/types.ts';
import {
  backoffMs,
  httpError,
  poolingRequest,
  RemoteError,
  rewardsFromPooling,
  servedModels,
  type ServedModel,
  type ServerPrompt,
} from '../core/vllm.ts';

export interface VllmOptions {
  /** Server root, e.g. `http://127.0.0.1:8000` (`/pooling` and `/v1/models` hang off it). */
  url: string;
  /** The served model name (`vllm serve NAME` or `--served-model-name`). */
  model: string;
  prompt: ServerPrompt;
  /** Per request; default 120 s (a batch of long inputs on a busy 72B server takes a while). */
  timeoutMs?: number;
  /** Retries after the first try, for failures that may pass; default 3. */
  retries?: number;
  /** First wait before a retry, doubling each time; default 1 s. */
  backoffMs?: number;
  /** Cancels every request in flight and any waiting retry. */
  signal?: AbortSignal;
  /** Told before each retry (for a progress line). */
  onRetry?: (info: { attempt: number; waitMs: number; error: RemoteError }) => void;
  /** The page's origin when running in a browser, for the CORS advice. */
  origin?: string;
  fetch?: typeof fetch;
}

export interface VllmRunner extends StepRewardRunner {
  readonly url: string;
  readonly model: string;
  /**
   * Checks the server before any real work: it is reachable and a vLLM server, it serves `model`,
   * and scoring `probe` gives one two-class softmax row per step (the pooler matches our prompt).
   */
  check(probe: InputPlan): Promise<ServedModel>;
}

/**
 * A server root from what a person typed: trailing slashes and a `/v1` or `/pooling` suffix
 * dropped (people paste the OpenAI base URL); only http and https.
 *
 * @example
 * normalizeServerUrl('http://127.0.0.1:8000/v1/'); // 'http://127.0.0.1:8000'
 */
export function normalizeServerUrl(raw: string): string {
  const text = raw.trim();
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new RemoteError(
      'config',
      `${JSON.stringify(text)} is not a URL; give the server root, e.g. http://127.0.0.1:8000.`,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new RemoteError('config', `The server URL must start with http:// or https://, got ${text}.`);
  }
  if (u.search || u.hash) {
    throw new RemoteError('config', `Give the server root without ?query or #fragment, got ${text}.`);
  }
  const path = u.pathname.replace(/\/+$/, '').replace(/\/(v1|pooling)$/, '');
  return `${u.origin}${path}`;
}

function unreachable(url: string, e: unknown, origin: string | undefined): RemoteError {
  const why = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
  const browser = origin
    ? ` If the server is up, the browser may have blocked the request: vLLM must allow this page's origin ` +
      `(vllm serve ... --allowed-origins '["${origin}"]'), and a page served over https can only reach ` +
      'https servers or this machine.'
    : '';
  return new RemoteError(
    'unreachable',
    `Could not reach the vLLM server at ${url} (${why}): is it running, and is the URL right?${browser}`,
    { retryable: true, cause: e },
  );
}

/**
 * @example
 * const runner = createVllmRunner({ url: 'http://127.0.0.1:8000', model: 'Qwen/Qwen2.5-Math-PRM-7B', prompt });
 * await runner.check(probePlan);
 * const [a] = await runPlans(runner, [plan], 0.5);
 */
export function createVllmRunner(options: VllmOptions): VllmRunner {
  const url = normalizeServerUrl(options.url);
  const { model, prompt, signal, origin } = options;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const retries = options.retries ?? 3;
  const base = options.backoffMs ?? 1000;
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);

  const cancelled = () =>
    new RemoteError('cancelled', 'Cancelled: the request to the vLLM server was stopped.');

  /** One try: the parsed JSON of a 2xx answer, or a classified RemoteError. */
  async function once(path: string, body: unknown): Promise<unknown> {
    if (signal?.aborted) throw cancelled();
    const target = `${url}${path}`;
    const timer = new AbortController();
    const timeout = setTimeout(() => timer.abort(), timeoutMs);
    const onAbort = () => timer.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      let res: Response;
      try {
        res = await doFetch(target, {
          method: body === undefined ? 'GET' : 'POST',
          headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: timer.signal,
        });
      } catch (e) {
        if (signal?.aborted) throw cancelled();
        if (timer.signal.aborted) throw timedOut(target);
        throw unreachable(url, e, origin);
      }
      let text: string;
      try {
        text = await res.text();
      } catch (e) {
        if (signal?.aborted) throw cancelled();
        if (timer.signal.aborted) throw timedOut(target);
        throw unreachable(url, e, origin);
      }
      if (!res.ok) throw httpError(res.status, text, target);
      try {
        return JSON.parse(text);
      } catch {
        throw new RemoteError(
          'protocol',
          `${target} answered ${res.status} with something that is not JSON; is the URL a vLLM server?`,
        );
      }
    } finally {
      clearTimeout(timeout);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  const timedOut = (target: string) =>
    new RemoteError(
      'timeout',
      `${target} did not answer within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}; the server may be overloaded or stuck ` +
        '(raise the time limit, or lower the concurrency).',
      { retryable: true },
    );

  const sleep = (ms: number) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', stop);
        resolve();
      }, ms);
      const stop = () => {
        clearTimeout(t);
        reject(cancelled());
      };
      signal?.addEventListener('abort', stop, { once: true });
    });

  async function call(path: string, body?: unknown): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await once(path, body);
      } catch (e) {
        const err = e instanceof RemoteError ? e : new RemoteError('protocol', String(e), { cause: e });
        if (!err.retryable || attempt > retries) {
          if (err.retryable && retries > 0) {
            throw new RemoteError(err.code, `${err.message} (gave up after ${attempt} tries)`, {
              status: err.status,
              retryable: false,
              cause: err,
            });
          }
          throw err;
        }
        const waitMs = backoffMs(attempt, base);
        options.onRetry?.({ attempt, waitMs, error: err });
        await sleep(waitMs);
      }
    }
  }

  return {
    url,
    model,
    async stepRewards(plans) {
      if (plans.length === 0) return [];
      const body = await call('/pooling', poolingRequest(model, plans));
      return rewardsFromPooling(body, plans, prompt);
    },
    async check(probe) {
      const list = servedModels(await call('/v1/models'));
      const served = list.find((m) => m.id === model);
      if (!served) {
        throw new RemoteError(
          'config',
          `The server at ${url} does not serve a model named ${JSON.stringify(model)}; it serves ` +
            `${list.map((m) => JSON.stringify(m.id)).join(', ') || 'nothing'}. Pass one of those as the model name.`,
        );
      }
      rewardsFromPooling(await call('/pooling', poolingRequest(model, [probe])), [probe], prompt);
      return served;
    },
  };
}
