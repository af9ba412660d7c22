// Object storage in a local directory (the embedded default, ./data/objects). Writes go to a
// temporary file that is renamed into place, so a reader never sees half an object and a crash
// mid-write leaves no corrupt key behind.
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { checkKey, RESERVED_SUFFIX, ObjectNotFoundError, resolveRange, type ByteRange, type ObjectBody, type ObjectInfo, type ObjectRead, type ObjectStore } from './object-store.ts';

const TYPE_SUFFIX = RESERVED_SUFFIX;
const TMP_DIR = '.tmp';

export class LocalObjectStore implements ObjectStore {
  readonly kind = 'local';
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  private path(key: string): string {
    return join(this.root, ...checkKey(key).split('/'));
  }

  async put(key: string, body: ObjectBody, opts: { contentType?: string } = {}): Promise<{ size: number }> {
    const target = this.path(key);
    const tmp = join(this.root, TMP_DIR, randomUUID());
    await mkdir(dirname(tmp), { recursive: true });
    try {
      const source = typeof body === 'string' || body instanceof Uint8Array ? Readable.from([Buffer.from(body)]) : (body as NodeJS.ReadableStream);
      await pipeline(source, createWriteStream(tmp));
      await this.commit(tmp, target, opts.contentType);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { size: (await stat(target)).size };
  }

  async putFile(key: string, path: string, opts: { contentType?: string } = {}): Promise<{ size: number }> {
    const target = this.path(key);
    const tmp = join(this.root, TMP_DIR, randomUUID());
    await mkdir(dirname(tmp), { recursive: true });
    try {
      await copyFile(path, tmp);
      await this.commit(tmp, target, opts.contentType);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { size: (await stat(target)).size };
  }

  private async commit(tmp: string, target: string, contentType: string | undefined): Promise<void> {
    await mkdir(dirname(target), { recursive: true });
    if (contentType) {
      const typeTmp = `${tmp}${TYPE_SUFFIX}`;
      await pipeline(Readable.from([contentType]), createWriteStream(typeTmp));
      await rename(typeTmp, `${target}${TYPE_SUFFIX}`);
    } else {
      await rm(`${target}${TYPE_SUFFIX}`, { force: true });
    }
    await rename(tmp, target);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const path = this.path(key);
    try {
      const st = await stat(path);
      if (!st.isFile()) return null;
      return { size: st.size, contentType: await this.readType(path) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  private async readType(path: string): Promise<string | undefined> {
    try {
      const chunks: Buffer[] = [];
      for await (const c of createReadStream(`${path}${TYPE_SUFFIX}`)) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8') || undefined;
    } catch {
      return undefined;
    }
  }

  async get(key: string, range?: ByteRange): Promise<ObjectRead> {
    const info = await this.head(key);
    if (!info) throw new ObjectNotFoundError(key);
    const path = this.path(key);
    if (!range) return { body: createReadStream(path), size: info.size, contentType: info.contentType, contentLength: info.size };
    const r = resolveRange(range, info.size);
    return { body: createReadStream(path, { start: r.start, end: r.end }), size: info.size, contentType: info.contentType, contentLength: r.end - r.start + 1, range: r };
  }

  async list(prefix: string): Promise<{ key: string; size: number }[]> {
    if (prefix !== '') checkKey(prefix, { prefix: true });
    // Walk only the directory the prefix points into.
    const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const start = dirPart ? join(this.root, ...dirPart.split('/')) : this.root;
    const out: { key: string; size: number }[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) {
        const full = join(dir, e.name);
        if (e.isDirectory()) {
          if (dir === this.root && e.name === TMP_DIR) continue;
          await walk(full);
        } else if (e.isFile() && !e.name.endsWith(TYPE_SUFFIX)) {
          const key = relative(this.root, full).split(sep).join('/');
          if (key.startsWith(prefix)) out.push({ key, size: (await stat(full)).size });
        }
      }
    };
    await walk(start);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    const path = this.path(key);
    await rm(path, { force: true });
    await rm(`${path}${TYPE_SUFFIX}`, { force: true });
  }
}
