/**
 * In-page conversion against `prm convert` on the same checkpoint served by the Hub stand-in
 * (test/support/hub-standin.ts: range requests across a 302 to a second origin):
 *
 *   npx tsx bench/make-synthetic-checkpoint.ts --config skywork1.5b --out .bench/sky15 --layers 2
 *   npm run build && npx tsx bench/convert-page.ts --checkpoint .bench/sky15
 *
 * The 7B: `--config qwen7b --out .bench/qwen7b`, then
 * `npx tsx bench/convert-page.ts --checkpoint .bench/qwen7b --repo Qwen/Qwen2.5-Math-PRM-7B --backend webgpu`:
 * served under the catalog's repo id, so the page converts with the catalog's flags for it
 * (`--quantize-embedding`), which the CLI run gets too; loaded and scored on WebGPU (SwiftShader).
 *
 * 1. `prm convert hf:<repo> --dtype q4 --external-data [catalog flags]` (Node, worker threads as the
 *    CLI picks them): wall time and peak RSS.
 * 2. The built app in headless Chromium (WASM, or `--backend webgpu`): `?convert=<repo>`, Convert,
 *    until `data-conversion="done"` (converted into OPFS and loaded): wall time, and the peak of the
 *    summed RSS of every Chromium process (browser, renderer with its workers, GPU, utility),
 *    sampled every 250 ms from /proc.
 * 3. Every OPFS file's SHA-256 against the CLI's, then one short solution to "What is 2 + 3?" scored
 *    (`--steps`, `|` between steps): its time, and Chromium's CPU seconds every minute meanwhile.
 *
 * Deliberately does not: check scores (random weights; the tests compare with the CLI).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { convertCheckpoint } from '../src/convert/convert.ts';
import { CATALOG } from '../src/core/catalog.ts';
import { PAGE_CONVERT_DTYPES, PAGE_CONVERT_FLAGS } from '../src/core/page-convert.ts';
import { hubCheckpointFiles } from '../src/convert/hub-files.ts';
import { startHubStandIn } from '../test/support/hub-standin.ts';
import { chromium } from 'playwright-core';
import { BASE_FLAGS, CHROMIUM, startPreview, SWIFTSHADER_FLAGS } from '../test/browser/harness.ts';
import { descendants } from './proc.ts';

const { values } = parseArgs({
  options: {
    checkpoint: { type: 'string' },
    repo: { type: 'string', default: 'test-org/bench' },
    backend: { type: 'string', default: 'wasm' },
    /** Keep the CLI's folder here; when it already holds a model, reuse it (no timing then). */
    'cli-out': { type: 'string' },
    /** Steps of the solution scored after loading, separated by `|`. */
    steps: { type: 'string', default: '2 + 3 = 5.|The answer is 5.' },
    /** Seconds to wait for that score. */
    'score-timeout': { type: 'string', default: '3600' },
  },
});
if (!values.checkpoint || (values.backend !== 'wasm' && values.backend !== 'webgpu')) {
  console.error(
    'Usage: npx tsx bench/convert-page.ts --checkpoint DIR [--repo OWNER/NAME] [--backend wasm|webgpu]\n' +
      "  [--cli-out DIR] [--steps 'STEP|STEP'] [--score-timeout S]",
  );
  process.exit(2);
}
const REPO = values.repo!;
const SOLUTION = values.steps!.split('|');
const BACKEND = values.backend as 'wasm' | 'webgpu';
// The flags the page converts this repo with (the catalog's), turned into the CLI's options.
const FLAGS = CATALOG.find((e) => e.repo === REPO && e.revision === 'main')?.convertFlags ?? [];
if (FLAGS.some((f) => f !== '--quantize-embedding')) {
  console.error(
    `bench/convert-page.ts passes only --quantize-embedding to the CLI run; ${REPO} has ${FLAGS.join(' ')}`,
  );
  process.exit(2);
}
const MB = 1024 * 1024;

/** Summed RSS (bytes) of every descendant of this process. */
function descendantsRss(): number {
  return descendants().rss;
}

async function hashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath, e.name);
    out[relative(dir, full)] = createHash('sha256')
      .update(await readFile(full))
      .digest('hex');
  }
  return out;
}

const OPFS_HASHES = `(async () => {
  const out = {};
  const store = await (await navigator.storage.getDirectory()).getDirectoryHandle('prm-converted');
  for await (const [key, dir] of store.entries()) {
    const model = await dir.getDirectoryHandle('model');
    async function walk(d, prefix) {
      for await (const [name, h] of d.entries()) {
        if (h.kind === 'directory') await walk(h, prefix + name + '/');
        else {
          const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', await (await h.getFile()).arrayBuffer()));
          out[prefix + name] = [...hash].map((b) => b.toString(16).padStart(2, '0')).join('');
        }
      }
    }
    await walk(model, '');
  }
  return out;
})()`;

const tmp = await mkdtemp(join(tmpdir(), 'prm-convert-page-bench-'));
const hub = await startHubStandIn({ [REPO]: resolve(values.checkpoint) });
try {
  const cliOut = values['cli-out'] ? resolve(values['cli-out']) : join(tmp, 'cli');
  let t = performance.now();
  if (existsSync(join(cliOut, 'prm.json'))) console.log(`prm convert: reusing ${cliOut} (not timed)`);
  else
    await convertCheckpoint({
      checkpointDir: await hubCheckpointFiles({ repo: REPO, revision: 'main', endpoint: hub.url }),
      outDir: cliOut,
      dtypes: [...PAGE_CONVERT_DTYPES],
      inlineLimit: 0, // --external-data, as the page
      quantizeEmbedding: FLAGS.includes('--quantize-embedding'),
    });
  const cliMs = performance.now() - t;
  const cliRss = process.resourceUsage().maxRSS * 1024;
  if (cliMs > 1000)
    console.log(
      `prm convert hf:${REPO} ${[...PAGE_CONVERT_FLAGS, ...FLAGS].join(' ')}: ${(cliMs / 1000).toFixed(1)} s, peak RSS ${(cliRss / MB).toFixed(0)} MiB`,
    );

  const preview = await startPreview();
  // A profile on disk, as a person's browser has: a fresh context's storage is off the record,
  // and Chromium keeps an off-the-record OPFS in memory.
  const context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [...BASE_FLAGS, ...(BACKEND === 'webgpu' ? SWIFTSHADER_FLAGS : [])],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') console.log(`  console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => console.log(`  page error: ${e.message}`));
    await page.goto(
      `${preview.url}/?convert=${REPO}&endpoint=${encodeURIComponent(hub.url)}${BACKEND === 'webgpu' ? '&backend=webgpu' : ''}`,
    );
    const offer = page.locator(`[data-convert-offer="${REPO}"]`);
    await page.waitForTimeout(3000);
    console.log(
      `storage estimate: ${JSON.stringify(await page.evaluate('navigator.storage.estimate().then((e) => ({ quota: e.quota, usage: e.usage }))'))}`,
    );
    const idle = descendantsRss();
    console.log(`Chromium with the app open, before Convert: ${(idle / MB).toFixed(0)} MiB RSS`);
    let peak = 0;
    let convertPeak = 0;
    let convertMs = 0;
    const message = offer.locator('[data-conversion-message]');
    const sampler = setInterval(() => (peak = Math.max(peak, descendantsRss())), 250);
    const started = Date.now();
    const say = setInterval(() => {
      void message
        .innerText({ timeout: 10_000 })
        .catch((e: Error) => `(no answer from the page: ${e.message.split('\n')[0]})`)
        .then((m) =>
          console.log(
            `  ${((Date.now() - started) / 1000).toFixed(0)} s: ${m.replace(/\s+/g, ' ')} | ${(descendantsRss() / MB).toFixed(0)} MiB`,
          ),
        );
    }, 30_000);
    t = performance.now();
    // The conversion ends where the page starts loading the stored model.
    const converted = (async () => {
      while (
        !/loading it|converted and loaded|error|cancel/i.test(await message.innerText().catch(() => ''))
      ) {
        await new Promise((r) => setTimeout(r, 250));
      }
      convertPeak = peak;
      convertMs = performance.now() - t;
    })();
    await offer.getByRole('button', { name: 'Convert', exact: true }).click();
    const sel = `[data-convert-offer="${REPO}"]`;
    await page
      .locator(`${sel}[data-conversion="done"], ${sel}[data-conversion="error"]`)
      .waitFor({ timeout: 3_600_000 });
    const pageMs = performance.now() - t;
    clearInterval(sampler);
    clearInterval(say);
    await converted;
    console.log(
      `page conversion: ${(convertMs / 1000).toFixed(1)} s, Chromium peak RSS ${(convertPeak / MB).toFixed(0)} MiB`,
    );
    const state = await offer.getAttribute('data-conversion');
    console.log(
      `page: ${state} after ${(pageMs / 1000).toFixed(1)} s (converted and loaded; loading ${((pageMs - convertMs) / 1000).toFixed(1)} s), Chromium peak RSS ${(peak / MB).toFixed(0)} MiB`,
    );
    console.log(`model: ${await page.locator('details.model summary').innerText()}`);
    // The engine's own split of the load (read, prepare, warm-up run), from the model facts.
    const loadFacts = await page
      .locator('dt', { hasText: 'Load time' })
      .locator('xpath=following-sibling::dd[1]')
      .textContent({ timeout: 5_000 })
      .catch(() => null);
    console.log(`engine load time: ${loadFacts?.replace(/\s+/g, ' ').trim() ?? '(not shown)'}`);
    console.log(`page message: ${await offer.locator('[data-conversion-message]').innerText()}`);
    if (state !== 'done') process.exitCode = 1;
    else {
      const page_ = (await page.evaluate(OPFS_HASHES)) as Record<string, string>;
      const cli = await hashes(cliOut);
      const same =
        JSON.stringify(Object.entries(page_).sort()) === JSON.stringify(Object.entries(cli).sort());
      console.log(`files byte-identical to prm convert: ${same} (${Object.keys(cli).join(', ')})`);
      if (!same) process.exitCode = 1;
      await page.getByLabel('Problem').fill('What is 2 + 3?');
      await page.getByLabel('Solution', { exact: true }).fill(SOLUTION.join('\n\n'));
      t = performance.now();
      const cpu0 = descendants().cpuS;
      // Chromium's CPU seconds while the score runs: near 2 per second here means work, near 0 a stall.
      const progress = setInterval(() => {
        const d = descendants();
        console.log(
          `  scoring ${((performance.now() - t) / 1000).toFixed(0)} s: Chromium CPU ${(d.cpuS - cpu0).toFixed(0)} s, ${(d.rss / MB).toFixed(0)} MiB`,
        );
      }, 60_000);
      await page.getByRole('button', { name: 'Score' }).click();
      await page
        .locator('[data-step-index][data-reward]')
        .first()
        .waitFor({ timeout: Number(values['score-timeout']) * 1000 })
        .finally(() => clearInterval(progress));
      console.log(
        `score (${BACKEND}, ${SOLUTION.length} steps): ${((performance.now() - t) / 1000).toFixed(1)} s, Chromium CPU ${(descendants().cpuS - cpu0).toFixed(0)} s`,
      );
    }
  } finally {
    await context.close();
    await preview.close();
  }
} finally {
  await hub.close();
  await rm(tmp, { recursive: true, force: true });
}
