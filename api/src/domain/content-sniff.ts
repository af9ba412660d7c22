// A shared file's type is judged from its first bytes, not only from what the browser claims: a
// file whose content does not match its claimed type (an executable renamed .pdf, HTML sent as
// image/png) is refused with 415 content_type_mismatch before anything is stored.
import { Readable } from 'node:stream';

/** Bytes read before judging (enough for every signature below and a text check). */
export const SNIFF_BYTES = 4096;

const ascii = (s: string) => Buffer.from(s, 'latin1');
const at = (head: Buffer, offset: number, sig: Buffer) => head.length >= offset + sig.length && head.subarray(offset, offset + sig.length).equals(sig);

const ZIP = (h: Buffer) => at(h, 0, Buffer.from([0x50, 0x4b, 0x03, 0x04])) || at(h, 0, Buffer.from([0x50, 0x4b, 0x05, 0x06]));

/** What each known type's content starts with. */
const SIGNATURES: { type: string; test: (h: Buffer) => boolean }[] = [
  { type: 'application/pdf', test: (h) => at(h, 0, ascii('%PDF-')) },
  { type: 'image/png', test: (h) => at(h, 0, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { type: 'image/jpeg', test: (h) => at(h, 0, Buffer.from([0xff, 0xd8, 0xff])) },
  { type: 'image/gif', test: (h) => at(h, 0, ascii('GIF87a')) || at(h, 0, ascii('GIF89a')) },
  { type: 'image/webp', test: (h) => at(h, 0, ascii('RIFF')) && at(h, 8, ascii('WEBP')) },
  // ID3 tag, or an MPEG audio frame sync (11 set bits) with layer III.
  { type: 'audio/mpeg', test: (h) => at(h, 0, ascii('ID3')) || (h.length >= 2 && h[0] === 0xff && (h[1]! & 0xe6) === 0xe2) },
  { type: 'video/mp4', test: (h) => at(h, 4, ascii('ftyp')) },
  { type: 'audio/mp4', test: (h) => at(h, 4, ascii('ftyp')) },
  { type: 'video/webm', test: (h) => at(h, 0, Buffer.from([0x1a, 0x45, 0xdf, 0xa3])) },
  { type: 'application/zip', test: ZIP },
  // Office Open XML documents are ZIP containers.
  { type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', test: ZIP },
  { type: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', test: ZIP },
  { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', test: ZIP },
];

/** Text: valid UTF-8 (a multi-byte sequence cut at the end of the sample is fine) and no NUL byte. */
function looksLikeText(head: Buffer): boolean {
  if (head.includes(0)) return false;
  // Drop up to 3 trailing bytes of an incomplete sequence before decoding strictly.
  let end = head.length;
  for (let i = 1; i <= 3 && end - i >= 0; i++) {
    const b = head[end - i]!;
    if ((b & 0xc0) === 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      if (need > i) end -= i;
      break;
    }
    if ((b & 0xc0) !== 0x80) break;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, end));
    return true;
  } catch {
    return false;
  }
}

/** The type the content looks like (first matching signature), or null. For error messages. */
export function detectContentType(head: Buffer): string | null {
  return SIGNATURES.find((s) => s.test(head))?.type ?? (head.length > 0 && looksLikeText(head) ? 'text/plain' : null);
}

/**
 * Whether `head` (the first SNIFF_BYTES of the file, or all of it) fits the claimed type. Types
 * with no known signature (an operator's RESOURCE_CONTENT_TYPES addition) are taken as claimed.
 */
export function contentMatches(claimed: string, head: Buffer): boolean {
  if (claimed.startsWith('text/')) return looksLikeText(head);
  const known = SIGNATURES.filter((s) => s.type === claimed);
  if (known.length === 0) return true;
  return known.some((s) => s.test(head));
}

/** Reads up to `n` bytes off a stream; `stream` then yields the whole content from its start. */
export async function peekStream(source: NodeJS.ReadableStream, n = SNIFF_BYTES): Promise<{ head: Buffer; stream: Readable }> {
  const it = (source as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    chunks.push(chunk);
    length += chunk.length;
  }
  const all = Buffer.concat(chunks);
  async function* replay(): AsyncGenerator<Buffer> {
    if (all.length > 0) yield all;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    }
  }
  return { head: all.subarray(0, n), stream: Readable.from(replay(), { objectMode: false }) };
}
