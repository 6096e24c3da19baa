/**
 * A Hugging Face Hub repo as `CheckpointFiles`, so `prm convert hf:owner/name[@rev]` (and the
 * page) convert straight from the Hub: the revision is pinned to its commit
 * (`/api/models/<repo>/revision/<rev>` -> `sha`), the top-level files and sizes come from the tree
 * API (`/api/models/<repo>/tree/<sha>`, paged by `Link: rel="next"`), small files (config,
 * tokenizer, index) are fetched whole, and weights are read by range through `http-source.ts`.
 *
 * Why not @huggingface/hub: its `downloadFile({ range })` resolves the file on every call, which
 * spends the Hub's resolver rate limit per tensor; the listing is two GETs. See README.
 *
 * Deliberately does not: send tokens (public repos only) or read files in subfolders.
 */
import type { ByteSource, CheckpointFiles } from './byte-source.ts';
import { HttpSourceError, openHttpFile, type HttpSourceOptions } from './http-source.ts';
import { bestEffort } from '../core/best-effort.ts';
import { hubResolveUrl, hubRevisionUrl, hubTreeUrl } from '../core/hub-ref.ts';

export interface HubFilesOptions {
  repo: string;
  revision: string;
  /** Normalised endpoint (core/hub-ref.ts `hubEndpoint`). */
  endpoint: string;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Passed to every range source (retries, backoff, request size, retry notices). */
  http?: Omit<HttpSourceOptions, 'name' | 'fetch' | 'signal'>;
}

export interface HubCheckpointFiles extends CheckpointFiles {
  /** The commit the revision pointed at when listed; every file is read at this commit. */
  readonly commit: string;
  /** File sizes from the listing. */
  readonly sizes: ReadonlyMap<string, number>;
}

interface TreeEntry {
  type?: string;
  path?: string;
  size?: number;
  lfs?: { size?: number };
}

function nextLink(link: string | null): string | null {
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return m[1];
  }
  return null;
}

/**
 * Lists a Hub repo at a revision and returns its files.
 *
 * @example
 * const files = await hubCheckpointFiles({ repo: 'Qwen/Qwen2.5-Math-PRM-7B', revision: 'main', endpoint: 'https://huggingface.co' });
 * files.commit // '98218b1...'
 */
export async function hubCheckpointFiles(options: HubFilesOptions): Promise<HubCheckpointFiles> {
  const { repo, revision, endpoint, signal } = options;
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const label = `hf:${repo}@${revision}`;

  async function getJson(url: string, what: string): Promise<{ value: unknown; res: Response }> {
    let res: Response;
    try {
      res = await doFetch(url, { signal });
    } catch (e) {
      if (signal?.aborted) throw new HttpSourceError('aborted', `${label}: aborted`);
      throw new HttpSourceError(
        'network',
        `${label}: could not reach the Hub at ${endpoint} (${(e as Error).message}); check the connection or --endpoint.`,
      );
    }
    if (!res.ok) {
      if (res.body)
        await bestEffort(
          res.body.cancel(),
          'the HTTP status is the error to report; this only frees the connection',
        );
      const hubSays = res.headers.get('x-error-message');
      const detail = hubSays ? `: ${hubSays}` : '';
      if (res.status === 401 || res.status === 403) {
        throw new HttpSourceError(
          'unauthorized',
          `${label}: the Hub at ${endpoint} has no public model "${repo}" (HTTP ${res.status}${detail}). ` +
            'Check the repo id (owner/name, as on its Hub page); private and gated repos are not supported.',
        );
      }
      if (res.status === 404) {
        throw new HttpSourceError(
          'not-found',
          `${label}: ${what} not found (HTTP 404${detail}). Check the revision after the @ (a branch, tag, commit or refs/pr/N).`,
        );
      }
      throw new HttpSourceError(
        'network',
        `${label}: the Hub answered HTTP ${res.status} for ${what}; try again later.`,
      );
    }
    try {
      return { value: await res.json(), res };
    } catch (e) {
      throw new HttpSourceError(
        'bad-response',
        `${label}: the ${what} is not JSON (${(e as Error).message}); is ${endpoint} a Hugging Face Hub?`,
      );
    }
  }

  const info = (await getJson(hubRevisionUrl(endpoint, repo, revision), `revision "${revision}"`)).value as {
    sha?: unknown;
  } | null;
  if (typeof info?.sha !== 'string' || !/^[0-9a-f]{40}$/.test(info.sha)) {
    throw new HttpSourceError(
      'bad-response',
      `${label}: the Hub's revision answer has no commit sha; is ${endpoint} a Hugging Face Hub?`,
    );
  }
  const commit = info.sha;

  const sizes = new Map<string, number>();
  for (let url: string | null = hubTreeUrl(endpoint, repo, commit, false); url;) {
    const { value, res } = await getJson(url, 'file listing');
    if (!Array.isArray(value)) {
      throw new HttpSourceError(
        'bad-response',
        `${label}: the file listing is not a list; is ${endpoint} a Hugging Face Hub?`,
      );
    }
    for (const e of value as TreeEntry[]) {
      if (e?.type !== 'file' || typeof e.path !== 'string' || e.path.includes('/')) continue;
      const size = typeof e.lfs?.size === 'number' ? e.lfs.size : e.size;
      if (typeof size === 'number') sizes.set(e.path, size);
    }
    const next = nextLink(res.headers.get('link'));
    url = next ? new URL(next, url).href : null;
  }

  const path = (file: string) => `${label}/${file}`;
  return {
    label,
    name: repo.split('/')[1],
    remote: true,
    commit,
    sizes,
    list: async () => [...sizes.keys()].sort(),
    path,
    async readText(file) {
      if (!sizes.has(file)) return null;
      if (sizes.get(file) === 0) return '';
      // Small files: a plain GET; fetch follows the Hub's redirects.
      const src = await openHttpFile(hubResolveUrl(endpoint, repo, commit, file), {
        ...options.http,
        name: path(file),
        fetch: doFetch,
        signal,
      });
      const bytes = await src.read(0, src.size);
      return new TextDecoder().decode(bytes);
    },
    async open(file): Promise<ByteSource> {
      const want = sizes.get(file);
      if (want === undefined)
        throw new HttpSourceError('not-found', `${path(file)}: not in the repo listing`);
      const src = await openHttpFile(hubResolveUrl(endpoint, repo, commit, file), {
        ...options.http,
        name: path(file),
        fetch: doFetch,
        signal,
      });
      if (src.size !== want) {
        throw new HttpSourceError(
          'changed',
          `${path(file)}: the listing says ${want} bytes but the server serves ${src.size}; start again.`,
        );
      }
      return src;
    },
  };
}
