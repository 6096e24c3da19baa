/**
 * The Evaluate view in Chromium, WebGPU (SwiftShader) and WASM modes, against the production build.
 *
 * 1. A predictions file made here (no model): the F1 table must equal core `evaluate()` run in this
 *    process, the threshold slider must re-derive the numbers from the stored rewards, results must
 *    survive a reload, and a bad file must be reported by line without losing what was loaded.
 * 2. Five gsm8k items of ProcessBench (read from ../shared/processbench, handed to the page as a
 *    buffer; never copied into the project) scored in the page's worker with the bundled model
 *    must match `prm eval` on the same items within 1e-4 on every reward. Needs a bundled model in
 *    models/ and the CLI; it is skipped, with the reason in its name, while either is missing.
 * 3. With the model: Cancel stops a run between items, keeps what was scored, and Score goes on
 *    with the rest.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate, type Evaluation } from '../../src/core/metrics.ts';
import { parsePredictions, parseProcessBench, type PredictionRecord } from '../../src/core/processbench.ts';
import { firstError } from '../../src/core/rewards.ts';
import { openSession, step, type BrowserMode, type BrowserSession } from './harness.ts';

const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const GSM8K = resolve(root, '../shared/processbench/gsm8k.json');
const bundledModel = existsSync(join(root, 'models'))
  ? readdirSync(join(root, 'models')).find((d) => existsSync(join(root, 'models', d, 'prm.json')))
  : undefined;
const canRunModel = bundledModel !== undefined && existsSync(GSM8K) && existsSync(join(root, 'bin/prm.js'));

/** Deterministic rewards: a small LCG, so the file is the same on every run. */
function makePredictions(): PredictionRecord[] {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const out: PredictionRecord[] = [];
  for (const [subset, n] of [
    ['alpha', 30],
    ['beta', 20],
  ] as const) {
    for (let i = 0; i < n; i++) {
      const steps = 2 + Math.floor(rand() * 6);
      const label = rand() < 0.45 ? -1 : Math.floor(rand() * steps);
      const rewards = Array.from({ length: steps }, (_, j) => {
        const near = label !== -1 && Math.abs(j - label) <= 1;
        return Math.round((near ? rand() * 0.8 : 0.3 + rand() * 0.7) * 1e6) / 1e6;
      });
      out.push({ id: `${subset}-${i}`, subset, label, prediction: firstError(rewards, 0.5), rewards });
    }
  }
  return out;
}

const at = (preds: PredictionRecord[], t: number): Evaluation =>
  evaluate(preds.map((p) => ({ subset: p.subset, label: p.label, prediction: firstError(p.rewards, t) })));

async function readTable(view: Locator): Promise<Record<string, Record<string, number>>> {
  return view.locator('[data-f1-table]').evaluate((table) => {
    const out: Record<string, Record<string, number>> = {};
    for (const row of table.querySelectorAll('tr[data-subset]')) {
      const cells: Record<string, number> = {};
      for (const cell of row.querySelectorAll('[data-metric]')) {
        cells[cell.getAttribute('data-metric') as string] = Number(cell.getAttribute('data-value'));
      }
      out[row.getAttribute('data-subset') as string] = cells;
    }
    return out;
  });
}

function expectTable(table: Record<string, Record<string, number>>, e: Evaluation): void {
  expect(Object.keys(table).sort()).toEqual([...e.subsets.map((s) => s.subset), 'average'].sort());
  for (const s of e.subsets) {
    expect(table[s.subset].n).toBe(s.n);
    for (const key of ['acc_error', 'acc_correct', 'f1'] as const) {
      if (Number.isNaN(s[key])) expect(table[s.subset][key]).toBeNaN();
      else expect(table[s.subset][key]).toBeCloseTo(s[key], 12);
    }
  }
  expect(table.average.average_f1).toBeCloseTo(e.average_f1, 12);
}

async function openEvaluate(page: Page, url: string): Promise<Locator> {
  await page.goto(url);
  await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Evaluate' }).click();
  const view = page.locator('[data-view="evaluate"]');
  await view.waitFor();
  return view;
}

const file = (name: string, text: string) => ({
  name,
  mimeType: 'application/json',
  buffer: Buffer.from(text),
});

describe.each<BrowserMode>(['webgpu', 'wasm'])('Evaluate view in Chromium (%s)', (mode) => {
  let s: BrowserSession;
  beforeAll(async () => {
    s = await openSession(mode);
  });
  afterAll(async () => s?.close());

  const preds = makePredictions();
  const jsonl = preds.map((p) => JSON.stringify({ ...p, model: 'test' })).join('\n') + '\n';

  it('shows the F1 table of a predictions file exactly as core evaluate() computes it', async () => {
    const view = await openEvaluate(s.page, s.url);
    await view.getByLabel('Load an evaluation file').setInputFiles(file('preds.jsonl', jsonl));
    await view.locator('[data-f1-table]').waitFor();
    expect(await view.locator('output[data-threshold]').getAttribute('data-threshold')).toBe('0.5');
    expectTable(await readTable(view), evaluate(preds));
    expect(await view.locator('[data-miss]').count()).toBe(
      Math.min(20, preds.filter((p) => p.prediction !== p.label).length),
    );
  });

  it('re-derives every number from the stored rewards when the threshold moves', async () => {
    const view = s.page.locator('[data-view="evaluate"]');
    const before = await readTable(view);
    await view.getByRole('slider', { name: 'Threshold' }).fill('0.3');
    await expect
      .poll(() => view.locator('output[data-threshold]').getAttribute('data-threshold'))
      .toBe('0.3');
    const after = await readTable(view);
    expectTable(after, at(preds, 0.3));
    expect(after.average.average_f1).not.toBe(before.average.average_f1);
    const misses = preds.filter((p) => firstError(p.rewards, 0.3) !== p.label);
    const alarms = misses.filter((p) => p.label === -1).length;
    await view.locator('[data-miss-kind-filter]').selectOption('false-alarm');
    await expect.poll(() => view.locator('[data-miss]').count()).toBe(Math.min(20, alarms));
  });

  it('reports a bad file by line and keeps what was loaded', async () => {
    const view = s.page.locator('[data-view="evaluate"]');
    const bad = `${JSON.stringify(preds[0])}\n${JSON.stringify(preds[1])}\n{"id":"x","label":0,"prediction":0,"rewards":[2]}\n`;
    await view.getByLabel('Load an evaluation file').setInputFiles(file('broken.jsonl', bad));
    await expect
      .poll(() => view.locator('[data-file-error]').textContent())
      .toContain('broken.jsonl line 3: field "rewards" must be a list of numbers between 0 and 1');
    expectTable(await readTable(view), at(preds, 0.3));
  });

  it('keeps the results and the threshold across a reload', async () => {
    const view = s.page.locator('[data-view="evaluate"]');
    await expect
      .poll(() => view.locator('[data-save-status]').textContent())
      .toContain('Kept in this browser');
    const reloaded = await openEvaluate(s.page, s.url);
    await reloaded.locator('[data-f1-table]').waitFor();
    expect(await reloaded.locator('output[data-threshold]').getAttribute('data-threshold')).toBe('0.3');
    expectTable(await readTable(reloaded), at(preds, 0.3));
  });

  it.skipIf(!canRunModel)(
    `scores 5 gsm8k items in the worker and matches prm eval within 1e-4${canRunModel ? '' : ' (SKIPPED: no bundled model in models/ yet)'}`,
    async () => {
      const items = (JSON.parse(readFileSync(GSM8K, 'utf8')) as unknown[]).slice(0, 5);
      const dir = mkdtempSync(join(tmpdir(), 'prm-eval-browser-'));
      const data = join(dir, 'gsm8k.json');
      const out = join(dir, 'preds.jsonl');
      writeFileSync(data, JSON.stringify(items));
      await step(
        'prm eval --limit 5',
        () =>
          run('node', ['bin/prm.js', 'eval', '--data', data, '--limit', '5', '--out', out, '--json'], {
            cwd: root,
            timeout: 150_000,
            killSignal: 'SIGKILL',
          }),
        160_000,
      );
      // The CLI writes in its batch order (sorted by length); compare by id.
      const cli = new Map(parsePredictions(readFileSync(out, 'utf8'), out).map((p) => [p.id, p]));
      const ids = parseProcessBench(JSON.stringify(items), 'gsm8k.json').map((it) => it.id);
      expect([...cli.keys()].sort()).toEqual([...ids].sort());

      const context = await s.browser.newContext({ acceptDownloads: true });
      const page = await context.newPage();
      try {
        const view = await openEvaluate(page, s.url);
        await view
          .getByLabel('Load an evaluation file')
          .setInputFiles(file('gsm8k.json', JSON.stringify(items)));
        await view.getByRole('button', { name: 'Score 5 items' }).click();
        await step(
          'page: score 5 ProcessBench items',
          async () => {
            await view.locator('[data-f1-table]').waitFor({ timeout: 150_000 });
            await expect
              .poll(() => view.locator('[data-run-progress]').count(), { timeout: 150_000 })
              .toBe(0);
          },
          310_000,
        );
        // The demo model declares its domain; gsm8k lies outside it.
        const notice = await view.locator('[data-domain-notice]').innerText();
        expect(notice).toContain("This dataset is outside the model's domain.");
        expect(notice).toContain(`5 of 5 items are unlike the text ${bundledModel} was trained on`);
        expect(notice).toContain('load a real PRM');
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          view.getByRole('button', { name: 'Export predictions (JSONL)' }).click(),
        ]);
        const browser = parsePredictions(readFileSync(await download.path(), 'utf8'), 'browser.jsonl');
        expect(browser.map((p) => p.id)).toEqual(ids);
        for (const b of browser) {
          const c = cli.get(b.id)!;
          expect(b.rewards).toHaveLength(c.rewards.length);
          b.rewards.forEach((r, j) =>
            expect(Math.abs(r - c.rewards[j]), `${b.id} step ${j + 1}`).toBeLessThan(1e-4),
          );
          expect(b.prediction).toBe(c.prediction);
        }
      } finally {
        await context.close();
      }
    },
    300_000,
  );

  it.skipIf(!canRunModel)(
    `cancels a run keeping what was scored, then scores the rest${canRunModel ? '' : ' (SKIPPED: no bundled model in models/ yet)'}`,
    async () => {
      // Fewer items on WebGPU, which is SwiftShader on the CPU here: the bundled model's open
      // vocabulary reads a gsm8k item in about 500 tokens.
      const N = mode === 'webgpu' ? 10 : 20;
      const items = (JSON.parse(readFileSync(GSM8K, 'utf8')) as unknown[]).slice(0, N);
      const page = await s.context.newPage();
      try {
        const view = await openEvaluate(page, s.url);
        await view
          .getByLabel('Load an evaluation file')
          .setInputFiles(file('cancel.json', JSON.stringify(items)));
        await view.getByRole('button', { name: `Score ${N} items` }).click();
        await step(
          'page: wait for the first scored item',
          () =>
            expect
              .poll(
                () =>
                  view
                    .locator('[data-run-progress] .text')
                    .textContent({ timeout: 1000 })
                    .catch(() => ''),
                {
                  timeout: 150_000,
                  interval: 50,
                },
              )
              .toMatch(new RegExp(`^[1-9]\\d* / ${N} items`)),
          160_000,
        );
        await view.locator('[data-run-progress]').getByRole('button', { name: 'Cancel' }).click();
        await view.locator('[data-run-progress]').waitFor({ state: 'detached' });
        const notice =
          (await view.getByRole('status').filter({ hasText: 'Cancelled after' }).textContent()) ?? '';
        const done = Number(new RegExp(`Cancelled after (\\d+) of ${N}`).exec(notice)?.[1]);
        expect(done).toBeGreaterThan(0);
        expect(done).toBeLessThan(N);
        await view.getByRole('button', { name: `Score ${N - done} items` }).click();
        await step(
          'page: score the remaining items',
          () =>
            expect
              .poll(() => view.locator('[data-dataset] .files').textContent(), { timeout: 150_000 })
              .toContain(`cancel ${N}/${N} scored`),
          160_000,
        );
      } finally {
        await page.close();
      }
    },
    300_000,
  );
});
