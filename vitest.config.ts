// Unit and integration tests: Node environment only (ML code never runs under jsdom: vitest#5183).
// Browser tests (*.browser.test.ts) have their own config: vitest.browser.config.ts.
import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/support/summary-reporter.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.browser.test.ts', 'node_modules/**'],
    environment: 'node',
    reporters: ['default', new SummaryReporter('unit')],
    testTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
