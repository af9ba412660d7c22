// Writes a gzip and a brotli copy next to each built asset (JS, CSS, SVG), so the API serves
// them compressed to browsers that accept it (@fastify/static preCompressed): a student on a
// thin mobile link loads the room ~4x faster (the entry chunk is ~370 KB, ~110 KB as gzip).
// Built once at build time at the highest levels, never per request.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** Smaller than this, a compressed copy is not worth a second file. */
const MIN_BYTES = 1024;
const COMPRESSIBLE = /\.(js|css|svg|json)$/;

export function precompress(): Plugin {
  return {
    name: 'duet-precompress',
    apply: 'build',
    writeBundle(options, bundle) {
      const dir = options.dir;
      if (!dir) return;
      for (const fileName of Object.keys(bundle)) {
        if (!COMPRESSIBLE.test(fileName)) continue;
        const file = join(dir, fileName);
        const body = readFileSync(file);
        if (body.length < MIN_BYTES) continue;
        writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
        writeFileSync(`${file}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }));
      }
    },
  };
}
