/**
 * The page on a vLLM server (issue 17): "vLLM server" in the model panel connects to the local
 * stand-in (test/support/vllm-standin.ts, serving the bundled model through onnxruntime-node),
 * the header says the backend is remote and that the text is sent to that server, and the
 * rewards the page shows are the CLI's for the same input. A server that does not allow the
 * page's origin (CORS) gives the `--allowed-origins` flag to start vLLM with.
 */
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVllmStandIn, type VllmStandIn } from '../support/vllm-standin.ts';
import { bundled, cliScore, expectRewardsLikeCli, scoreAndWait, typeInput } from './app-hooks.ts';
import { openSession, type BrowserSession } from './harness.ts';

const PROBLEM = 'A bakery makes 24 muffins a day for 5 days. It sells 98 of them. How many muffins are left?';
const SOLUTION = '24 × 5 = 120 muffins.\n\n120 - 98 = 22 muffins.\n\nThe answer is 22.';
const NAME = 'bundled-on-vllm';

describe.skipIf(!bundled)('the page on a vLLM server (built app, stand-in server)', () => {
  let s: BrowserSession;
  let vllm: VllmStandIn;
  let closed: VllmStandIn;
  const dir = join(resolve(import.meta.dirname, '../..'), 'models', bundled ?? '');

  beforeAll(async () => {
    vllm = await startVllmStandIn({ modelDir: dir, servedName: NAME });
    closed = await startVllmStandIn({ modelDir: dir, servedName: NAME, allowedOrigins: [] });
    s = await openSession('wasm');
  });
  afterAll(async () => {
    await s?.close();
    await vllm?.close();
    await closed?.close();
  });

  async function connect(url: string): Promise<void> {
    const { page } = s;
    const panel = page.locator('details.model');
    if ((await panel.getAttribute('open')) === null) await panel.locator('summary').click();
    await page.getByLabel('vLLM server').check();
    // The prompt comes from the model chosen before: wait for the page's default (the bundled
    // model) to be chosen, as a user sees its name in the form, or Connect asks for one first.
    await expect
      .poll(() => page.locator('[data-server-form]').innerText(), { timeout: 30_000 })
      .toContain(`Prompts are built here with ${bundled}`);
    await page.getByLabel('Server URL').fill(url);
    await page.getByLabel('Model name').fill(NAME);
    await page.getByLabel('Send the problem and steps to this server when I press Score').check();
    await page.getByRole('button', { name: 'Connect' }).click();
  }

  it('scores on the server after a check, says the text leaves the device, and matches prm score', async () => {
    const { page } = s;
    await page.goto(s.url);
    await typeInput(page, PROBLEM, SOLUTION);
    const before = vllm.calls.length;
    await connect(`${vllm.url}/v1`);
    await expect
      .poll(() => page.locator('[data-backend]').first().getAttribute('data-backend'))
      .toBe('remote');
    const notice = page.locator('[data-remote-notice]');
    expect(await notice.innerText()).toBe(`Remote: your text is sent to ${vllm.url}`);
    // The notice shows as soon as the server is chosen; connecting sends only the probe.
    await expect.poll(() => vllm.calls.length - before).toBe(1);
    expect(vllm.paths).toContain('/v1/models');
    expect(JSON.stringify(vllm.calls.at(-1)?.input)).not.toContain('muffins');
    await expect
      .poll(() => page.locator('details.model summary').innerText())
      .toContain(`${NAME} · vllm · remote`);
    await scoreAndWait(page);
    expect(vllm.calls.length - before).toBe(2);
    expect(vllm.calls.at(-1)?.origin).toBe(new URL(s.url).origin);
    const cli = await cliScore(PROBLEM, SOLUTION);
    await expectRewardsLikeCli(page, cli, 1e-6);
    if (process.env.VLLM_SHOT) {
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({ path: process.env.VLLM_SHOT });
    }
    expect(s.errors).toEqual([]);
  });

  it('names the --allowed-origins flag when the server does not allow this page (CORS)', async () => {
    const { page } = s;
    await page.goto(s.url);
    await connect(closed.url);
    const origin = new URL(s.url).origin;
    await expect
      .poll(() => page.locator('body').innerText(), { timeout: 30_000 })
      .toContain(`--allowed-origins '["${origin}"]'`);
  });

  it('refuses a server elsewhere with the tunnel to use, as the page may only reach this machine', async () => {
    const { page } = s;
    await page.goto(s.url);
    await connect('http://gpu-node.example:8000');
    await expect
      .poll(() => page.locator('[data-server-form] [role="alert"]').innerText())
      .toContain('ssh -N -L 8000:127.0.0.1:8000 gpu-node.example');
  });
});
