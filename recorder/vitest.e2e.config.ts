import { defineConfig } from 'vitest/config';

// Recording real lessons: two Chromiums, a whole stack and FFmpeg per file, so one file at a time
// (with the web e2e files, in the media lane of scripts/test.sh).
export default defineConfig({
  test: {
    name: 'recorder-e2e',
    root: import.meta.dirname,
    include: ['test/**/*.e2e.test.ts'],
    globalSetup: ['test/support/build.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
