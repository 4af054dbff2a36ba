import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global-build.ts', 'test/setup/global-postgres.ts'],
    // PGlite start-up and the end-to-end runs are seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
    // picocolors turns colour on when CI is set; the CLI's output is asserted as plain text.
    env: { NO_COLOR: '1' },
  },
});
