// Bundles the recorder (recorder/src/main.ts and the @duet/* sources it imports) into plain
// JavaScript in recorder/dist, so production never loads Node's TypeScript stripper (~20 MB
// resident). npm packages stay external (resolved from node_modules at run time); the S3 store
// keeps its dynamic import, i.e. its own chunk, loaded only when S3 is configured.
// Run through scripts/build-recorder.sh (which skips it when nothing changed).
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { build } from 'rolldown';

const ROOT = resolve(import.meta.dirname, '../..');
const OUT = resolve(ROOT, 'recorder/dist');
const TMP = `${OUT}.tmp-${process.pid}`;

try {
  await build({
    input: { main: resolve(ROOT, 'recorder/src/main.ts') },
    platform: 'node',
    cwd: ROOT,
    // Bare specifiers other than our workspaces (node:*, prom-client, @aws-sdk/*) stay imports.
    external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('@duet/') && !id.startsWith('\0'),
    logLevel: 'warn',
    output: { dir: TMP, format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name].js', sourcemap: true },
  });
  // Swapped in whole: a recorder running from the old build never sees half a new one.
  await rm(OUT, { recursive: true, force: true });
  await rename(TMP, OUT);
} finally {
  await rm(TMP, { recursive: true, force: true });
}
