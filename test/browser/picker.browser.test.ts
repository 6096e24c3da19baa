/**
 * The model picker leads to real PRMs (issue 14, item 7): the control is visibly "Change model",
 * the catalog is what it shows first (with a fits-this-device verdict per model), and a Hub repo
 * id that is a raw checkpoint is offered for conversion instead of failing; unknown repos and an
 * unreachable Hub give clear messages and leave the current model chosen. The Hub is the local
 * stand-in (test/support/hub-standin.ts), reached through `?endpoint=`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyCheckpoint } from '../convert/tiny-checkpoint.ts';
import { startHubStandIn, type HubStandIn } from '../support/hub-standin.ts';
import { openSession, type BrowserSession } from './harness.ts';

describe('the model picker (built app, Chromium without WebGPU)', () => {
  let s: BrowserSession;
  let hub: HubStandIn;
  let tmp: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'prm-picker-'));
    await makeTinyCheckpoint({ dir: join(tmp, 'raw'), arch: 'qwen2', head: 'qwen-prm' });
    hub = await startHubStandIn({ 'test-org/tiny-raw': join(tmp, 'raw') });
    s = await openSession('wasm');
  });
  afterAll(async () => {
    await s?.close();
    await hub?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('opens on the catalog, with a verdict per model and the conversion command', async () => {
    const { page } = s;
    await page.goto(`${s.url}/?endpoint=${encodeURIComponent(hub.url)}`);
    const summary = page.locator('details.model summary');
    await expect.poll(() => summary.innerText()).toContain('Change model');
    await summary.click();
    expect(await page.getByLabel('Real PRMs (catalog)').isChecked()).toBe(true);
    const rows = page.locator('[data-catalog-repo]');
    expect(await rows.count()).toBeGreaterThanOrEqual(10);
    // No WebGPU here: a 7B is too big for the WASM fallback; a 0.5B runs there.
    const qwen = page.locator('[data-catalog-repo="Qwen/Qwen2.5-Math-PRM-7B"]');
    await expect.poll(() => qwen.getAttribute('data-fit')).toBe('no');
    await expect
      .poll(() =>
        page
          .locator('[data-catalog-repo="plaguss/Qwen2.5-0.5B-Math-Shepherd-PRM-0.2"]')
          .getAttribute('data-fit'),
      )
      .toBe('tight');
    await qwen.getByRole('button').click();
    await expect.poll(() => qwen.innerText()).toContain('too much for the WASM fallback');
    expect(await qwen.locator('pre').innerText()).toBe(
      `npx prm convert hf:Qwen/Qwen2.5-Math-PRM-7B --out models/Qwen2.5-Math-PRM-7B --dtype q4 --external-data --quantize-embedding --endpoint ${hub.url}`,
    );
  });

  it('offers conversion for a raw checkpoint repo and keeps the current model chosen', async () => {
    const { page } = s;
    const summary = page.locator('details.model summary');
    // The bundled model becomes the choice once the worker has listed it; read the choice after that.
    await expect.poll(() => summary.innerText()).toContain('(not loaded yet)');
    const before = await summary.innerText();
    await page.getByLabel('Hugging Face Hub').check();
    await page.getByLabel('Repo id').fill('test-org/tiny-raw');
    await page.getByRole('button', { name: 'Use this repo' }).click();
    const offer = page.locator('[data-convert-offer="test-org/tiny-raw"]');
    await expect.poll(() => offer.count()).toBe(1);
    expect(await offer.locator('pre').innerText()).toBe(
      `npx prm convert hf:test-org/tiny-raw --out models/tiny-raw --dtype q4 --external-data --endpoint ${hub.url}`,
    );
    expect(await summary.innerText()).toBe(before);
    expect(hub.paths).toContain('/api/models/test-org/tiny-raw/tree/main');
  });

  it('says what is wrong for an unknown repo and an unreachable Hub', async () => {
    const { page } = s;
    const alert = page.locator('form.hub [role="alert"]');
    await page.getByLabel('Repo id').fill('test-org/no-such-model');
    await page.getByRole('button', { name: 'Use this repo' }).click();
    await expect
      .poll(() => alert.innerText())
      .toContain('The Hub has no public model "test-org/no-such-model" (HTTP 401)');
    hub.offline = true;
    try {
      await page.getByLabel('Repo id').fill('test-org/tiny-raw');
      await page.getByRole('button', { name: 'Use this repo' }).click();
      await expect
        .poll(() => alert.innerText())
        .toMatch(/Could not reach the Hub at .*Connect to the network/);
      expect(await page.locator('[data-convert-offer]').count()).toBe(0);
    } finally {
      hub.offline = false;
    }
  });
});
