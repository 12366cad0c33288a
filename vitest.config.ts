import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    // Servers log JSON lines to stderr by default; tests keep warnings and errors only.
    env: { DARKPATROL_LOG_LEVEL: 'warn' },
  },
});
