import { defineConfig } from 'vitest/config';

// Files run one at a time: each drives real FFmpeg processes (and the e2e file two Chromiums),
// and they share a 2-core machine with the other suites.
export default defineConfig({
  test: {
    name: 'recorder',
    root: import.meta.dirname,
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/build.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
