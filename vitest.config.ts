import { defineConfig } from 'vitest/config';

// One run covers every part. End-to-end tests share one stack per file and run in their own
// project so unit suites proceed in parallel.
export default defineConfig({
  test: {
    projects: [
      'api/vitest.config.ts',
      'signaling/vitest.config.ts',
      'sfu/vitest.config.ts',
      'recorder/vitest.config.ts',
      'deploy/vitest.config.ts',
      'web/vitest.config.ts',
      'web/vitest.e2e.config.ts',
    ],
  },
});
