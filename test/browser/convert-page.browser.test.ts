/**
 * In-page conversion (issue 14): `?convert=OWNER/NAME&endpoint=URL` opens the picker on that Hub
 * checkpoint, **Convert** converts it in a worker with the same code as `prm convert` - the
 * weights read by range from the Hub stand-in, across its 302 to the second origin - into the
 * Origin Private File System, and the result becomes the active model. Checked against the CLI:
 * every file byte-identical to what the command the page shows (`prm convert hf:... --dtype q4
 * --external-data`) writes from the same checkpoint, and every reward equal to `prm score --model
 * <that folder>`, on WASM and, loaded from OPFS again, on WebGPU (SwiftShader: Chromium starts
 * with an adapter, Auto picks WASM on a software one and `?backend=webgpu` asks for WebGPU). The
 * stored model survives a reload (the picker's "Converted in this browser" list). A checkpoint
 * whose header lies about a tensor is a clear error with nothing stored; too small a quota
 * (navigator.storage.estimate stubbed in the page) is a message with the bytes needed and nothing
 * written; Cancel while the weights are being read (the stand-in drops them, so the reader is
 * retrying) removes the unfinished folder, which was never listed as a model; a page reloaded
 * while one shard could not be read carries on from the weights already converted and still
 * writes the CLI's bytes. The weights are quantized on nested workers (src/engine/quantize-pool.ts),
 * one per core but one (at most 2), which stop with the conversion. The catalog's RLHFlow row
 * (served under its repo id) converts with the catalog's flags (`--family user-turns
 * --quantize-embedding`) and scores on WebGPU like the CLI.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile, mkdir, mkdtemp, rm, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert/convert.ts';
import { makeTinyCheckpoint, TINY_RLHFLOW } from '../convert/tiny-checkpoint.ts';
import { startHubStandIn, type HubStandIn } from '../support/hub-standin.ts';
import type { Page, Worker } from 'playwright-core';
import { openSession, step, type BrowserSession } from './harness.ts';
import { cliScore, expectRewardsLikeCli, scoreAndWait, typeInput, type CliScore } from './app-hooks.ts';

const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

const RLHFLOW = 'RLHFlow/Llama3.1-8B-PRM-Deepseek-Data';
const PROBLEM = 'Tom has 3 bags of 4 apples. He eats 2. How many apples are left?';
const SOLUTION = '3 x 4 = 12 apples.\n\nHe eats 2, so 12 - 2 = 10.\n\nThe answer is 10.';

async function nodeHashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath, e.name);
    out[relative(dir, full).split('\\').join('/')] = createHash('sha256')
      .update(await readFile(full))
      .digest('hex');
  }
  return out;
}

/**
 * Every file under OPFS folder `dir`, as `<path>` -> sha256 hex, or base64 of the bytes with
 * `bytes` (a string to evaluate in the page: no DOM types here).
 */
const opfsFiles = (dir: string, bytes = false) => `(async () => {
  const out = {};
  const root = await navigator.storage.getDirectory();
  let top;
  try { top = await root.getDirectoryHandle(${JSON.stringify(dir)}); } catch { return out; }
  async function walk(d, prefix) {
    for await (const [name, h] of d.entries()) {
      if (h.kind === 'directory') await walk(h, prefix + name + '/');
      else {
        const data = await (await h.getFile()).arrayBuffer();
        if (${bytes}) {
          let text = '';
          for (const b of new Uint8Array(data)) text += String.fromCharCode(b);
          out[prefix + name] = btoa(text);
        } else {
          const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
          out[prefix + name] = [...hash].map((b) => b.toString(16).padStart(2, '0')).join('');
        }
      }
    }
  }
  await walk(top, '');
  return out;
})()`;

/** Every file under OPFS `prm-converted/`, as `<folder>/<path>` -> sha256 hex. */
const OPFS_HASHES = opfsFiles('prm-converted');

/** Makes the header of `model.safetensors` claim twice the elements for `model.norm.weight`. */
async function lie(dir: string): Promise<void> {
  const file = join(dir, 'model.safetensors');
  const buf = await readFile(file);
  const len = Number(buf.readBigUInt64LE(0));
  const text = buf.subarray(8, 8 + len).toString('utf8');
  const header = JSON.parse(text) as Record<string, { shape: number[] }>;
  const norm = header['model.norm.weight'];
  norm.shape = [norm.shape[0] * 2];
  const lying = JSON.stringify(header);
  expect(lying.length).toBeLessThanOrEqual(len);
  buf.write(lying.padEnd(len, ' '), 8, 'utf8');
  await writeFile(file, buf);
}

describe('converting a Hub checkpoint in the page (built app, Chromium, WASM and WebGPU)', () => {
  let s: BrowserSession;
  let hub: HubStandIn;
  let tmp: string;
  let cliDir: string;
  let shardsCliDir: string;
  /** The app's address without `?backend=webgpu` (pages here run Auto, i.e. WASM, unless asked). */
  let base: string;
  /** `prm score` of PROBLEM/SOLUTION on the CLI's folder, run once for every page that checks it. */
  let cli: Promise<CliScore> | undefined;

  /** Scores PROBLEM/SOLUTION in `page` and checks each step's reward against `prm score`'s. */
  async function scoresLikeCli(page: Page): Promise<void> {
    await typeInput(page, PROBLEM, SOLUTION);
    await scoreAndWait(page);
    cli ??= cliScore(PROBLEM, SOLUTION, ['--model', cliDir, '--dtype', 'q4']);
    await expectRewardsLikeCli(page, await cli);
  }

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'prm-convert-page-'));
    const raw = join(tmp, 'tiny-raw');
    // head_dim 16: GroupQueryAttention needs a multiple of 16.
    await makeTinyCheckpoint({
      dir: raw,
      arch: 'qwen2',
      head: 'qwen-prm',
      dtype: 'BF16',
      hidden: 64,
      heads: 4,
      kvHeads: 2,
      vocab: 96,
      seed: 7,
    });
    await cp(raw, join(tmp, 'tiny-liar'), { recursive: true });
    await lie(join(tmp, 'tiny-liar'));
    // Written by the first test, with the command the page shows.
    cliDir = join(tmp, 'cli', 'tiny-raw');
    // Two shards, weights big enough (hidden 256) that their 4-bit scales go to the data file too.
    const shards = join(tmp, 'tiny-shards');
    await makeTinyCheckpoint({
      dir: shards,
      arch: 'qwen2',
      head: 'qwen-prm',
      dtype: 'BF16',
      shards: 2,
      hidden: 256,
      heads: 4,
      vocab: 96,
    });
    shardsCliDir = join(tmp, 'cli', 'tiny-shards');
    await convertCheckpoint({
      checkpointDir: shards,
      outDir: shardsCliDir,
      dtypes: ['q4'],
      inlineLimit: 0,
      threads: 0,
    });
    // RLHFlow's shape, under the catalog's repo id so the page applies the catalog's flags.
    const rlhflow = join(tmp, 'tiny-rlhflow');
    await makeTinyCheckpoint({ ...TINY_RLHFLOW, dir: rlhflow });
    hub = await startHubStandIn({
      [RLHFLOW]: rlhflow,
      'test-org/tiny-shards': shards,
      'test-org/tiny-raw': raw,
      'test-org/tiny-raw-again': raw,
      'test-org/tiny-raw-cancel': raw,
      'test-org/tiny-raw-pool': raw,
      'test-org/tiny-liar': join(tmp, 'tiny-liar'),
    });
    // With a SwiftShader adapter: Auto runs WASM on it, `?backend=webgpu` runs WebGPU.
    s = await openSession('webgpu');
    base = new URL(s.url).origin;
  });
  afterAll(async () => {
    await s?.close();
    await hub?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  const open = (repo: string) =>
    s.page.goto(`${base}/?convert=${repo}&endpoint=${encodeURIComponent(hub.url)}`);
  const offer = (repo: string) => s.page.locator(`[data-convert-offer="${repo}"]`);

  /** The picker's row for stored model `key` ("Converted in this browser"). */
  async function storedRow(key: string) {
    await s.page.locator('details.model summary').click();
    await s.page.getByLabel('Converted in this browser').check();
    return s.page.locator(`[data-stored-key="${key}"]`);
  }

  async function convert(repo: string, end: 'done' | 'error'): Promise<void> {
    await open(repo);
    await offer(repo).getByRole('button', { name: 'Convert', exact: true }).click();
    await step(`page: convert ${repo}`, () =>
      expect.poll(() => offer(repo).getAttribute('data-conversion'), { timeout: 60_000 }).toBe(end),
    );
  }

  it('writes the same files as `prm convert`, loads them, and scores like `prm score`', async () => {
    const { page } = s;
    await convert('test-org/tiny-raw', 'done');
    const commit = hub.commitOf('test-org/tiny-raw');
    const stored = (await page.evaluate(OPFS_HASHES)) as Record<string, string>;
    const key = `test-org--tiny-raw--${commit.slice(0, 12)}--q4`;
    const inModel: Record<string, string> = {};
    for (const [p, h] of Object.entries(stored)) {
      if (p.startsWith(`${key}/model/`)) inModel[p.slice(`${key}/model/`.length)] = h;
    }
    // The command the offer shows writes the same folder (run here with --out in the test's folder).
    const shown = (await offer('test-org/tiny-raw').locator('pre').innerText()).split(' ');
    expect(shown.slice(0, 3)).toEqual(['npx', 'prm', 'convert']);
    const out = shown.indexOf('--out');
    shown[out + 1] = cliDir;
    await step('prm convert, as the page shows it', () =>
      run(process.execPath, [join(root, 'bin/prm.js'), ...shown.slice(2)], { timeout: 60_000 }),
    );
    expect(inModel).toEqual(await nodeHashes(cliDir));
    expect(Object.keys(stored)).toContain(`${key}/stored.json`);
    // Every weight byte came by range from the CDN origin, after one resolve per file.
    expect(hub.requests.some((r) => r.range && r.origin === 'cdn')).toBe(true);

    // The converted model is the active one: the summary names it and Score uses it.
    await expect
      .poll(() => page.locator('details.model summary').innerText(), { timeout: 30_000 })
      .toContain('tiny-raw · q4 · wasm');
    await scoresLikeCli(page);
  });

  it('keeps the model across a reload: listed with its commit, and Use loads it', async () => {
    const { page } = s;
    await page.goto(base);
    const commit = hub.commitOf('test-org/tiny-raw');
    const row = await storedRow(`test-org--tiny-raw--${commit.slice(0, 12)}--q4`);
    await expect.poll(() => row.innerText()).toContain(`test-org/tiny-raw@${commit.slice(0, 12)}`);
    await row.getByRole('button', { name: 'Use' }).click();
    await expect
      .poll(() => page.locator('details.model summary').innerText(), { timeout: 30_000 })
      .toContain('tiny-raw · q4 · wasm');
  });

  it('loads the stored model on WebGPU and scores like `prm score`', async () => {
    const { page } = s;
    await page.goto(`${base}/?backend=webgpu`);
    const row = await storedRow(`test-org--tiny-raw--${hub.commitOf('test-org/tiny-raw').slice(0, 12)}--q4`);
    await row.getByRole('button', { name: 'Use' }).click();
    await step('page: load the stored model on WebGPU', () =>
      expect
        .poll(() => page.locator('details.model summary').innerText(), { timeout: 60_000 })
        .toContain('tiny-raw · q4 · webgpu'),
    );
    await scoresLikeCli(page);
  });

  it('saves a stored model into a picked folder, which opens as a local folder; never overwrites', async () => {
    const key = `test-org--tiny-raw--${hub.commitOf('test-org/tiny-raw').slice(0, 12)}--q4`;
    const page = await s.context.newPage();
    try {
      // Test seam: a real directory picker needs a person, so it returns an OPFS folder here.
      await page.addInitScript(
        `window.showDirectoryPicker = async () => (await navigator.storage.getDirectory()).getDirectoryHandle('picked', { create: true });`,
      );
      await page.goto(base);
      await page.locator('details.model summary').click();
      await page.getByLabel('Converted in this browser').check();
      const save = page.locator(`[data-stored-key="${key}"]`).getByRole('button', { name: 'Save to folder' });
      await save.click();
      await expect
        .poll(() => page.locator('[data-save-status]').innerText(), { timeout: 30_000 })
        .toContain('Saved test-org/tiny-raw to "picked/tiny-raw"');
      const stored: Record<string, string> = {};
      for (const [p, h] of Object.entries((await page.evaluate(OPFS_HASHES)) as Record<string, string>)) {
        if (p.startsWith(`${key}/model/`)) stored[`tiny-raw/${p.slice(`${key}/model/`.length)}`] = h;
      }
      const saved = (await page.evaluate(opfsFiles('picked'))) as Record<string, string>;
      expect(saved).toEqual(stored);
      expect(Object.keys(saved)).toContain('tiny-raw/prm.json');

      // Again into the same folder: "tiny-raw" is there and not empty, so nothing is written.
      await save.click();
      await expect
        .poll(() => page.locator('.stored [role="alert"]').innerText())
        .toContain('"picked/tiny-raw" already exists and is not empty, so nothing was saved');
      expect(await page.evaluate(opfsFiles('picked'))).toEqual(saved);

      // The saved folder, copied to disk, opens with "A folder on this device" and scores like the CLI.
      const copy = join(tmp, 'saved-copy');
      for (const [p, b64] of Object.entries(
        (await page.evaluate(opfsFiles('picked', true))) as Record<string, string>,
      )) {
        await mkdir(join(copy, p, '..'), { recursive: true });
        await writeFile(join(copy, p), Buffer.from(b64, 'base64'));
      }
      const fresh = await s.context.newPage();
      try {
        await fresh.goto(base);
        await fresh.locator('details.model summary').click();
        await fresh.getByLabel('A folder on this device').check();
        await fresh.getByLabel('Model folder').setInputFiles(join(copy, 'tiny-raw'));
        await fresh.getByRole('button', { name: 'Load model' }).click();
        await expect
          .poll(() => fresh.locator('details.model summary').innerText(), { timeout: 30_000 })
          .toContain('tiny-raw · q4 · wasm');
        await scoresLikeCli(fresh);
      } finally {
        await fresh.close();
      }
    } finally {
      await page.close();
    }
  });

  it('a save that fails midway removes what it wrote and nothing else', async () => {
    const key = `test-org--tiny-raw--${hub.commitOf('test-org/tiny-raw').slice(0, 12)}--q4`;
    const page = await s.context.newPage();
    try {
      // Test seam: the picked folder is an OPFS folder holding a file of the user's, seen through a
      // wrapper whose file writes fail after the first file (as a full disk would).
      await page.addInitScript(`window.showDirectoryPicker = async () => {
        const real = await (await navigator.storage.getDirectory()).getDirectoryHandle('picked-full', { create: true });
        const mine = await real.getFileHandle('keep.txt', { create: true });
        const w = await mine.createWritable(); await w.write('mine'); await w.close();
        let files = 0;
        const wrap = (dir) => ({
          kind: 'directory',
          name: dir.name,
          entries: () => dir.entries(),
          removeEntry: (n, o) => dir.removeEntry(n, o),
          getDirectoryHandle: async (n, o) => wrap(await dir.getDirectoryHandle(n, o)),
          getFileHandle: async (n, o) => {
            const f = await dir.getFileHandle(n, o);
            return { kind: 'file', name: n, createWritable: async () => {
              if (++files > 1) return new WritableStream({ write() { throw new Error('disk full (test)'); } });
              return f.createWritable();
            } };
          },
        });
        return wrap(real);
      };`);
      await page.goto(base);
      await page.locator('details.model summary').click();
      await page.getByLabel('Converted in this browser').check();
      await page
        .locator(`[data-stored-key="${key}"]`)
        .getByRole('button', { name: 'Save to folder' })
        .click();
      await expect
        .poll(() => page.locator('.stored [role="alert"]').innerText(), { timeout: 30_000 })
        .toMatch(
          /Saving test-org\/tiny-raw to "picked-full\/tiny-raw" failed after .*disk full \(test\).*What it had written was removed/,
        );
      expect(Object.keys((await page.evaluate(opfsFiles('picked-full'))) as Record<string, string>)).toEqual([
        'keep.txt',
      ]);
    } finally {
      await page.close();
    }
  });

  it('offers no Save to folder where the browser has no showDirectoryPicker, and says why', async () => {
    const page = await s.context.newPage();
    try {
      await page.addInitScript(`Object.defineProperty(window, 'showDirectoryPicker', { value: undefined });`);
      await page.goto(base);
      await page.locator('details.model summary').click();
      await page.getByLabel('Converted in this browser').check();
      const save = page.locator('[data-stored-key]').first().getByRole('button', { name: 'Save to folder' });
      await expect.poll(() => save.isDisabled()).toBe(true);
      expect(await page.locator('[data-save-unavailable]').innerText()).toContain(
        'needs the File System Access API (showDirectoryPicker), which this browser lacks',
      );
    } finally {
      await page.close();
    }
  });

  it('stops at a checkpoint whose header lies, and stores nothing', async () => {
    const before = Object.keys((await s.page.evaluate(OPFS_HASHES)) as Record<string, string>);
    await convert('test-org/tiny-liar', 'error');
    const message = await offer('test-org/tiny-liar').locator('[data-conversion-message]').innerText();
    expect(message).toMatch(/model\.norm\.weight.*needs \d+/);
    expect(Object.keys((await s.page.evaluate(OPFS_HASHES)) as Record<string, string>)).toEqual(before);
  });

  it('refuses when the quota is too small, saying how many bytes it needs, and writes nothing', async () => {
    const page = await s.context.newPage();
    try {
      await page.addInitScript(`navigator.storage.estimate = async () => ({ usage: 0, quota: 1000 });`);
      const before = Object.keys((await s.page.evaluate(OPFS_HASHES)) as Record<string, string>);
      const repo = 'test-org/tiny-raw-again';
      await page.goto(`${base}/?convert=${repo}&endpoint=${encodeURIComponent(hub.url)}`);
      const o = page.locator(`[data-convert-offer="${repo}"]`);
      await o.getByRole('button', { name: 'Convert', exact: true }).click();
      await expect.poll(() => o.getAttribute('data-conversion'), { timeout: 60_000 }).toBe('error');
      const message = await o.locator('[data-conversion-message]').innerText();
      const needed = Number(/\((\d+) bytes\)/.exec(message)?.[1]);
      expect(needed).toBeGreaterThan(1000);
      expect(message).toContain('may store only 1000 bytes more');
      expect(Object.keys((await page.evaluate(OPFS_HASHES)) as Record<string, string>)).toEqual(before);
    } finally {
      await page.close();
    }
  });

  it('cancels mid-download: the unfinished folder is never a model and is removed', async () => {
    const { page } = s;
    const repo = 'test-org/tiny-raw-cancel';
    const key = `test-org--tiny-raw-cancel--${hub.commitOf(repo).slice(0, 12)}--q4`;
    const files = async () => Object.keys((await page.evaluate(OPFS_HASHES)) as Record<string, string>);
    await open(repo);
    // Headers (small ranges) pass; every weight range is dropped, so the reader keeps retrying.
    hub.dropNextRanges(100, 20_000);
    try {
      await offer(repo).getByRole('button', { name: 'Convert', exact: true }).click();
      await expect
        .poll(async () => (await files()).some((f) => f.startsWith(`${key}/model/`)), { timeout: 30_000 })
        .toBe(true);
      expect(await files()).not.toContain(`${key}/stored.json`);
      expect(await offer(repo).getAttribute('data-conversion')).toBe('running');
      await offer(repo).getByRole('button', { name: 'Cancel' }).click();
      await expect.poll(() => offer(repo).getAttribute('data-conversion'), { timeout: 30_000 }).toBe('error');
      expect(await offer(repo).locator('[data-conversion-message]').innerText()).toContain('cancelled');
      expect((await files()).filter((f) => f.startsWith(`${key}/`))).toEqual([]);
    } finally {
      hub.dropNextRanges(0, 0);
    }
  });

  it('carries on after a reload from the weights already converted, to the same bytes', async () => {
    const { page } = s;
    const repo = 'test-org/tiny-shards';
    const key = `test-org--tiny-shards--${hub.commitOf(repo).slice(0, 12)}--q4`;
    const sizes = async () =>
      (await page.evaluate(`(async () => {
        const out = {};
        try {
          const dir = await (await (await navigator.storage.getDirectory()).getDirectoryHandle('prm-converted')).getDirectoryHandle('${key}');
          for await (const [name, h] of dir.entries()) if (h.kind === 'file') out[name] = (await h.getFile()).size;
        } catch {}
        return out;
      })()`)) as Record<string, number>;
    // The second shard's weights cannot be read (its header can): the first shard's get converted.
    hub.blockRanges = { path: 'model-00002-of-00002.safetensors', minBytes: 100_000 };
    try {
      await open(repo);
      await offer(repo).getByRole('button', { name: 'Convert', exact: true }).click();
      await expect.poll(async () => (await sizes())['jobs.bin'] ?? 0, { timeout: 30_000 }).toBeGreaterThan(0);
      await page.reload();
    } finally {
      hub.blockRanges = null;
    }
    expect(Object.keys(await sizes())).not.toContain('stored.json');
    await convert(repo, 'done');
    const resumed = /Carrying on from the unfinished conversion \((\d+) weights already converted\)/.exec(
      await offer(repo).locator('[data-conversion-note]').innerText(),
    );
    expect(Number(resumed?.[1])).toBeGreaterThan(0);
    const stored = (await page.evaluate(OPFS_HASHES)) as Record<string, string>;
    const inModel: Record<string, string> = {};
    for (const [p, h] of Object.entries(stored)) {
      if (p.startsWith(`${key}/model/`)) inModel[p.slice(`${key}/model/`.length)] = h;
    }
    expect(inModel).toEqual(await nodeHashes(shardsCliDir));
    expect(Object.keys(await sizes()).sort()).toEqual(['stored.json']);
  });

  it('quantizes on nested workers, one per core but one (1 or 2), which stop with the conversion', async () => {
    const { page } = s;
    const started: Worker[] = [];
    let closed = 0;
    const onWorker = (w: Worker) => {
      if (!/\/quantize-worker-[^/]*\.js$/.test(w.url())) return;
      started.push(w);
      w.on('close', () => closed++);
    };
    page.on('worker', onWorker);
    try {
      await convert('test-org/tiny-raw-pool', 'done');
    } finally {
      page.off('worker', onWorker);
    }
    const cores = (await page.evaluate('navigator.hardwareConcurrency')) as number;
    expect(started).toHaveLength(Math.min(2, Math.max(1, cores - 1)));
    await expect.poll(() => closed, { timeout: 10_000 }).toBe(started.length);
  });

  it("converts the catalog's RLHFlow row with its flags and scores it on WebGPU like `prm score`", async () => {
    const { page } = s;
    await page.goto(`${base}/?backend=webgpu&convert=${RLHFLOW}&endpoint=${encodeURIComponent(hub.url)}`);
    const shown = (await offer(RLHFLOW).locator('pre').innerText()).split(' ');
    expect(shown.join(' ')).toContain('--family user-turns --quantize-embedding');
    // The CLI converts and scores while the page does the same.
    const dir = join(tmp, 'cli', 'rlhflow');
    shown[shown.indexOf('--out') + 1] = dir;
    const cliDone = run(process.execPath, [join(root, 'bin/prm.js'), ...shown.slice(2)], {
      timeout: 60_000,
    }).then(() => cliScore(PROBLEM, SOLUTION, ['--model', dir, '--dtype', 'q4']));
    await offer(RLHFLOW).getByRole('button', { name: 'Convert', exact: true }).click();
    await step(`page: convert ${RLHFLOW}`, () =>
      expect.poll(() => offer(RLHFLOW).getAttribute('data-conversion'), { timeout: 60_000 }).toBe('done'),
    );
    await step('page: load the converted model on WebGPU', () =>
      expect
        .poll(() => page.locator('details.model summary').innerText(), { timeout: 60_000 })
        .toContain('Llama3.1-8B-PRM-Deepseek-Data · q4 · webgpu'),
    );
    await typeInput(page, PROBLEM, SOLUTION);
    await scoreAndWait(page);
    const cli = await cliDone;
    const key = `RLHFlow--Llama3.1-8B-PRM-Deepseek-Data--${hub.commitOf(RLHFLOW).slice(0, 12)}--q4`;
    const stored = (await page.evaluate(OPFS_HASHES)) as Record<string, string>;
    const inModel: Record<string, string> = {};
    for (const [p, h] of Object.entries(stored)) {
      if (p.startsWith(`${key}/model/`)) inModel[p.slice(`${key}/model/`.length)] = h;
    }
    expect(inModel).toEqual(await nodeHashes(dir));
    expect(JSON.parse(await readFile(join(dir, 'prm.json'), 'utf8')).family).toBe('user-turns');
    await expectRewardsLikeCli(page, cli);
  });
});
