import { describe, expect, it } from 'vitest';
import { ISOLATION_HEADERS, ISOLATION_MARK, withIsolationHeaders } from '../../src/sw/isolation.ts';

const COOP = 'Cross-Origin-Opener-Policy';
const COEP = 'Cross-Origin-Embedder-Policy';

describe('withIsolationHeaders(response)', () => {
  it('adds COOP same-origin and COEP require-corp, and the mark, where the host sent neither', async () => {
    const r = withIsolationHeaders(
      new Response('<!doctype html>', { status: 200, headers: { 'Content-Type': 'text/html' } }),
    );
    expect(r.headers.get(COOP)).toBe('same-origin');
    expect(r.headers.get(COEP)).toBe('require-corp');
    expect(r.headers.get(ISOLATION_MARK)).toBe('service-worker');
    expect(r.headers.get('Content-Type')).toBe('text/html');
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('<!doctype html>');
  });

  it('returns the response itself when the host already sent both (host headers win, no mark)', () => {
    const host = new Response('x', { headers: { [COOP]: 'same-origin', [COEP]: 'credentialless' } });
    const r = withIsolationHeaders(host);
    expect(r).toBe(host);
    expect(r.headers.get(COEP)).toBe('credentialless');
    expect(r.headers.has(ISOLATION_MARK)).toBe(false);
  });

  it('adds only the missing header and keeps the one the host sent', () => {
    const r = withIsolationHeaders(new Response('x', { headers: { [COEP]: 'credentialless' } }));
    expect(r.headers.get(COEP)).toBe('credentialless');
    expect(r.headers.get(COOP)).toBe(ISOLATION_HEADERS[COOP]);
    expect(r.headers.get(ISOLATION_MARK)).toBe('service-worker');
  });

  it('keeps status and status text (e.g. a 404 page)', () => {
    const r = withIsolationHeaders(new Response('gone', { status: 404, statusText: 'Not Found' }));
    expect([r.status, r.statusText]).toEqual([404, 'Not Found']);
    expect(r.headers.get(COEP)).toBe('require-corp');
  });

  it('leaves an opaque response (status 0) alone', () => {
    const opaque = Response.error();
    expect(withIsolationHeaders(opaque)).toBe(opaque);
  });
});
