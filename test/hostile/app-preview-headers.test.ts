/**
 * `vite preview` (and so `npm start`) sends the response headers of public/_headers, the one
 * source of them, as a static host would: the CSP with frame-ancestors, nosniff, no-referrer and
 * the cross-origin isolation headers. Served from a temp folder with a stub page, over loopback.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_HEADERS, headersFor, parseHeadersFile } from '../../vite.config.ts';

const root = resolve(import.meta.dirname, '../..');
let server: PreviewServer;
let url: string;
let outDir: string;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'prm-preview-headers-'));
  await writeFile(join(outDir, 'index.html'), '<!doctype html><title>stub</title>');
  await writeFile(join(outDir, 'stub.wasm'), new Uint8Array([0, 97, 115, 109]));
  server = await preview({
    root,
    configFile: resolve(root, 'vite.config.ts'),
    build: { outDir },
    preview: { port: 0, host: '127.0.0.1', strictPort: false, open: false },
    logLevel: 'silent',
  });
  url = server.resolvedUrls!.local[0].replace(/\/$/, '');
});

afterAll(async () => {
  await new Promise<void>((r) => server.httpServer.close(() => r()));
  await rm(outDir, { recursive: true, force: true });
});

describe('vite preview response headers', () => {
  it('sends every header of the "/*" block of public/_headers, CSP with frame-ancestors included', async () => {
    const text = await readFile(join(root, 'public/_headers'), 'utf8');
    const all = parseHeadersFile(text).find((r) => r.pattern === '/*')!.headers;
    expect(Object.keys(all)).toEqual(
      expect.arrayContaining(['Content-Security-Policy', 'X-Content-Type-Options', 'Referrer-Policy']),
    );
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    for (const [name, value] of Object.entries(all)) expect(res.headers.get(name), name).toBe(value);
    expect(res.headers.get('Content-Security-Policy')).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get('Cross-Origin-Embedder-Policy')).toBe('require-corp');
  });

  it('adds the per-path rules (immutable caching under /assets/)', async () => {
    expect(headersFor(HOST_HEADERS, '/assets/index-abc.js')['Cache-Control']).toMatch(/immutable/);
    expect(headersFor(HOST_HEADERS, '/index.html')['Cache-Control']).toBeUndefined();
    const res = await fetch(`${url}/stub.wasm`);
    expect(res.headers.get('Content-Security-Policy')).toMatch(/frame-ancestors 'none'/);
  });

  it('refuses a _headers file whose header lines have no path line', () => {
    expect(() => parseHeadersFile('  X-Frame-Options: DENY\n')).toThrow(/not under a path line/);
  });
});
