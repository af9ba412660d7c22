import { defineConfig } from 'vitest/config';

// The recorder's own files, one at a time: each drives real FFmpeg processes fed real-time RTP,
// and several check segment counts and durations that a starved FFmpeg misses. Two at a time
// (maxWorkers: 2 with its own sequence.groupOrder) saved ~2 minutes and passed at load ~10, but
// faults and pipeline failed at load ~17 (docs/testing.md). The files with browsers are the
// recorder-e2e project (vitest.e2e.config.ts); both run in the media lane of scripts/test.sh.
export default defineConfig({
  test: {
    name: 'recorder',
    root: import.meta.dirname,
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.e2e.test.ts'],
    globalSetup: ['test/support/build.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
