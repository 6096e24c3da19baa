/**
 * Models converted by `prm convert` and pushed to the Hugging Face Hub, by repo id. Files are
 * downloaded from `<endpoint>/<repo>/resolve/<revision>/<path>` with byte progress and stored in
 * the Cache API (cache `prm-models`), so a model loads offline once it was downloaded. The file
 * listing comes from the Hub API (`/api/models/<repo>/tree/<revision>?recursive=true`) and is
 * cached too; when the Hub cannot be reached the cached listing and files are used.
 *
 * Quota: `reserve` compares what is still to download with `navigator.storage.estimate()`, and a
 * refused `cache.put` (QuotaExceededError) becomes `EngineError('quota')` with the bytes needed.
 * It does not handle private or gated repos (no tokens are ever sent).
 */
import { formatBytes } from '../../core/format.ts';
import { bestEffort, bestEffortValue } from '../../core/best-effort.ts';
import { CancelledError, EngineError } from '../errors.ts';
import type { CacheEntry } from '../protocol.ts';
import { checkLength, contentLength, fetchOk, readBody } from './fetch.ts';
import type { ModelFiles, SourceFile } from './types.ts';
import {
  classifyRepoFiles,
  DEFAULT_HUB_ENDPOINT,
  hubEndpoint,
  HubRefError,
  hubResolveUrl as fileUrl,
  hubTreeUrl as treeUrl,
  isHubRepoId,
  type HubRepoKind,
} from '../../core/hub-ref.ts';

export const HUB_CACHE = 'prm-models';
export const DEFAULT_ENDPOINT = DEFAULT_HUB_ENDPOINT;
const SIZE_HEADER = 'x-prm-size';

export interface HubOptions {
  repo: string;
  revision?: string;
  endpoint?: string;
}

function checkRepo(repo: string): void {
  if (!isHubRepoId(repo)) {
    throw new EngineError(
      'bad-request',
      `"${repo}" is not a Hub repo id; it must look like owner/name (e.g. my-org/qwen-prm-1.5b-onnx).`,
    );
  }
}

/** Normalises and checks the Hub base URL. */
export function normaliseEndpoint(endpoint: string | undefined): string {
  try {
    return hubEndpoint(endpoint);
  } catch (e) {
    if (e instanceof HubRefError) throw new EngineError('bad-request', e.message);
    throw e;
  }
}

// The Cache API and StorageManager slices used here, typed locally so this module also
// type-checks (and unit-tests) without the DOM lib.
interface CacheLike {
  match(request: string | Request): Promise<Response | undefined>;
  put(request: string, response: Response): Promise<void>;
  delete(request: string | Request): Promise<boolean>;
  keys(): Promise<readonly Request[]>;
}
interface CacheStorageLike {
  open(name: string): Promise<CacheLike>;
  has(name: string): Promise<boolean>;
  delete(name: string): Promise<boolean>;
}

function cacheStorage(): CacheStorageLike | null {
  return (globalThis as { caches?: CacheStorageLike }).caches ?? null;
}

function storageEstimate(): Promise<{ usage?: number; quota?: number } | null> {
  const storage = (
    globalThis.navigator as
      { storage?: { estimate?(): Promise<{ usage?: number; quota?: number }> } } | undefined
  )?.storage;
  return storage?.estimate
    ? bestEffortValue(storage.estimate(), null, 'null is "unknown": the cache panel then shows no usage line')
    : Promise.resolve(null);
}

function isQuotaError(e: unknown): boolean {
  return e instanceof DOMException && (e.name === 'QuotaExceededError' || e.code === 22);
}

function quotaError(file: string, bytes: number, cause?: unknown): EngineError {
  return new EngineError(
    'quota',
    `The browser refused to store ${file}: not enough storage for this site (the model needs about ${formatBytes(bytes)} more). ` +
      'Delete cached models (the cache-clear request) or free disk space, then load again.',
    { file, bytesNeeded: bytes, cause },
  );
}

function parseTree(data: unknown, label: string): SourceFile[] {
  if (!Array.isArray(data))
    throw new EngineError(
      'network',
      `The Hub listing of ${label} is not a list; is the endpoint a Hugging Face Hub?`,
    );
  return data
    .filter(
      (e): e is { type: string; path: string; size?: number; lfs?: { size?: number } } =>
        typeof e?.path === 'string' && e.type === 'file',
    )
    .map((e) => ({
      path: e.path,
      size: typeof e.lfs?.size === 'number' ? e.lfs.size : typeof e.size === 'number' ? e.size : null,
    }));
}

/**
 * The files of a converted model on the Hub.
 *
 * @example
 * const files = await hubFiles({ repo: 'my-org/qwen-prm-onnx' });
 * await files.reserve(['onnx/model_q4.onnx']); // throws EngineError('quota') when it will not fit
 * const blob = await files.read('onnx/model_q4.onnx', { onProgress: (n, t) => console.log(n, t) });
 */
export async function hubFiles(options: HubOptions): Promise<ModelFiles> {
  checkRepo(options.repo);
  const endpoint = normaliseEndpoint(options.endpoint);
  const revision = options.revision || 'main';
  const { repo } = options;
  const label = `hub:${repo}@${revision}/`;
  const store = cacheStorage();
  const cache = store ? await store.open(HUB_CACHE) : null;

  const tree = treeUrl(endpoint, repo, revision);
  let listing: SourceFile[];
  let res: Response | null = null;
  let offlineReason = '';
  try {
    res = await fetch(tree);
  } catch (e) {
    offlineReason = (e as Error).message;
  }
  if (res && res.status === 404) {
    throw new EngineError(
      'bad-request',
      `The Hub at ${endpoint} has no model "${repo}" (revision "${revision}"); check the repo id and revision.`,
    );
  }
  if (res && (res.status === 401 || res.status === 403)) {
    throw new EngineError(
      'bad-request',
      `The Hub model "${repo}" is private or gated (HTTP ${res.status}); the playground only loads public models.`,
    );
  }
  if (res && res.ok) {
    const text = await res.text();
    listing = parseTree(JSON.parse(text), label);
    if (cache)
      await bestEffort(
        cache.put(tree, new Response(text, { headers: { 'content-type': 'application/json' } })),
        'the listing is already in hand; an unsaved copy only means no offline fallback later',
      );
  } else {
    // Offline or a failing server: fall back to the listing saved with the cached files.
    const cached = await cache?.match(tree);
    if (!cached) {
      const why = res ? `HTTP ${res.status}` : offlineReason;
      throw new EngineError(
        'network',
        `Could not reach the Hub at ${endpoint} (${why}) and ${repo}@${revision} is not in the browser cache; connect and try again.`,
      );
    }
    listing = parseTree(await cached.json(), label);
  }
  const sizes = new Map(listing.map((f) => [f.path, f.size]));

  async function cachedSize(path: string): Promise<number | null> {
    const hit = await cache?.match(fileUrl(endpoint, repo, revision, path));
    if (!hit) return null;
    const n = Number(hit.headers.get(SIZE_HEADER));
    const expected = sizes.get(path) ?? null;
    // A listing that changed since the download (new revision pushed) invalidates the file.
    return Number.isFinite(n) && (expected === null || expected === n) ? n : null;
  }

  async function download(path: string, opts: Parameters<ModelFiles['read']>[1] = {}): Promise<Blob> {
    const file = `${label}${path}`;
    const url = fileUrl(endpoint, repo, revision, path);
    const expected = sizes.get(path) ?? null;
    const got = await fetchOk(url, file, opts);
    if (!cache || !got.body) return readBody(got, file, expected, opts);
    const announced = contentLength(got);
    const total = announced ?? expected;
    // One branch streams into the cache (disk), the other counts bytes for progress, so a
    // multi-GB file never has to sit in memory.
    const [toCache, toCount] = got.body.tee();
    const headers = { 'content-type': got.headers.get('content-type') ?? 'application/octet-stream' };
    const put = cache.put(url, new Response(toCache, { headers }));
    void bestEffort(put, 'awaited below after counting; this keeps an early refusal from going unhandled');
    let loaded = 0;
    const reader = toCount.getReader();
    try {
      for (;;) {
        if (opts.signal?.aborted) throw new CancelledError();
        const chunk = await reader.read();
        if (chunk.done) break;
        loaded += chunk.value.length;
        opts.onProgress?.(loaded, total);
      }
      await put;
    } catch (e) {
      const why = `the download already failed with \`e\`, which is what the user needs to see`;
      await bestEffort(reader.cancel(), why);
      await bestEffort(put, why);
      await bestEffort(cache.delete(url), why);
      if (e instanceof CancelledError || e instanceof EngineError) throw e;
      if (isQuotaError(e)) throw quotaError(file, total ?? loaded, e);
      throw new EngineError(
        'network',
        `The download of ${file} broke off after ${loaded} bytes (${(e as Error).message}); try again.`,
        { file, cause: e },
      );
    }
    try {
      checkLength(file, loaded, announced, expected);
    } catch (e) {
      await bestEffort(cache.delete(url), 'a bad length is the error to report; the entry is refused anyway');
      throw e;
    }
    // Re-store with the size header: the cached body is already on disk, so this is cheap.
    const stored = await cache.match(url);
    if (!stored) throw quotaError(file, loaded);
    const blob = await stored.blob();
    try {
      await cache.put(url, new Response(blob, { headers: { ...headers, [SIZE_HEADER]: String(blob.size) } }));
    } catch (e) {
      await bestEffort(cache.delete(url), 'the failed store is the error to report');
      if (isQuotaError(e)) throw quotaError(file, blob.size, e);
      throw e;
    }
    return blob;
  }

  return {
    label,
    list: async () => listing,
    async read(path, opts = {}) {
      if (!sizes.has(path)) {
        throw new EngineError(
          'bad-model',
          `${label}${path} is missing from the Hub repo ${repo} (revision ${revision}).`,
          { file: `${label}${path}` },
        );
      }
      if (cache && (await cachedSize(path)) !== null) {
        const hit = await cache.match(fileUrl(endpoint, repo, revision, path));
        if (hit) {
          const blob = await hit.blob();
          opts.onProgress?.(blob.size, blob.size);
          return blob;
        }
      }
      return download(path, opts);
    },
    async cachedBytes(paths) {
      let n = 0;
      for (const p of paths) n += (await cachedSize(p)) ?? 0;
      return n;
    },
    async reserve(paths) {
      if (!cache) return;
      let needed = 0;
      for (const p of paths) if ((await cachedSize(p)) === null) needed += sizes.get(p) ?? 0;
      const estimate = await storageEstimate();
      if (!estimate || estimate.quota === undefined || estimate.usage === undefined) return;
      const free = estimate.quota - estimate.usage;
      if (needed > free) {
        throw new EngineError(
          'quota',
          `${repo} needs ${formatBytes(needed)} of browser storage but only ${formatBytes(Math.max(0, free))} is free for this site. ` +
            'Delete cached models (the cache-clear request) or free disk space, then load again.',
          { bytesNeeded: needed },
        );
      }
    },
  };
}

/**
 * What a Hub repo is before anything is chosen: a converted model (load it), a raw checkpoint
 * (offer conversion) or neither; from one tree listing. Offline, a repo already in the browser
 * cache counts as converted; otherwise the error says the network is missing.
 *
 * @example
 * await inspectHubRepo({ repo: 'Qwen/Qwen2.5-Math-PRM-7B' }) // 'checkpoint'
 */
export async function inspectHubRepo(options: HubOptions): Promise<HubRepoKind> {
  checkRepo(options.repo);
  const endpoint = normaliseEndpoint(options.endpoint);
  const revision = options.revision || 'main';
  const { repo } = options;
  let res: Response;
  try {
    res = await fetch(treeUrl(endpoint, repo, revision, false));
  } catch (e) {
    const caches = cacheStorage();
    const cached =
      caches &&
      (await bestEffortValue(
        caches.open(HUB_CACHE).then((c) => c.match(treeUrl(endpoint, repo, revision))),
        undefined,
        'an unreadable cache counts as "not cached": the error below says what to do',
      ));
    if (cached) return 'converted';
    throw new EngineError(
      'network',
      `Could not reach the Hub at ${endpoint} (${(e as Error).message}), and no converted copy of ${repo}@${revision} is in this browser. ` +
        'Connect to the network, or open a converted model folder from this device.',
    );
  }
  if (res.status === 401 || res.status === 403) {
    throw new EngineError(
      'bad-request',
      `The Hub has no public model "${repo}" (HTTP ${res.status}); check the repo id. Private and gated repos are not supported.`,
    );
  }
  if (res.status === 404) {
    throw new EngineError(
      'bad-request',
      `The Hub model "${repo}" has no revision "${revision}"; check the revision.`,
    );
  }
  if (!res.ok) {
    throw new EngineError(
      'network',
      `The Hub answered HTTP ${res.status} for ${repo}@${revision}; try again later.`,
    );
  }
  return classifyRepoFiles(parseTree(await res.json(), `hub:${repo}@${revision}/`).map((f) => f.path));
}

/** Splits a cached file URL into endpoint, repo, revision. */
function parseFileUrl(url: string): { endpoint: string; repo: string; revision: string } | null {
  const m = /^(.*)\/([^/]+\/[^/]+)\/resolve\/([^/]+)\//.exec(url);
  return m ? { endpoint: m[1], repo: m[2], revision: decodeURIComponent(m[3]) } : null;
}

/**
 * The Hub models in the browser cache.
 *
 * @example
 * await listCachedModels(); // [{ repo: 'my-org/prm', revision: 'main', endpoint: 'https://huggingface.co', bytes: 5e8, files: 6 }]
 */
export async function listCachedModels(): Promise<CacheEntry[]> {
  const store = cacheStorage();
  if (!store || !(await store.has(HUB_CACHE))) return [];
  const cache = await store.open(HUB_CACHE);
  const byKey = new Map<string, CacheEntry>();
  for (const req of await cache.keys()) {
    const where = parseFileUrl(req.url);
    if (!where) continue;
    const key = `${where.endpoint} ${where.repo} ${where.revision}`;
    const entry = byKey.get(key) ?? { ...where, bytes: 0, files: 0 };
    const res = await cache.match(req);
    entry.bytes += Number(res?.headers.get(SIZE_HEADER) ?? 0) || 0;
    entry.files++;
    byKey.set(key, entry);
  }
  return [...byKey.values()];
}

/**
 * Deletes one repo's cached files and listings (every revision and endpoint), or everything.
 *
 * @example
 * await clearCachedModels('my-org/prm'); // frees that model's space
 */
export async function clearCachedModels(repo?: string): Promise<void> {
  const store = cacheStorage();
  if (!store) return;
  if (repo === undefined) {
    await store.delete(HUB_CACHE);
    return;
  }
  if (!(await store.has(HUB_CACHE))) return;
  const cache = await store.open(HUB_CACHE);
  for (const req of await cache.keys()) {
    const url = req.url;
    if (url.includes(`/${repo}/resolve/`) || url.includes(`/api/models/${repo}/tree/`))
      await cache.delete(req);
  }
}
