// Browser tests: Node drives Debian's Chromium through playwright-core against a production build
// served locally (see test/browser/harness.ts). Run after `npm run build`.
import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/support/summary-reporter.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.browser.test.ts'],
    environment: 'node',
    reporters: ['default', new SummaryReporter('browser')],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
