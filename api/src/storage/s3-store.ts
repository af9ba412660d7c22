// Object storage in any S3-compatible store (AWS S3, MinIO, Ceph, R2...) through @aws-sdk/client-s3.
// Streams of unknown length are spooled to a temporary file first: S3's PutObject needs the length,
// and a spooled body can be retried by the SDK without asking the caller for the bytes again.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { checkKey, ObjectNotFoundError, RangeNotSatisfiableError, resolveRange, type ByteRange, type ObjectBody, type ObjectInfo, type ObjectRead, type ObjectStore, type PresignOptions } from './object-store.ts';
import type { S3StorageConfig } from './storage-config.ts';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

function isNotFound(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  return err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404;
}

export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(config: S3StorageConfig) {
    this.bucket = config.bucket;
    this.client = new S3Client({
      endpoint: config.endpoint ?? undefined,
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      credentials: config.accessKeyId && config.secretAccessKey ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } : undefined,
      maxAttempts: 4,
    });
  }

  async put(key: string, body: ObjectBody, opts: { contentType?: string; contentLength?: number } = {}): Promise<{ size: number }> {
    checkKey(key);
    if (typeof body === 'string' || body instanceof Uint8Array) {
      const buf = Buffer.from(body);
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: buf, ContentLength: buf.length, ContentType: opts.contentType }));
      return { size: buf.length };
    }
    const dir = await mkdtemp(join(tmpdir(), 'duet-s3-'));
    try {
      const file = join(dir, 'body');
      await pipeline(body, createWriteStream(file));
      return await this.putFile(key, file, opts);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async putFile(key: string, path: string, opts: { contentType?: string } = {}): Promise<{ size: number }> {
    checkKey(key);
    const { size } = await stat(path);
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: createReadStream(path), ContentLength: size, ContentType: opts.contentType }));
    return { size };
  }

  async head(key: string): Promise<ObjectInfo | null> {
    checkKey(key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: Number(res.ContentLength ?? 0), contentType: res.ContentType };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<ObjectRead> {
    checkKey(key);
    let resolved: { start: number; end: number } | undefined;
    if (range) {
      // Validate against the real size first so a bad range is a 416, as on the local store.
      const info = await this.head(key);
      if (!info) throw new ObjectNotFoundError(key);
      resolved = resolveRange(range, info.size);
    }
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: resolved ? `bytes=${resolved.start}-${resolved.end}` : undefined }));
      const contentLength = Number(res.ContentLength ?? 0);
      const size = resolved ? Number(/\/(\d+)$/.exec(res.ContentRange ?? '')?.[1] ?? contentLength) : contentLength;
      return { body: res.Body as Readable, size, contentType: res.ContentType, contentLength, range: resolved };
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFoundError(key);
      if (err instanceof S3ServiceException && err.$metadata?.httpStatusCode === 416) throw new RangeNotSatisfiableError(0);
      throw err;
    }
  }

  async list(prefix: string): Promise<{ key: string; size: number }[]> {
    if (prefix !== '') checkKey(prefix, { prefix: true });
    const out: { key: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of res.Contents ?? []) if (o.Key) out.push({ key: o.Key, size: Number(o.Size ?? 0) });
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async presignGet(key: string, opts: PresignOptions): Promise<string> {
    checkKey(key);
    const cmd = new GetObjectCommand({ Bucket: this.bucket, Key: key, ResponseContentType: opts.contentType, ResponseContentDisposition: opts.contentDisposition });
    // SigV4 presigned URLs live at most 7 days.
    return getSignedUrl(this.client, cmd, { expiresIn: Math.min(Math.max(1, Math.floor(opts.expiresInSeconds)), 7 * 86400) });
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}
