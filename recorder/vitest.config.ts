import { defineConfig } from 'vitest/config';

// The recorder's own files, two at a time: each drives real FFmpeg processes in real time (RTP at
// wall-clock rate, 2 s segments), so a file mostly waits (failover + operability used ~0.3 of a
// core). Every file has its own ports (freePort), directories (mkdtemp) and processes, so two
// never share anything. Its own group (groupOrder): vitest runs projects of different parallelism
// one group after another. The files with browsers are the recorder-e2e project
// (vitest.e2e.config.ts), one at a time.
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
    maxWorkers: 2,
    sequence: { groupOrder: 1 },
  },
});
