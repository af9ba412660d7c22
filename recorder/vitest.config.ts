import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { name: 'recorder', root: import.meta.dirname, include: ['test/**/*.test.ts'] } });
