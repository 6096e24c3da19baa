import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coalesceReads, planSegments, type ByteSource } from '../../src/convert/byte-source.ts';
import { HttpSourceError, openHttpFile, parseContentRange } from '../../src/convert/http-source.ts';
import { hubCheckpointFiles } from '../../src/convert/hub-files.ts';
import { hubResolveUrl } from '../../src/core/hub-ref.ts';
import { startHubStandIn, type HubStandIn } from '../support/hub-standin.ts';

let tmp: string;
let hub: HubStandIn;
const DATA = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'prm-http-'));
  await mkdir(join(tmp, 'repo'));
  await writeFile(join(tmp, 'repo', 'model.safetensors'), DATA);
  await writeFile(join(tmp, 'repo', 'config.json'), '{"a":1}');
  hub = await startHubStandIn({ 'org/repo': join(tmp, 'repo') });
});
afterAll(async () => {
  await hub?.close();
  await rm(tmp, { recursive: true, force: true });
});

const url = () => hubResolveUrl(hub.url, 'org/repo', 'main', 'model.safetensors');

describe('planSegments(extents, segmentBytes)', () => {
  it('groups neighbours up to the segment size and leaves large extents alone', () => {
    const e = (offset: number, length: number) => ({ offset, length });
    expect(planSegments([e(0, 10), e(10, 20), e(30, 100), e(130, 5), e(135, 10)], 50)).toEqual([
      e(0, 30),
      e(130, 15),
    ]);
    // Out of order and duplicated (tied tensors) extents.
    expect(planSegments([e(20, 10), e(0, 10), e(0, 10)], 100)).toEqual([e(0, 30)]);
  });
});

describe('coalesceReads(source, extents)', () => {
  it('serves the tensors of one segment with one read of the source', async () => {
    const calls: [number, number][] = [];
    const src: ByteSource = {
      name: 'x',
      size: 1000,
      close: async () => undefined,
      read: async (o, l) => {
        calls.push([o, l]);
        return DATA.slice(o, o + l);
      },
    };
    const c = coalesceReads(
      src,
      [
        { offset: 0, length: 100 },
        { offset: 100, length: 50 },
        { offset: 150, length: 600 },
      ],
      200,
    );
    expect([...(await c.read(100, 50))]).toEqual([...DATA.slice(100, 150)]);
    expect([...(await c.read(0, 100))]).toEqual([...DATA.slice(0, 100)]);
    expect([...(await c.read(150, 600))]).toEqual([...DATA.slice(150, 750)]);
    expect(calls).toEqual([
      [0, 150],
      [150, 600],
    ]);
  });
});

describe('openHttpFile(url) against the Hub stand-in', () => {
  it('follows the 302 once, then reads ranges from the CDN origin', async () => {
    const before = hub.requests.length;
    const src = await openHttpFile(url(), { name: 'm', maxRequestBytes: 100_000 });
    expect(src.size).toBe(DATA.length);
    const got = await src.read(1000, 250_000);
    expect(Buffer.from(got).equals(Buffer.from(DATA.subarray(1000, 251_000)))).toBe(true);
    const seen = hub.requests.slice(before);
    expect(seen.filter((r) => r.origin === 'hub').map((r) => r.range)).toEqual(['bytes=0-0']);
    expect(seen.filter((r) => r.origin === 'cdn').map((r) => r.range)).toEqual([
      'bytes=0-0',
      'bytes=1000-100999',
      'bytes=101000-200999',
      'bytes=201000-250999',
    ]);
  });

  it('resumes a dropped range from the byte where it stopped', async () => {
    hub.dropNextRanges(2, 5000);
    const retries: string[] = [];
    const before = hub.requests.length;
    const src = await openHttpFile(url(), { name: 'm', backoffMs: 1, onRetry: (r) => retries.push(r.error) });
    const got = await src.read(0, DATA.length);
    expect(Buffer.from(got).equals(Buffer.from(DATA))).toBe(true);
    expect(retries).toHaveLength(2);
    const ranges = hub.requests
      .slice(before)
      .filter((r) => r.origin === 'cdn')
      .map((r) => r.range);
    expect(ranges).toEqual([
      'bytes=0-0',
      `bytes=0-${DATA.length - 1}`,
      `bytes=5000-${DATA.length - 1}`,
      `bytes=10000-${DATA.length - 1}`,
    ]);
  });

  it('gives up after the retries with a network error', async () => {
    hub.dropNextRanges(10, 0);
    const src = await openHttpFile(url(), { name: 'm', backoffMs: 1, retries: 2 });
    const err = await src.read(0, 1000).catch((e: unknown) => e);
    hub.dropNextRanges(0, 0);
    expect(err).toBeInstanceOf(HttpSourceError);
    expect((err as HttpSourceError).code).toBe('network');
    expect((err as Error).message).toMatch(/m: the connection broke off at byte 0 3 times/);
  });
});

/** A fetch that answers the resolve probe honestly, then lets `lie` shape the range answers. */
function fakeFetch(lie: (range: string, honest: Response) => Response): typeof fetch {
  return (async (_u: string, init?: RequestInit) => {
    const range = new Headers(init?.headers).get('range')!;
    const [a, b] = /bytes=(\d+)-(\d+)/.exec(range)!.slice(1).map(Number);
    const honest = new Response(DATA.slice(a, b + 1), {
      status: 206,
      headers: { 'content-range': `bytes ${a}-${b}/${DATA.length}`, etag: '"v1"' },
    });
    return range === 'bytes=0-0' ? honest : lie(range, honest);
  }) as typeof fetch;
}

describe('openHttpFile(url) refuses what a real range server never sends', () => {
  it.each<[string, (range: string, honest: Response) => Response, string, RegExp]>([
    [
      'a Content-Range for other bytes',
      () =>
        new Response(DATA.slice(0, 10), {
          status: 206,
          headers: { 'content-range': `bytes 0-9/${DATA.length}` },
        }),
      'bad-response',
      /asked for bytes 10-19 .* Content-Range bytes 0-9/,
    ],
    [
      'a whole file (HTTP 200) instead of the range',
      () => new Response(DATA, { status: 200 }),
      'bad-response',
      /ignored the byte range/,
    ],
    [
      'a changed ETag',
      (_r, h) =>
        new Response(h.body, {
          status: 206,
          headers: { 'content-range': h.headers.get('content-range')!, etag: '"v2"' },
        }),
      'changed',
      /changed on the server .*"v1" -> "v2"/,
    ],
    [
      'a 404 for the range',
      () => new Response('gone', { status: 404 }),
      'not-found',
      /not found \(HTTP 404\)/,
    ],
  ])('%s', async (_what, lie, code, message) => {
    const src = await openHttpFile('http://fake/x', { name: 'x', fetch: fakeFetch(lie), backoffMs: 1 });
    const err = await src.read(10, 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpSourceError);
    expect((err as HttpSourceError).code).toBe(code);
    expect((err as Error).message).toMatch(message);
  });

  it('parseContentRange reads bytes a-b/total and refuses other forms', () => {
    expect(parseContentRange('bytes 0-0/1234')).toEqual({ first: 0, last: 0, total: 1234 });
    expect(parseContentRange('bytes 5-9/*')).toEqual({ first: 5, last: 9, total: null });
    expect(parseContentRange('items 0-1/2')).toBeNull();
    expect(parseContentRange(null)).toBeNull();
  });
});

describe('hubCheckpointFiles({ repo, revision, endpoint })', () => {
  it('pins the revision to its commit and lists top-level files with sizes', async () => {
    const files = await hubCheckpointFiles({ repo: 'org/repo', revision: 'main', endpoint: hub.url });
    expect(files.commit).toBe(hub.commitOf('org/repo'));
    expect(await files.list()).toEqual(['config.json', 'model.safetensors']);
    expect(files.sizes.get('model.safetensors')).toBe(DATA.length);
    expect(await files.readText('config.json')).toBe('{"a":1}');
    expect(await files.readText('missing.json')).toBeNull();
    expect(files.path('config.json')).toBe('hf:org/repo@main/config.json');
  });
});
