// The object-storage boundary shared by the API (resources, recordings) and the recorder
// (segments, final files). Keys are plain slash-separated paths such as
// `resources/sessions/<id>/<file>`; both backends enforce the same key rules.
import type { Readable } from 'node:stream';

export type ObjectBody = Buffer | Uint8Array | string | NodeJS.ReadableStream;

export interface ByteRange {
  start: number;
  /** Inclusive, like HTTP Range; omitted = to the end. */
  end?: number;
}

export interface ObjectInfo {
  size: number;
  contentType?: string;
}

export interface ObjectRead {
  body: Readable;
  /** Size of the whole object. */
  size: number;
  contentType?: string;
  /** Bytes in `body`. */
  contentLength: number;
  /** The satisfied range (inclusive), when one was asked for. */
  range?: { start: number; end: number };
}

export interface ObjectStore {
  readonly kind: 'local' | 's3';
  put(key: string, body: ObjectBody, opts?: { contentType?: string; contentLength?: number }): Promise<{ size: number }>;
  putFile(key: string, path: string, opts?: { contentType?: string }): Promise<{ size: number }>;
  get(key: string, range?: ByteRange): Promise<ObjectRead>;
  head(key: string): Promise<ObjectInfo | null>;
  /** Every object whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<{ key: string; size: number }[]>;
  /** Deleting a missing object is not an error. */
  delete(key: string): Promise<void>;
  /**
   * S3 only: a presigned GET URL, so downloads go straight to storage instead of through the API.
   * The response headers are pinned in the signature (type, inline filename, nosniff-safe type).
   */
  presignGet?(key: string, opts: PresignOptions): Promise<string>;
}

export interface PresignOptions {
  expiresInSeconds: number;
  contentType?: string;
  contentDisposition?: string;
}

export class ObjectNotFoundError extends Error {
  readonly key: string;
  constructor(key: string) {
    super(`object not found: ${key}`);
    this.key = key;
  }
}

export class InvalidKeyError extends Error {}

/** A range that cannot be served for an object of this size (HTTP 416). */
export class RangeNotSatisfiableError extends Error {
  readonly size: number;
  constructor(size: number) {
    super(`range not satisfiable (object is ${size} bytes)`);
    this.size = size;
  }
}

export const RESERVED_SUFFIX = '.content-type';
const SEGMENT = /^[A-Za-z0-9._=+@-]+$/;

/** Keys are relative, slash-separated, without empty, `.` or `..` segments: nothing can escape the root. */
export function checkKey(key: string, { prefix = false } = {}): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024) throw new InvalidKeyError('object key must be 1..1024 characters');
  const parts = key.split('/');
  if (prefix && parts[parts.length - 1] === '') parts.pop();
  for (const part of parts) {
    if (!SEGMENT.test(part) || part === '.' || part === '..') throw new InvalidKeyError(`invalid object key: ${JSON.stringify(key)}`);
  }
  // Reserved by the local store for its content-type sidecar files.
  if (!prefix && key.endsWith(RESERVED_SUFFIX)) throw new InvalidKeyError(`object keys may not end in ${RESERVED_SUFFIX}`);
  return key;
}

/** Clamp a requested range to the object; throws RangeNotSatisfiableError like HTTP 416. */
export function resolveRange(range: ByteRange, size: number): { start: number; end: number } {
  const end = Math.min(range.end ?? size - 1, size - 1);
  if (!Number.isInteger(range.start) || range.start < 0 || range.start >= size || end < range.start) throw new RangeNotSatisfiableError(size);
  return { start: range.start, end };
}
