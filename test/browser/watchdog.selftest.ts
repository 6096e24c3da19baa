/**
 * A deliberately stalling browser test, outside the gate's include glob: `npm run test:stress --
 * --selftest` runs it (vitest.browser.config.ts includes only this file when PRM_WATCHDOG_SELFTEST
 * is set) with a short PRM_TEST_WATCHDOG_S and checks that the run fails within the watchdog's time
 * with a message naming this test and step, instead of hanging.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowser, launchBrowser, step, watchServer } from './harness.ts';

describe('watchdog self-test', () => {
  let browser: Browser;
  let page: Page;
  let closeServer: () => Promise<void>;
  beforeAll(async () => {
    // A server the page keeps a connection to, so closing it must drop a live socket.
    const server = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end('<!doctype html><title>stall</title><script>console.error("self-test page loaded")</script>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closeServer = watchServer(server, 'self-test server');
    browser = await launchBrowser('wasm');
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  });
  afterAll(async () => {
    if (browser) await closeBrowser(browser);
    await closeServer?.();
  });

  it('awaits a page promise that never settles', async () => {
    await step('page: a promise that never settles', () => page.evaluate(() => new Promise(() => undefined)));
    expect.unreachable('the page promise never settles');
  });

  it('runs after the stall and fails at once', async () => {
    await step('never started: the watchdog already fired', () => page.evaluate(() => 1));
  });
});
