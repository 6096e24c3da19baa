/**
 * Cross-origin isolation from the service worker, for hosts that cannot send headers (GitHub
 * Pages, static Hugging Face Spaces): every response the worker serves gets
 * `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp` where
 * the host sent none, so a page loaded through the worker is `crossOriginIsolated` and WASM gets
 * threads. The pattern is coi-serviceworker's (https://github.com/gzuidhof/coi-serviceworker).
 *
 * A response whose headers were added carries `ISOLATION_MARK`, which is how the page tells "isolated by
 * the host" from "isolated by the service worker" (src/app/offline.svelte.ts). Headers the host
 * sent are never replaced. Shared by the worker and the page; no DOM or worker globals.
 */

/** Set on responses whose COOP/COEP the service worker added. */
export const ISOLATION_MARK = 'X-PRM-Isolation';

/** The headers a cross-origin isolated page needs, as in public/_headers. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * `response` with COOP/COEP added where missing (and `ISOLATION_MARK: service-worker` if any
 * was); the same object when nothing was missing or the response is opaque (status 0: its headers
 * cannot be read or changed).
 *
 * @example
 * const r = withIsolationHeaders(new Response('<!doctype html>'));
 * r.headers.get('Cross-Origin-Embedder-Policy'); // 'require-corp'
 * r.headers.get(ISOLATION_MARK); // 'service-worker'
 */
export function withIsolationHeaders(response: Response): Response {
  if (response.status === 0) return response;
  const missing = Object.keys(ISOLATION_HEADERS).filter((h) => !response.headers.has(h));
  if (missing.length === 0) return response;
  const headers = new Headers(response.headers);
  for (const h of missing) headers.set(h, ISOLATION_HEADERS[h]);
  headers.set(ISOLATION_MARK, 'service-worker');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
