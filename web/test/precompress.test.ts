// @vitest-environment node
// The build's compressed copies of the assets (web/build/precompress.ts): gzip and brotli next to
// each compressible file worth it, byte-exact when decompressed; tiny files and source maps left alone.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { precompress } from '../build/precompress.ts';

const dir = mkdtempSync(join(tmpdir(), 'duet-precompress-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('precompress', () => {
  it('writes .gz and .br for the compressible assets of the bundle', () => {
    const big = `export const words = ${JSON.stringify(Array.from({ length: 400 }, (_, i) => `word-${i}`))};\n`;
    const files: Record<string, string> = { 'index-abc.js': big, 'index-abc.css': `body{margin:0}${' '.repeat(2000)}`, 'tiny.js': 'x()', 'index-abc.js.map': big };
    for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
    const plugin = precompress();
    const hook = plugin.writeBundle as unknown as (o: { dir: string }, b: Record<string, unknown>) => void;
    hook.call({}, { dir }, Object.fromEntries(Object.keys(files).map((f) => [f, {}])));
    for (const name of ['index-abc.js', 'index-abc.css']) {
      const original = readFileSync(join(dir, name));
      const gz = readFileSync(join(dir, `${name}.gz`));
      const br = readFileSync(join(dir, `${name}.br`));
      expect(gunzipSync(gz).equals(original), name).toBe(true);
      expect(brotliDecompressSync(br).equals(original), name).toBe(true);
      expect(br.length, name).toBeLessThan(original.length / 2);
    }
    expect(existsSync(join(dir, 'tiny.js.gz'))).toBe(false);
    expect(existsSync(join(dir, 'index-abc.js.map.gz'))).toBe(false);
  });
});
