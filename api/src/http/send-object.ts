// Streams an object from storage as an HTTP response with single-range support (RFC 9110):
// `Range: bytes=a-b | a- | -n` → 206 with Content-Range; unsatisfiable → 416; anything else
// (several ranges, other units) → the whole object. Used for resources and recordings.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import { contentDisposition } from '../domain/filenames.ts';
import { OBJECT_RESPONSE_HEADERS, servedContentType } from '../domain/served-types.ts';
import { ObjectNotFoundError, RangeNotSatisfiableError, type ByteRange, type ObjectStore } from '../storage/object-store.ts';

export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // not a single byte range: ignore it
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? undefined : Number(m[2]);
  if (end !== undefined && end < start) return null; // syntactically invalid: ignored per RFC 9110
  if (start >= size) return 'unsatisfiable';
  return { start, end: end === undefined ? size - 1 : Math.min(end, size - 1) };
}

export async function sendObject(
  req: FastifyRequest,
  reply: FastifyReply,
  store: ObjectStore,
  key: string,
  opts: { filename: string; contentType: string; size: number; disposition?: 'attachment' | 'inline' },
): Promise<FastifyReply> {
  const range = parseRange(req.headers.range, opts.size);
  reply
    .header('accept-ranges', 'bytes')
    .header('content-type', servedContentType(opts.contentType))
    .header('content-disposition', contentDisposition(opts.filename, opts.disposition))
    .headers(OBJECT_RESPONSE_HEADERS)
    // Signed URLs are meant for <a href> / <video src> on the marketplace's own pages.
    .header('cross-origin-resource-policy', 'cross-origin')
    .header('cache-control', 'private, max-age=300');
  if (range === 'unsatisfiable') {
    reply.header('content-range', `bytes */${opts.size}`);
    throw new ApiError(416, 'range_not_satisfiable', `the file is ${opts.size} bytes`, { size: opts.size });
  }
  try {
    const obj = await store.get(key, range ?? undefined);
    reply.header('content-length', String(obj.contentLength));
    if (obj.range) {
      reply.code(206).header('content-range', `bytes ${obj.range.start}-${obj.range.end}/${obj.size}`);
    }
    if (req.method === 'HEAD') {
      obj.body.destroy();
      return reply.send();
    }
    return reply.send(obj.body);
  } catch (err) {
    if (err instanceof RangeNotSatisfiableError) {
      reply.header('content-range', `bytes */${opts.size}`);
      throw new ApiError(416, 'range_not_satisfiable', `the file is ${opts.size} bytes`, { size: opts.size });
    }
    if (err instanceof ObjectNotFoundError) throw new ApiError(404, 'file_missing', 'the file is missing from storage');
    throw err;
  }
}
