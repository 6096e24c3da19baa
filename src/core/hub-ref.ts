/**
 * Hugging Face Hub repo references and URLs, shared by the engine's Hub source, the converter's
 * Hub reader and the CLI: `owner/name[@revision]`, the endpoint (default https://huggingface.co,
 * or `HF_ENDPOINT` as the Hub's own clients honour it), and the three URL shapes used:
 * `/api/models/<repo>/revision/<rev>` (the commit), `/api/models/<repo>/tree/<rev>` (files and
 * sizes), `/<repo>/resolve/<rev>/<path>` (file bytes). Revisions may hold slashes
 * (`refs/pr/5`) and are percent-encoded whole.
 *
 * Pure: builds strings, fetches nothing.
 */

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export class HubRefError extends Error {
  override name = 'HubRefError';
}

export interface HubRef {
  repo: string;
  revision: string;
}

const REPO_RE = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/** Whether `repo` looks like `owner/name`. */
export function isHubRepoId(repo: string): boolean {
  return REPO_RE.test(repo) && !repo.includes('..');
}

/**
 * Parses `owner/name` or `owner/name@revision` (a branch, tag, commit or `refs/pr/N`).
 *
 * @example
 * parseHubRef('peiyi9979/math-shepherd-mistral-7b-prm@refs/pr/5') // { repo: 'peiyi9979/math-shepherd-mistral-7b-prm', revision: 'refs/pr/5' }
 * parseHubRef('Qwen/Qwen2.5-Math-PRM-7B') // { repo: 'Qwen/Qwen2.5-Math-PRM-7B', revision: 'main' }
 */
export function parseHubRef(text: string): HubRef {
  const at = text.indexOf('@');
  const repo = (at < 0 ? text : text.slice(0, at)).trim();
  const revision = at < 0 ? 'main' : text.slice(at + 1).trim();
  if (!isHubRepoId(repo)) {
    throw new HubRefError(
      `"${repo}" is not a Hub repo id; it must look like owner/name (e.g. Qwen/Qwen2.5-Math-PRM-7B), optionally followed by @revision.`,
    );
  }
  if (!revision || /\s|\.\./.test(revision)) {
    throw new HubRefError(
      `"${revision}" is not a revision; use a branch, tag, commit or refs/pr/N after the @.`,
    );
  }
  return { repo, revision };
}

/**
 * The endpoint without a trailing slash; checks it is an http(s) URL.
 *
 * @example
 * hubEndpoint(undefined, { HF_ENDPOINT: 'http://127.0.0.1:8080/' }) // 'http://127.0.0.1:8080'
 */
export function hubEndpoint(
  endpoint: string | undefined,
  env: Record<string, string | undefined> = {},
): string {
  const raw = endpoint ?? env.HF_ENDPOINT ?? DEFAULT_HUB_ENDPOINT;
  const e = raw.replace(/\/+$/, '');
  // No URL global in the pure core: scheme and host checked by pattern.
  const m = /^([a-z][a-z0-9+.-]*):\/\/[^\s/?#]+(\/[^\s]*)?$/i.exec(e);
  if (!m) {
    throw new HubRefError(`"${raw}" is not a URL; the Hub endpoint must look like https://huggingface.co.`);
  }
  if (!/^https?$/i.test(m[1])) {
    throw new HubRefError(`The Hub endpoint must be an http(s) URL, got "${raw}".`);
  }
  return e;
}

export function hubRevisionUrl(endpoint: string, repo: string, revision: string): string {
  return `${endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
}

export function hubTreeUrl(endpoint: string, repo: string, revision: string, recursive = true): string {
  return `${endpoint}/api/models/${repo}/tree/${encodeURIComponent(revision)}${recursive ? '?recursive=true' : ''}`;
}

export function hubResolveUrl(endpoint: string, repo: string, revision: string, path: string): string {
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** What a Hub repo holds, judged from its top-level file names. */
export type HubRepoKind = 'converted' | 'checkpoint' | 'unknown';

/**
 * A converted model has prm.json; a raw checkpoint has config.json and weights (safetensors or
 * PyTorch .bin) but no prm.json, and can be converted; anything else is neither.
 *
 * @example
 * classifyRepoFiles(['config.json', 'model-00001-of-00004.safetensors', 'tokenizer.json']) // 'checkpoint'
 */
export function classifyRepoFiles(paths: readonly string[]): HubRepoKind {
  if (paths.includes('prm.json')) return 'converted';
  const weights = paths.some(
    (p) => /\.safetensors$/.test(p) || /^(pytorch_model|model)(-\d+-of-\d+)?\.bin$/.test(p),
  );
  return paths.includes('config.json') && weights ? 'checkpoint' : 'unknown';
}
