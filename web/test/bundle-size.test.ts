// @vitest-environment node
// The room stays light: the production build's JavaScript is at most 150 KB gzip, not counting
// mediasoup-client, which must sit in its own chunk loaded only when a lesson uses the SFU, and
// pdfjs-dist (PDF worksheets), loaded only when the tutor picks a PDF.
import { gzipSync } from 'node:zlib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { build } from 'vite';

const LIMIT = 150 * 1024;
const outDir = mkdtempSync(join(tmpdir(), 'duet-web-build-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

interface Chunk {
  type: 'chunk';
  fileName: string;
  code: string;
  isEntry: boolean;
  imports: string[];
  dynamicImports: string[];
  moduleIds?: string[];
  modules?: Record<string, unknown>;
}

describe('production build', () => {
  it('is ≤ 150 KB gzip without mediasoup-client, which loads lazily in its own chunk', async () => {
    const result = await build({
      configFile: join(import.meta.dirname, '../vite.config.ts'),
      logLevel: 'silent',
      build: { outDir, emptyOutDir: true, sourcemap: false, write: false },
    });
    const outputs = (Array.isArray(result) ? result : [result]).flatMap((r) => ('output' in r ? r.output : [])) as unknown as (Chunk | { type: 'asset' })[];
    const chunks = outputs.filter((o): o is Chunk => o.type === 'chunk');
    const ids = (c: Chunk) => c.moduleIds ?? Object.keys(c.modules ?? {});
    const isMediasoup = (c: Chunk) => ids(c).some((id) => id.includes('/node_modules/mediasoup-client/'));
    const mediasoup = chunks.filter(isMediasoup);
    expect(mediasoup.length, 'a chunk holding mediasoup-client').toBeGreaterThan(0);

    // Nothing the entry loads up front (its static import closure) contains mediasoup-client.
    const byName = new Map(chunks.map((c) => [c.fileName, c]));
    const entry = chunks.find((c) => c.isEntry)!;
    const eager = new Set<string>();
    const walk = (name: string) => {
      if (eager.has(name)) return;
      eager.add(name);
      for (const dep of byName.get(name)?.imports ?? []) walk(dep);
    };
    walk(entry.fileName);
    for (const c of mediasoup) expect(eager.has(c.fileName), `${c.fileName} must load lazily`).toBe(false);
    // The whiteboard (Yjs and the canvas code) loads the first time someone opens the board.
    const board = chunks.filter((c) => ids(c).some((id) => id.includes('/node_modules/yjs/')));
    expect(board.length, 'a chunk holding yjs').toBeGreaterThan(0);
    for (const c of board) expect(eager.has(c.fileName), `${c.fileName} (whiteboard) must load lazily`).toBe(false);

    // PDF worksheets: pdfjs-dist loads only when a PDF is picked (and its worker is a separate asset).
    const isPdfjs = (c: Chunk) => ids(c).some((id) => id.includes('/node_modules/pdfjs-dist/'));
    const pdfjs = chunks.filter(isPdfjs);
    expect(pdfjs.length, 'a chunk holding pdfjs-dist').toBeGreaterThan(0);
    for (const c of pdfjs) expect(eager.has(c.fileName), `${c.fileName} (pdfjs) must load lazily`).toBe(false);
    expect(outputs.some((o) => o.type === 'asset' && /pdf\.worker/.test((o as { fileName?: string }).fileName ?? '')), 'the pdfjs worker bundled as an asset').toBe(true);

    const rest = chunks.filter((c) => !isMediasoup(c) && !isPdfjs(c));
    const sizes = rest.map((c) => ({ file: c.fileName, gzip: gzipSync(c.code, { level: 9 }).length }));
    const total = sizes.reduce((a, s) => a + s.gzip, 0);
    console.log(`[bundle] JS without mediasoup-client: ${(total / 1024).toFixed(1)} KB gzip`, sizes, `mediasoup chunk(s): ${mediasoup.map((c) => `${c.fileName} ${(gzipSync(c.code, { level: 9 }).length / 1024).toFixed(1)} KB`).join(', ')}`);
    expect(total).toBeLessThanOrEqual(LIMIT);
  }, 120_000);
});
