/**
 * A `ByteSource` over HTTP range requests (fetch: Node 20 and browsers), for reading checkpoint
 * weights straight from the Hugging Face Hub without downloading whole files.
 *
 * The file is resolved once: `GET <url>` with `Range: bytes=0-0`, following redirects, gives the
 * final URL (the Hub answers LFS files with a 302 to a signed CDN URL), the size (from
 * Content-Range) and the ETag. Every later range goes to the final URL, so the Hub's resolver
 * rate limit (3000 per 5 minutes per anonymous IP) is spent once per file. Each response must be
 * a 206 whose Content-Range names exactly the bytes asked for and the same total size, and
 * whose ETag (when sent) is unchanged; a connection dropped mid-range is retried from the byte
 * where it stopped, with exponential backoff; an expired signed URL (401/403/410) is resolved
 * again once. Only the single-range `Range` header is sent, which is CORS-safelisted (no
 * preflight) on the CDN hop.
 *
 * Deliberately does not: send credentials (public repos only), or cache bytes (the caller does).
 */
import { bestEffort } from '../core/best-effort.ts';
import { freshBuffer, type ByteSource } from './byte-source.ts';

/** What a caller handles differently: a repo/file that is not there, a changed upstream, the network. */
export type HttpSourceCode =
  'not-found' | 'unauthorized' | 'changed' | 'bad-response' | 'network' | 'aborted';

export class HttpSourceError extends Error {
  override name = 'HttpSourceError';
  readonly code: HttpSourceCode;
  constructor(code: HttpSourceCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface HttpSourceOptions {
  /** The file as shown in messages. */
  name: string;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Tries per request after a dropped connection or a 5xx/429 (default 5). */
  retries?: number;
  /** First backoff in ms, doubled each retry (default 500). */
  backoffMs?: number;
  /** Largest single range request (default 32 MiB): a retry never repeats more than this. */
  maxRequestBytes?: number;
  /** Called after a failed try that will be retried. */
  onRetry?: (info: { name: string; attempt: number; error: string }) => void;
}

interface Resolved {
  url: string;
  size: number;
  etag: string | null;
}

const RANGE_RE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

/**
 * Parses `Content-Range: bytes a-b/total`.
 *
 * @example
 * parseContentRange('bytes 0-0/1234') // { first: 0, last: 0, total: 1234 }
 */
export function parseContentRange(
  v: string | null,
): { first: number; last: number; total: number | null } | null {
  const m = v ? RANGE_RE.exec(v.trim()) : null;
  if (!m) return null;
  return { first: Number(m[1]), last: Number(m[2]), total: m[3] === '*' ? null : Number(m[3]) };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new HttpSourceError('aborted', 'aborted'));
      },
      { once: true },
    );
  });

/** Why a failed cancel of a response body is ignored. */
const DISCARD =
  'the body is unwanted and the caller reports the response; a failed cancel only delays freeing it';

/** Drops a response body this reader will not read, so the connection is freed. */
async function discardBody(res: Response): Promise<void> {
  if (res.body) await bestEffort(res.body.cancel(), DISCARD);
}

function statusError(name: string, res: Response): HttpSourceError {
  if (res.status === 401 || res.status === 403)
    return new HttpSourceError(
      'unauthorized',
      `${name}: HTTP ${res.status}: the repo is private, gated or does not exist (only public repos can be read).`,
    );
  if (res.status === 404) return new HttpSourceError('not-found', `${name}: not found (HTTP 404).`);
  return new HttpSourceError('network', `${name}: HTTP ${res.status} ${res.statusText}`.trim());
}

const retryable = (status: number) => status === 429 || status >= 500;

/**
 * Resolves `url` and returns a ByteSource over its final location.
 *
 * @example
 * const src = await openHttpFile('https://huggingface.co/Qwen/Qwen2.5-Math-PRM-7B/resolve/main/model-00001-of-00004.safetensors',
 *   { name: 'model-00001-of-00004.safetensors' });
 * const lengthBytes = await src.read(0, 8);
 */
export async function openHttpFile(url: string, options: HttpSourceOptions): Promise<ByteSource> {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const { name, signal } = options;
  const retries = options.retries ?? 5;
  const backoff = options.backoffMs ?? 500;
  const maxRequest = options.maxRequestBytes ?? 32 * 1024 * 1024;

  // One request with retries on network errors and 5xx/429; other statuses are returned.
  async function request(target: string, range: string, attempt0 = 0): Promise<Response> {
    for (let attempt = attempt0; ; attempt++) {
      let why: string;
      try {
        const res = await doFetch(target, { headers: { Range: range }, signal });
        if (!retryable(res.status)) return res;
        why = `HTTP ${res.status}`;
        await discardBody(res);
      } catch (e) {
        if (signal?.aborted) throw new HttpSourceError('aborted', `${name}: aborted`);
        why = (e as Error).message;
      }
      if (attempt >= retries) {
        throw new HttpSourceError(
          'network',
          `${name}: ${why} after ${retries + 1} tries; check the connection and try again.`,
        );
      }
      options.onRetry?.({ name, attempt: attempt + 1, error: why });
      await sleep(backoff * 2 ** attempt, signal);
    }
  }

  async function resolve(): Promise<Resolved> {
    const res = await request(url, 'bytes=0-0');
    if (res.status !== 206) {
      await discardBody(res);
      if (res.status === 200)
        throw new HttpSourceError(
          'bad-response',
          `${name}: the server ignored the byte range (HTTP 200); it cannot be read in parts.`,
        );
      throw statusError(name, res);
    }
    const cr = parseContentRange(res.headers.get('content-range'));
    await discardBody(res);
    if (!cr || cr.total === null || cr.first !== 0) {
      throw new HttpSourceError(
        'bad-response',
        `${name}: the server's Content-Range (${res.headers.get('content-range')}) does not give the file size; is it a Hugging Face Hub?`,
      );
    }
    return { url: res.url || url, size: cr.total, etag: res.headers.get('etag') };
  }

  let where = await resolve();
  const first = where;

  // Reads [offset, offset + out.length) into out, resuming after drops.
  async function readRange(offset: number, out: Uint8Array): Promise<void> {
    let done = 0;
    let failures = 0;
    let reResolved = false;
    while (done < out.length) {
      const from = offset + done;
      const to = offset + out.length - 1;
      const res = await request(where.url, `bytes=${from}-${to}`, failures);
      if ((res.status === 401 || res.status === 403 || res.status === 410) && !reResolved) {
        // A signed CDN URL expired: resolve again, and insist it is still the same file.
        await discardBody(res);
        reResolved = true;
        where = await resolve();
        if (where.size !== first.size || (first.etag && where.etag && where.etag !== first.etag)) {
          throw changed(`now ${where.size} bytes, ETag ${where.etag}`);
        }
        continue;
      }
      if (res.status !== 206) {
        await discardBody(res);
        if (res.status === 200)
          throw new HttpSourceError('bad-response', `${name}: the server ignored the byte range (HTTP 200).`);
        throw statusError(name, res);
      }
      const cr = parseContentRange(res.headers.get('content-range'));
      if (!cr || cr.first !== from || cr.last !== to || (cr.total !== null && cr.total !== first.size)) {
        await discardBody(res);
        throw new HttpSourceError(
          'bad-response',
          `${name}: asked for bytes ${from}-${to} of ${first.size} but the server sent Content-Range ${res.headers.get('content-range')}.`,
        );
      }
      const etag = res.headers.get('etag');
      if (first.etag && etag && etag !== first.etag) {
        await discardBody(res);
        throw changed(`ETag ${first.etag} -> ${etag}`);
      }
      const before = done;
      try {
        const reader = res.body!.getReader();
        for (;;) {
          const { done: end, value } = await reader.read();
          if (end) break;
          if (done + value.length > out.length) {
            await bestEffort(reader.cancel(), DISCARD);
            throw new HttpSourceError(
              'bad-response',
              `${name}: the server sent more bytes than the range ${from}-${to}.`,
            );
          }
          out.set(value, done);
          done += value.length;
        }
      } catch (e) {
        if (e instanceof HttpSourceError) throw e;
        if (signal?.aborted) throw new HttpSourceError('aborted', `${name}: aborted`);
        // A dropped connection: keep what arrived, retry the rest.
        if (done === before) failures++;
        if (failures > retries) {
          throw new HttpSourceError(
            'network',
            `${name}: the connection broke off at byte ${offset + done} ${retries + 1} times (${(e as Error).message}); try again.`,
          );
        }
        options.onRetry?.({ name, attempt: failures, error: (e as Error).message });
        await sleep(backoff * 2 ** Math.max(0, failures - 1), signal);
        continue;
      }
      if (done < out.length && done === before) {
        failures++;
        if (failures > retries)
          throw new HttpSourceError(
            'network',
            `${name}: the server keeps ending the range ${from}-${to} early.`,
          );
        await sleep(backoff * 2 ** (failures - 1), signal);
      }
    }
  }

  function changed(what: string): HttpSourceError {
    return new HttpSourceError(
      'changed',
      `${name} changed on the server while it was being read (${what}); start the conversion again.`,
    );
  }

  return {
    name,
    size: first.size,
    close: async () => undefined,
    async read(offset, length, into) {
      if (offset < 0 || length < 0 || offset + length > first.size) {
        throw new HttpSourceError(
          'bad-response',
          `${name}: bytes ${offset}..${offset + length} are past the end of the file (${first.size} bytes)`,
        );
      }
      const out = freshBuffer(length, into);
      for (let pos = 0; pos < length; pos += maxRequest) {
        await readRange(offset + pos, out.subarray(pos, Math.min(length, pos + maxRequest)));
      }
      return out;
    },
  };
}
