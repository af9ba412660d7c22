// Object storage: the same behaviour from the local directory store and from a real S3-protocol
// server (moto), since resources and recordings must not care which one a deployment uses.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type S3TestServer } from '@duet/deploy/testing';
import {
  createObjectStore,
  InvalidKeyError,
  loadStorageConfig,
  ObjectNotFoundError,
  parseStorageConfig,
  RangeNotSatisfiableError,
  StorageConfigError,
  type ObjectStore,
} from '../src/storage/index.ts';

async function text(body: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

describe.each([['local'], ['s3']] as const)('object storage (%s)', (kind) => {
  let store: ObjectStore;
  let dir: string;
  let s3: S3TestServer | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duet-storage-'));
    if (kind === 's3') {
      s3 = await startS3Server();
      store = createObjectStore(loadStorageConfig(s3.env, dir));
    } else {
      store = createObjectStore(loadStorageConfig({ OBJECTS_DIR: join(dir, 'objects') }, dir));
    }
    expect(store.kind).toBe(kind);
  }, 60_000);

  afterAll(async () => {
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores buffers, strings, streams and files, and reads them back with their content type', async () => {
    expect(await store.put('resources/sessions/a/notes.txt', 'hello world', { contentType: 'text/plain' })).toEqual({ size: 11 });
    await store.put('resources/sessions/a/bytes.bin', Buffer.from([1, 2, 3]));
    await store.put('resources/sessions/a/stream.txt', Readable.from(['str', 'eamed']));
    const file = join(dir, 'upload.webm');
    await writeFile(file, 'x'.repeat(5000));
    expect(await store.putFile('recordings/sessions/a/seg-00001.webm', file, { contentType: 'video/webm' })).toEqual({ size: 5000 });

    const got = await store.get('resources/sessions/a/notes.txt');
    expect(got.size).toBe(11);
    expect(got.contentLength).toBe(11);
    expect(got.contentType).toBe('text/plain');
    expect(await text(got.body)).toBe('hello world');
    expect(await text((await store.get('resources/sessions/a/stream.txt')).body)).toBe('streamed');
    expect(await store.head('recordings/sessions/a/seg-00001.webm')).toMatchObject({ size: 5000, contentType: 'video/webm' });
  });

  it('serves byte ranges like HTTP Range, and refuses ranges past the end', async () => {
    await store.put('recordings/sessions/r/final.webm', '0123456789');
    const mid = await store.get('recordings/sessions/r/final.webm', { start: 2, end: 5 });
    expect(mid).toMatchObject({ size: 10, contentLength: 4, range: { start: 2, end: 5 } });
    expect(await text(mid.body)).toBe('2345');
    const tail = await store.get('recordings/sessions/r/final.webm', { start: 7 });
    expect(tail.range).toEqual({ start: 7, end: 9 });
    expect(await text(tail.body)).toBe('789');
    const clamped = await store.get('recordings/sessions/r/final.webm', { start: 8, end: 100 });
    expect(await text(clamped.body)).toBe('89');
    await expect(store.get('recordings/sessions/r/final.webm', { start: 10 })).rejects.toBeInstanceOf(RangeNotSatisfiableError);
  });

  it('lists by prefix in key order, overwrites, deletes, and reports missing objects', async () => {
    await store.put('recordings/sessions/l/seg-00002.webm', 'b');
    await store.put('recordings/sessions/l/seg-00001.webm', 'a');
    await store.put('recordings/sessions/l2/other.webm', 'c');
    expect(await store.list('recordings/sessions/l/')).toEqual([
      { key: 'recordings/sessions/l/seg-00001.webm', size: 1 },
      { key: 'recordings/sessions/l/seg-00002.webm', size: 1 },
    ]);
    await store.put('recordings/sessions/l/seg-00001.webm', 'longer');
    expect((await store.head('recordings/sessions/l/seg-00001.webm'))?.size).toBe(6);
    await store.delete('recordings/sessions/l/seg-00001.webm');
    await store.delete('recordings/sessions/l/never-existed');
    expect(await store.head('recordings/sessions/l/seg-00001.webm')).toBeNull();
    await expect(store.get('recordings/sessions/l/seg-00001.webm')).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect(await store.list('nothing/here/')).toEqual([]);
  });

  it('rejects keys that could escape the store', async () => {
    for (const key of ['', '../etc/passwd', 'a/../../b', '/abs', 'a//b', 'a/./b', 'sp ace', 'a/b.content-type', 'x'.repeat(1025)]) {
      await expect(store.put(key, 'x'), key).rejects.toBeInstanceOf(InvalidKeyError);
    }
    if (kind === 'local') expect((await readdir(dir)).sort()).toEqual(['objects', 'upload.webm']);
  });
});

describe('storage configuration', () => {
  it('defaults to ./data/objects and switches to S3 when S3_BUCKET is set', () => {
    expect(parseStorageConfig({}, '/srv/duet').config).toEqual({ kind: 'local', dir: '/srv/duet/objects' });
    const { config } = parseStorageConfig({ S3_BUCKET: 'lessons', S3_ENDPOINT: 'http://127.0.0.1:9000', S3_ACCESS_KEY_ID: 'a', S3_SECRET_ACCESS_KEY: 'b' }, '/srv');
    expect(config).toMatchObject({ kind: 's3', bucket: 'lessons', forcePathStyle: true, region: 'us-east-1' });
  });

  it('reports every problem at once', () => {
    try {
      loadStorageConfig({ S3_BUCKET: 'Bad_Bucket', S3_ENDPOINT: 'ftp://x', S3_ACCESS_KEY_ID: 'only-one', S3_FORCE_PATH_STYLE: 'maybe' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(StorageConfigError);
      expect((err as StorageConfigError).problems).toHaveLength(4);
      expect(String(err)).not.toContain('only-one');
    }
  });
});
