// Browser tests: Node drives Debian's Chromium through playwright-core against a production build
// served locally (see test/browser/harness.ts). Run after `npm run build`.
import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/support/summary-reporter.ts';

export default defineConfig({
  test: {
    // PRM_WATCHDOG_SELFTEST runs only the deliberately stalling file (`npm run test:stress --
    // --selftest`); the gate never includes it.
    include: process.env.PRM_WATCHDOG_SELFTEST
      ? ['test/browser/watchdog.selftest.ts']
      : ['test/**/*.browser.test.ts'],
    environment: 'node',
    // Feeds the harness's stall watchdog (fires after PRM_TEST_WATCHDOG_S, default 150 s, of silence).
    setupFiles: ['test/browser/watchdog-setup.ts'],
    reporters: ['default', new SummaryReporter('browser')],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Bounds closing the test processes once their files are done.
    teardownTimeout: 30_000,
    fileParallelism: false,
  },
});
