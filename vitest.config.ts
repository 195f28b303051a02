import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores here: run files in parallel processes, but not so many that the
    // embedded PostgreSQL and Chromium tests starve each other.
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['test/helpers/postgres-global.ts', 'test/helpers/dashboard-build-global.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
