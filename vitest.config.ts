import { defineConfig } from 'vitest/config';
import { COVERAGE_PARTS } from './coverage.thresholds.ts';

// One run covers every part. End-to-end tests share one stack per file and run in their own
// project so unit suites proceed in parallel.
//
// Coverage (V8) is off by default so a single file runs as before; `npm test` turns it on
// (scripts/test.sh), and scripts/coverage-summary.ts holds the per-part thresholds of
// coverage.thresholds.ts.
export default defineConfig({
  test: {
    projects: [
      'api/vitest.config.ts',
      'signaling/vitest.config.ts',
      'sfu/vitest.config.ts',
      'recorder/vitest.config.ts',
      'deploy/vitest.config.ts',
      'sdk/vitest.config.ts',
      'web/vitest.config.ts',
      'web/vitest.e2e.config.ts',
    ],
    coverage: {
      provider: 'v8',
      reportsDirectory: '.duet/coverage',
      // Paths are relative to the root (a whole run) or to each project's root (`--project x`).
      include: [...Object.keys(COVERAGE_PARTS).map((part) => `${part}/src/**/*.{ts,tsx}`), 'src/**/*.{ts,tsx}'],
      exclude: ['**/*.d.ts', '**/deploy/src/testing/**', 'src/testing/**'],
      reporter: [['json-summary'], ['json'], ['text', { file: 'coverage.txt' }]],
      // The per-part summary must print (and hold its thresholds) even when a test failed.
      reportOnFailure: true,
    },
  },
});
