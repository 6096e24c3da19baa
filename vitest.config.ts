// Unit and integration tests: Node environment only (ML code never runs under jsdom: vitest#5183).
// Browser tests (*.browser.test.ts) have their own config: vitest.browser.config.ts.
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import SummaryReporter from './test/support/summary-reporter.ts';

export default defineConfig({
  // Compiles .svelte / .svelte.ts for test/app (heatmap SSR snapshots via svelte/server, runes state).
  plugins: [svelte()],
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
