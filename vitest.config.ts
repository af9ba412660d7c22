import { defineConfig } from 'vitest/config';
import { CHILD_BUNDLES, COVERAGE_PARTS } from './coverage.thresholds.ts';

// One config covers every part; `vitest run <file>` picks the file's project from here.
//
// `npm test` (scripts/test.sh) runs the projects as two lanes side by side, two vitest processes
// each in its own lo-only namespace (no port or namespace shared between them), selected by
// DUET_TEST_LANE and merged afterwards (blob reports, coverage included):
//   media  the recorder's files (real-time RTP into FFmpeg) and the files with browsers,
//          recorder-e2e and e2e (two browsers and a stack each), one at a time
//   core   everything else, one file at a time (scripts/test.sh passes --maxWorkers, 1 unless
//          DUET_CORE_WORKERS says otherwise)
// Vitest runs projects of different parallelism one group after the other, never side by side,
// so in one process the media files would idle the second core for ~10 minutes. A new project
// lands in `core` unless it is listed in MEDIA_LANE.
//
// Coverage (V8) is off by default so a single file runs as before; `npm test` turns it on
// (scripts/test.sh), and scripts/coverage-summary.ts holds the per-part thresholds of
// coverage.thresholds.ts.
const PROJECTS = [
  'api/vitest.config.ts',
  'signaling/vitest.config.ts',
  'sfu/vitest.config.ts',
  'recorder/vitest.config.ts',
  'recorder/vitest.e2e.config.ts',
  'deploy/vitest.config.ts',
  'web/vitest.config.ts',
  'web/vitest.e2e.config.ts',
];
const MEDIA_LANE = ['recorder/vitest.config.ts', 'recorder/vitest.e2e.config.ts', 'web/vitest.e2e.config.ts'];
const LANES: Record<string, string[]> = {
  media: MEDIA_LANE,
  core: PROJECTS.filter((p) => !MEDIA_LANE.includes(p)),
};
const lane = process.env.DUET_TEST_LANE;
if (lane && !LANES[lane]) throw new Error(`DUET_TEST_LANE=${lane}: expected one of ${Object.keys(LANES).join(', ')}`);

export default defineConfig({
  test: {
    projects: lane ? LANES[lane] : PROJECTS,
    coverage: {
      provider: 'v8',
      reportsDirectory: '.duet/coverage',
      // Paths are relative to the root (a whole run) or to each project's root (`--project x`).
      include: [...Object.keys(COVERAGE_PARTS).map((part) => `${part}/src/**/*.{ts,tsx}`), 'src/**/*.{ts,tsx}', ...CHILD_BUNDLES],
      exclude: ['**/*.d.ts', '**/deploy/src/testing/**', 'src/testing/**'],
      // Processes the tests spawn (the recorder, the launcher, the CLI, the operators) write V8
      // coverage too (NODE_V8_COVERAGE, set by vitest in each worker and inherited), merged here.
      // A spawned TypeScript file maps straight onto its source; the recorder runs its bundle
      // (recorder/dist/*.js), so the bundle is included only to be remapped through its source
      // map onto recorder/src (and the api/src it bundles), then dropped (excludeAfterRemap).
      autoAttachSubprocess: true,
      excludeAfterRemap: true,
      reporter: [['json-summary'], ['json'], ['text', { file: 'coverage.txt' }]],
      // The per-part summary must print (and hold its thresholds) even when a test failed.
      reportOnFailure: true,
    },
  },
});
