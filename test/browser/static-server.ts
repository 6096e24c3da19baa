/**
 * A plain static file server for the browser tests, the kind GitHub Pages or a static Hugging Face
 * Space is: files under a sub-path, `Content-Type` by extension, `Cache-Control: max-age=600` (as
 * GitHub Pages sends), and no COOP, COEP, CSP or other special headers. Its folder can be swapped
 * (a new deploy) and it can drop every connection (the host is unreachable) - both without
 * changing its port, so the browser keeps the same origin and service worker.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { watchServer } from './harness.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.md': 'text/markdown; charset=utf-8',
  '.map': 'application/json',
};

export interface StaticSite {
  /** The site's address, ending in the sub-path, e.g. `http://127.0.0.1:40123/prm-playground/`. */
  url: string;
  /** Serves `dir` from now on (a new deploy). */
  deploy(dir: string): void;
  /** While true, every request's connection is dropped, as if the host were unreachable. */
  down: boolean;
  /** Every path requested so far, in order. */
  requests: string[];
  /** Drops every connection and stops listening. */
  close(): Promise<void>;
}

/** Serves `dir` under `base` (e.g. `/prm-playground/`) on a free loopback port. */
export async function serveStatic(dir: string, base: string): Promise<StaticSite> {
  let root = resolve(dir);
  const requests: string[] = [];
  const site = { down: false } as StaticSite;
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    if (site.down) {
      req.socket.destroy();
      return;
    }
    const rel = path.startsWith(base) ? path.slice(base.length) || 'index.html' : null;
    const file = rel === null ? null : resolve(root, rel.endsWith('/') ? `${rel}index.html` : rel);
    if (!file || !file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`404: ${path}`);
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': String(statSync(file).size),
      'Cache-Control': 'max-age=600',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return Object.assign(site, {
    url: `http://127.0.0.1:${port}${base}`,
    requests,
    deploy(next: string) {
      root = resolve(next);
    },
    // Closed by the harness's watchdog too if the run stalls.
    close: watchServer(server, `static server on port ${port}`),
  });
}
