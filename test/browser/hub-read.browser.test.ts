/**
 * The converter's checkpoint readers run in Chromium (issue 14, the reading half of in-page
 * conversion): `hubCheckpointFiles` + `Checkpoint.open` read a sharded BF16 safetensors and a
 * torch.save `.bin` checkpoint from the Hub stand-in by range - across the 302 to the second
 * origin, with CORS and the exposed Content-Range/ETag - and every tensor's bytes equal what
 * Node reads from the same files on disk; a connection dropped mid-range is retried.
 * The page is fixtures/engine-page/index.html (readers on globalThis.__prmConvert).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalCheckpoint } from '../../src/node/local-files.ts';
import { makeTinyCheckpoint } from '../convert/tiny-checkpoint.ts';
import { startHubStandIn, type HubStandIn } from '../support/hub-standin.ts';
import { buildEngineSite, serveSite } from './fixtures/engine-site.ts';
import { closeBrowser, launchBrowser, step } from './harness.ts';

let tmp: string;
let hub: HubStandIn;
let site: { url: string; close(): Promise<void> };
let browser: Browser;
let page: Page;

/** FNV-1a over bytes, the same function in Node and in the page. */
function fnv(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

async function localHashes(dir: string): Promise<Record<string, number>> {
  const ck = await openLocalCheckpoint(dir);
  try {
    const out: Record<string, number> = {};
    for (const n of ck.names().sort()) out[n] = fnv((await ck.readRaw(n)).bytes);
    return out;
  } finally {
    await ck.close();
  }
}

async function pageHashes(
  repo: string,
): Promise<{ hashes: Record<string, number>; commit: string; format: string }> {
  return page.evaluate(
    async ({ repo, endpoint, fnvSource }) => {
      const fnvIn = new Function(`return ${fnvSource}`)() as (b: Uint8Array) => number;
      type Api = {
        hubCheckpointFiles(o: object): Promise<{ commit: string }>;
        Checkpoint: {
          open(f: unknown): Promise<{
            format: string;
            names(): string[];
            readRaw(n: string): Promise<{ bytes: Uint8Array }>;
            close(): Promise<void>;
          }>;
        };
      };
      const api = (globalThis as unknown as { __prmConvert: Api }).__prmConvert;
      const files = await api.hubCheckpointFiles({
        repo,
        revision: 'main',
        endpoint,
        http: { backoffMs: 10 },
      });
      const ck = await api.Checkpoint.open(files);
      const hashes: Record<string, number> = {};
      for (const n of ck.names().sort()) hashes[n] = fnvIn((await ck.readRaw(n)).bytes);
      await ck.close();
      return { hashes, commit: files.commit, format: ck.format };
    },
    { repo, endpoint: hub.url, fnvSource: fnv.toString() },
  );
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'prm-hub-read-'));
  const common = { arch: 'qwen2', head: 'qwen-prm', dtype: 'BF16', hidden: 64, heads: 4, seed: 9 } as const;
  await makeTinyCheckpoint({ ...common, dir: join(tmp, 'st'), shards: 2 });
  await makeTinyCheckpoint({ ...common, dir: join(tmp, 'bin'), format: 'bin', shards: 2 });
  hub = await startHubStandIn({ 'test-org/st': join(tmp, 'st'), 'test-org/bin': join(tmp, 'bin') });
  await step('build the engine page', () => buildEngineSite(join(tmp, 'site'), {}));
  site = await step('serve the engine page', () => serveSite(join(tmp, 'site')));
  browser = await step('launch Chromium', () => launchBrowser('wasm'));
  page = await (await browser.newContext()).newPage();
  await step('open the engine page', async () => {
    await page.goto(`${site.url}/`);
    await page.waitForFunction(() => Boolean((globalThis as { __prmConvert?: unknown }).__prmConvert), null, {
      timeout: 60_000,
    });
  });
});

afterAll(async () => {
  if (browser) await closeBrowser(browser);
  await site?.close();
  await hub?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('Hub checkpoints read by range in Chromium', () => {
  it.each([
    ['st', 'safetensors'],
    ['bin', 'pytorch'],
  ])(
    '%s: every tensor equals the local read, weights only by range from the CDN origin',
    async (name, format) => {
      const before = hub.requests.length;
      const got = await step(`read test-org/${name} in the page`, () => pageHashes(`test-org/${name}`));
      expect(got.format).toBe(format);
      expect(got.commit).toBe(hub.commitOf(`test-org/${name}`));
      expect(got.hashes).toEqual(await localHashes(join(tmp, name)));
      const cdn = hub.requests.slice(before).filter((r) => r.origin === 'cdn');
      expect(cdn.length).toBeGreaterThan(0);
      expect(cdn.every((r) => r.range !== null)).toBe(true);
    },
  );

  it('retries a connection dropped mid-range', async () => {
    hub.dropNextRanges(2, 64);
    const before = hub.requests.length;
    const got = await step('read test-org/st in the page, with drops', () => pageHashes('test-org/st'));
    expect(got.hashes).toEqual(await localHashes(join(tmp, 'st')));
    // Each dropped range was asked again from the byte where it stopped (64 bytes in).
    const ranges = hub.requests
      .slice(before)
      .filter((r) => r.origin === 'cdn' && r.range !== 'bytes=0-0')
      .map((r) => r.range!.match(/\d+/g)!.map(Number));
    const resumed = ranges.filter(
      (r, i) => i > 0 && r[0] === ranges[i - 1][0] + 64 && r[1] === ranges[i - 1][1],
    );
    expect(resumed).toHaveLength(2);
  });
});
