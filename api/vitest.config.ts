// API tests: every suite runs against embedded PGlite and a real PostgreSQL server (started once by
// the global setup). Run from the repo root with `vitest run --project api` (root config lists
// this file in test.projects) or `vitest run --root api`.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'api',
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
