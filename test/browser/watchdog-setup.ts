/**
 * Setup file of every browser test file (vitest.browser.config.ts `setupFiles`): tells the
 * harness's watchdog which test or hook phase is running, and fails the test in which the watchdog
 * fired, and every test after it, with the watchdog's message (which names the stalled test and
 * step), so a stalled file ends instead of waiting out each test's timeout.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { watchdog } from './harness.ts';

beforeAll(() => {
  watchdog.enterTest(`${expect.getState().testPath ?? 'this file'}: beforeAll hooks`);
});

beforeEach((ctx) => {
  if (watchdog.fired) throw watchdog.fired;
  watchdog.enterTest(ctx.task.fullTestName ?? ctx.task.name);
});

afterEach((ctx) => {
  watchdog.enterTest(`hooks after "${ctx.task.fullTestName ?? ctx.task.name}"`);
  // A test the watchdog ended has already failed with its error; one that then failed otherwise
  // (a Playwright call rejected once the browser was closed) gets the watchdog's message too.
  const fired = watchdog.fired;
  if (fired && !ctx.task.result?.errors?.some((e) => e.message === fired.message)) throw fired;
});

afterAll(async () => {
  await watchdog.cleanedUp;
  watchdog.stop();
});
