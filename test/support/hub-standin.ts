/**
 * A local stand-in for the Hugging Face Hub, for CLI, unit and browser tests (never the network).
 * It behaves like the real Hub as described in /work/shared/reference/real-prms-in-the-browser.md
 * section 3:
 * - `GET /api/models/<repo>/revision/<rev>` -> `{ id, sha, siblings }`;
 * - `GET /api/models/<repo>/tree/<rev>[?recursive=true]` -> `[{ type, oid, size, path, lfs? }]`,
 *   paged with `Link: <...>; rel="next"` when `pageSize` is set;
 * - `GET /<repo>/resolve/<rev>/<path>`: small files answered directly (Range honoured), LFS files
 *   (weights: .safetensors, .bin, .onnx, .onnx_data*) with a 302 to a second loopback origin, the
 *   "CDN", which serves byte ranges (206 + Content-Range) with `Access-Control-Allow-Origin: *`
 *   and exposed Content-Range/ETag/Accept-Ranges;
 * - `X-Repo-Commit` and `ETag` on resolve answers, CORS and `Cross-Origin-Resource-Policy` on all;
 * - unknown repo -> 401 (`X-Error-Code: RepoNotFound`), unknown revision -> 404 (`RevisionNotFound`).
 * Switches: `offline` (every connection dropped), `dropNextRanges(n, afterBytes)` (the next n CDN
 * range answers send `afterBytes` bytes, then the connection is destroyed).
 *
 * Repos are folders: `repos['owner/name']` is served at revision `main`, `repos['owner/name@rev']`
 * at `rev`; each (repo, revision) gets a fixed fake commit sha, which also works as a revision.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, resolve, sep } from 'node:path';

export interface HubRequest {
  origin: 'hub' | 'cdn';
  path: string;
  range: string | null;
}

export interface HubStandIn {
  /** The Hub endpoint (`http://127.0.0.1:<port>`). */
  url: string;
  /** The CDN origin large files redirect to. */
  cdnUrl: string;
  /** Every request, in order. */
  requests: HubRequest[];
  /** Paths requested on the Hub origin (API listing and resolve). */
  readonly paths: string[];
  /** When true, every connection is dropped: clients see a network error (offline). */
  offline: boolean;
  /**
   * CDN range requests for a path ending in `path` and of at least `minBytes` are dropped (one
   * file's data unreachable, its header still readable); null: none.
   */
  blockRanges: { path: string; minBytes: number } | null;
  /** The fake commit sha of `repo` at `revision`. */
  commitOf(repo: string, revision?: string): string;
  /** The next `count` CDN range answers send `afterBytes` body bytes and then drop the connection. */
  dropNextRanges(count: number, afterBytes: number): void;
  close(): Promise<void>;
}

export interface HubStandInOptions {
  /** Tree API page size (default: one page). */
  pageSize?: number;
}

const LFS_RE = /\.(safetensors|bin|onnx|onnx_data(_\d+)?|pt|pth|gguf)$/;
const EXPOSE =
  'X-Repo-Commit,X-Request-Id,X-Error-Code,X-Error-Message,X-Total-Count,ETag,Link,Accept-Ranges,Content-Range,X-Linked-Size,X-Linked-ETag';

/** Every file under `dir` (absolute paths), recursively. */
export async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

const sha = (s: string, algo = 'sha1') => createHash(algo).update(s).digest('hex');

interface Repo {
  dir: string;
  commit: string;
}

/**
 * Starts the stand-in on two loopback ports.
 *
 * @example
 * const hub = await startHubStandIn({ 'test-org/tiny-qwen': tinyDir });
 * // prm convert hf:test-org/tiny-qwen --endpoint ${hub.url} --out ...
 * await hub.close();
 */
export async function startHubStandIn(
  repos: Record<string, string>,
  options: HubStandInOptions = {},
): Promise<HubStandIn> {
  // (repo, revision) -> folder; a commit sha is an alias of its revision.
  const byRev = new Map<string, Repo>();
  const known = new Set<string>();
  for (const [key, dir] of Object.entries(repos)) {
    const at = key.indexOf('@');
    const repo = at < 0 ? key : key.slice(0, at);
    const rev = at < 0 ? 'main' : key.slice(at + 1);
    const commit = sha(`${repo}@${rev}`);
    const r = { dir: resolve(dir), commit };
    byRev.set(`${repo}@${rev}`, r);
    byRev.set(`${repo}@${commit}`, r);
    known.add(repo);
  }
  let drops: { count: number; afterBytes: number } = { count: 0, afterBytes: 0 };

  const hub: HubStandIn = {
    url: '',
    cdnUrl: '',
    requests: [],
    get paths() {
      return this.requests.filter((r) => r.origin === 'hub').map((r) => r.path);
    },
    offline: false,
    blockRanges: null,
    commitOf: (repo, revision = 'main') => sha(`${repo}@${revision}`),
    dropNextRanges(count, afterBytes) {
      drops = { count, afterBytes };
    },
    close: async () => undefined,
  };

  const cors = (res: ServerResponse) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', EXPOSE);
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  };
  const preflight = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'OPTIONS') return false;
    res.setHeader('Access-Control-Allow-Headers', 'range');
    res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD');
    res.statusCode = 204;
    res.end();
    return true;
  };
  const fail = (res: ServerResponse, status: number, code: string, message: string) => {
    res.statusCode = status;
    res.setHeader('X-Error-Code', code);
    res.setHeader('X-Error-Message', message);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ error: message }));
  };
  const lookup = (repo: string, rev: string, res: ServerResponse): Repo | null => {
    if (!known.has(repo)) {
      fail(res, 401, 'RepoNotFound', 'Repository not found');
      return null;
    }
    const r = byRev.get(`${repo}@${rev}`);
    if (!r) fail(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    return r ?? null;
  };

  /** Sends a file, honouring a single `Range: bytes=a-b`; applies the drop switch when asked. */
  async function sendFile(
    req: IncomingMessage,
    res: ServerResponse,
    file: string,
    etag: string,
    drop: boolean,
  ) {
    const size = (await stat(file)).size;
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('ETag', etag);
    res.setHeader('Content-Type', 'application/octet-stream');
    const range = req.headers.range;
    let start = 0;
    let end = size - 1;
    if (range) {
      const m = /^bytes=(\d+)-(\d*)$/.exec(range);
      if (!m || Number(m[1]) >= size) {
        res.statusCode = 416;
        res.setHeader('Content-Range', `bytes */${size}`);
        res.end();
        return;
      }
      start = Number(m[1]);
      end = m[2] === '' ? size - 1 : Math.min(size - 1, Number(m[2]));
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    }
    const length = end - start + 1;
    res.setHeader('Content-Length', String(length));
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (drop && range && drops.count > 0 && length > drops.afterBytes) {
      drops.count--;
      res.flushHeaders();
      if (drops.afterBytes === 0) {
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      const partial = createReadStream(file, { start, end: start + drops.afterBytes - 1 });
      partial.on('data', (c) => res.write(c));
      partial.on('end', () => setTimeout(() => req.socket.destroy(), 20));
      return;
    }
    createReadStream(file, { start, end }).pipe(res);
  }

  const hubServer: Server = createServer((req, res) => {
    if (hub.offline) {
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    hub.requests.push({ origin: 'hub', path: url.pathname, range: req.headers.range ?? null });
    cors(res);
    if (preflight(req, res)) return;
    void (async () => {
      const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)$/.exec(url.pathname);
      if (api) {
        const [, repo, kind, revEnc] = api;
        const r = lookup(repo, decodeURIComponent(revEnc), res);
        if (!r) return;
        const files = (await walk(r.dir)).map((f) => relative(r.dir, f).split(sep).join('/')).sort();
        res.setHeader('Content-Type', 'application/json');
        if (kind === 'revision') {
          res.end(
            JSON.stringify({ id: repo, sha: r.commit, siblings: files.map((rfilename) => ({ rfilename })) }),
          );
          return;
        }
        const recursive = url.searchParams.get('recursive') === 'true';
        const entries = [];
        const dirs = new Set<string>();
        for (const f of files) {
          if (!recursive && f.includes('/')) {
            dirs.add(f.split('/')[0]);
            continue;
          }
          const s = await stat(join(r.dir, f));
          const oid = sha(`${r.commit}:${f}`);
          entries.push({
            type: 'file',
            oid,
            size: s.size,
            path: f,
            ...(LFS_RE.test(f) ? { lfs: { oid: sha(oid, 'sha256'), size: s.size, pointerSize: 134 } } : {}),
          });
        }
        for (const d of dirs) entries.push({ type: 'directory', oid: sha(d), size: 0, path: d });
        const page = options.pageSize ?? entries.length;
        const cursor = Number(url.searchParams.get('cursor') ?? 0);
        const slice = entries.slice(cursor, cursor + Math.max(1, page));
        if (cursor + page < entries.length) {
          const next = new URL(url.href.replace('http://x', hub.url));
          next.searchParams.set('cursor', String(cursor + page));
          res.setHeader('Link', `<${next.href}>; rel="next"`);
        }
        res.end(JSON.stringify(slice));
        return;
      }
      const file = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
      if (file) {
        const [, repo, revEnc, pathEnc] = file;
        const r = lookup(repo, decodeURIComponent(revEnc), res);
        if (!r) return;
        const rel = pathEnc.split('/').map(decodeURIComponent).join('/');
        const p = resolve(r.dir, rel);
        const s = p.startsWith(r.dir + sep) ? await stat(p).catch(() => null) : null;
        if (!s?.isFile()) {
          fail(res, 404, 'EntryNotFound', `${rel} does not exist on "${decodeURIComponent(revEnc)}"`);
          return;
        }
        res.setHeader('X-Repo-Commit', r.commit);
        const oid = sha(`${r.commit}:${rel}`);
        if (LFS_RE.test(rel)) {
          const lfsOid = sha(oid, 'sha256');
          res.setHeader('X-Linked-Size', String(s.size));
          res.setHeader('X-Linked-ETag', `"${lfsOid}"`);
          res.statusCode = 302;
          res.setHeader(
            'Location',
            `${hub.cdnUrl}/xet-bridge/${repo}/${r.commit}/${pathEnc}?X-Amz-Expires=3600`,
          );
          res.end();
          return;
        }
        await sendFile(req, res, p, `"${oid}"`, false);
        return;
      }
      fail(res, 404, 'NotFound', 'not found');
    })().catch((e: Error) => {
      res.statusCode = 500;
      res.end(e.message);
    });
  });

  const cdnServer: Server = createServer((req, res) => {
    if (hub.offline) {
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    hub.requests.push({ origin: 'cdn', path: url.pathname, range: req.headers.range ?? null });
    const asked = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    const block = hub.blockRanges;
    if (block && asked && url.pathname.endsWith(block.path)) {
      if (Number(asked[2]) - Number(asked[1]) + 1 >= block.minBytes) {
        req.socket.destroy();
        return;
      }
    }
    cors(res);
    if (preflight(req, res)) return;
    void (async () => {
      const m = /^\/xet-bridge\/([^/]+\/[^/]+)\/([0-9a-f]{40})\/(.+)$/.exec(url.pathname);
      const r = m ? byRev.get(`${m[1]}@${m[2]}`) : undefined;
      if (!m || !r) {
        res.statusCode = 403;
        res.end('bad signature');
        return;
      }
      const rel = m[3].split('/').map(decodeURIComponent).join('/');
      const p = resolve(r.dir, rel);
      if (!p.startsWith(r.dir + sep)) {
        res.statusCode = 403;
        res.end();
        return;
      }
      await sendFile(req, res, p, `"${sha(sha(`${r.commit}:${rel}`), 'sha256')}"`, true);
    })().catch((e: Error) => {
      res.statusCode = 500;
      res.end(e.message);
    });
  });

  const listen = async (s: Server) => {
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  };
  hub.url = await listen(hubServer);
  hub.cdnUrl = await listen(cdnServer);
  const stop = (s: Server) =>
    new Promise<void>((r) => {
      s.closeAllConnections();
      s.close(() => r());
    });
  hub.close = async () => {
    await Promise.all([stop(hubServer), stop(cdnServer)]);
  };
  return hub;
}
