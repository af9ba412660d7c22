// Object storage as the recorder uses it: the lead's `@duet/api/storage` interface (local directory
// by default, S3 when S3_BUCKET is set). TEMPORARY local-dir implementation until it lands on main.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat, copyFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';

export interface ObjectStore {
  put(key: string, body: Buffer | Uint8Array | string | NodeJS.ReadableStream, opts?: { contentType?: string; contentLength?: number }): Promise<{ size: number }>;
  putFile(key: string, path: string, opts?: { contentType?: string }): Promise<{ size: number }>;
  get(key: string, range?: { start: number; end?: number }): Promise<{ body: Readable; size: number; contentType?: string; contentLength: number; range?: { start: number; end: number } }>;
  head(key: string): Promise<{ size: number; contentType?: string } | null>;
  list(prefix: string): Promise<{ key: string; size: number }[]>;
  delete(key: string): Promise<void>;
}

export function createLocalStore(root: string): ObjectStore {
  const pathOf = (key: string) => join(root, key);
  return {
    async put(key, body) {
      const p = pathOf(key);
      await mkdir(dirname(p), { recursive: true });
      if (typeof body === 'string' || body instanceof Uint8Array) await writeFile(p, body);
      else await pipeline(body as Readable, createWriteStream(p));
      return { size: (await stat(p)).size };
    },
    async putFile(key, path) {
      const p = pathOf(key);
      await mkdir(dirname(p), { recursive: true });
      await copyFile(path, p);
      return { size: (await stat(p)).size };
    },
    async get(key, range) {
      const p = pathOf(key);
      const size = (await stat(p)).size;
      const start = range?.start ?? 0;
      const end = range?.end ?? size - 1;
      return { body: createReadStream(p, { start, end }), size, contentLength: end - start + 1, ...(range ? { range: { start, end } } : {}) };
    },
    async head(key) {
      const s = await stat(pathOf(key)).catch(() => null);
      return s ? { size: s.size } : null;
    },
    async list(prefix) {
      const out: { key: string; size: number }[] = [];
      const walk = async (dir: string): Promise<void> => {
        for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
          const p = join(dir, e.name);
          if (e.isDirectory()) await walk(p);
          else {
            const key = relative(root, p);
            if (key.startsWith(prefix)) out.push({ key, size: (await stat(p)).size });
          }
        }
      };
      await walk(root);
      return out;
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
  };
}
