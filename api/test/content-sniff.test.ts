// Judging a shared file's type from its first bytes (magic numbers), and replaying the stream.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { contentMatches, detectContentType, peekStream } from '../src/domain/content-sniff.ts';

const b = (...xs: (number | string)[]) => Buffer.concat(xs.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : Buffer.from([x]))));
const SAMPLES: Record<string, Buffer> = {
  'application/pdf': b('%PDF-1.4\n%âãÏÓ'),
  'image/png': b(0x89, 'PNG', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13),
  'image/jpeg': b(0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'JFIF'),
  'image/gif': b('GIF89a', 1, 0, 1, 0),
  'image/webp': b('RIFF', 0x24, 0, 0, 0, 'WEBPVP8 '),
  'audio/mpeg': b('ID3', 4, 0, 0),
  'video/mp4': b(0, 0, 0, 0x20, 'ftypisom', 0, 0, 2, 0),
  'application/zip': b('PK', 3, 4, 20, 0),
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': b('PK', 3, 4, 20, 0, '[Content_Types].xml'),
  'text/plain': Buffer.from('Übung 4–7 für Donnerstag ✓\n'),
};

describe('content sniffing', () => {
  it('accepts each known type with its own signature and refuses every other sample', () => {
    for (const [type, head] of Object.entries(SAMPLES)) {
      expect(contentMatches(type, head), type).toBe(true);
      for (const [other, otherHead] of Object.entries(SAMPLES)) {
        const sameFamily = (t: string) => (t.startsWith('application/') && (t.includes('zip') || t.includes('officedocument')) ? 'zip' : t);
        if (sameFamily(other) === sameFamily(type)) continue;
        if (type === 'text/plain' && other === 'application/pdf') continue; // "%PDF-…" with UTF-8 bytes is text too
        expect(contentMatches(type, otherHead), `${type} claimed, ${other} content`).toBe(false);
      }
    }
  });

  it('detects the real type for the error message', () => {
    expect(detectContentType(SAMPLES['image/png']!)).toBe('image/png');
    expect(detectContentType(b('MZ', 0x90, 0))).toBe(null);
    expect(detectContentType(Buffer.from('<html>'))).toBe('text/plain');
  });

  it('treats text as valid UTF-8 without NUL, tolerating a sequence cut at the sample end', () => {
    expect(contentMatches('text/markdown', Buffer.from('# Title\n'))).toBe(true);
    expect(contentMatches('text/plain', Buffer.from('ab✓').subarray(0, 4))).toBe(true); // ✓ cut after 2 of 3 bytes
    expect(contentMatches('text/plain', b('ab', 0xff, 0xfe, 'cd'))).toBe(false);
    expect(contentMatches('text/plain', b('a', 0, 'b'))).toBe(false);
    expect(contentMatches('image/png', Buffer.alloc(0))).toBe(false);
  });

  it('takes types without a known signature as claimed (operator additions)', () => {
    expect(contentMatches('application/x-custom', b('anything'))).toBe(true);
  });

  it('peeks the head and replays the whole stream, in small and large chunks', async () => {
    const data = Buffer.alloc(20_000, 7);
    data.write('%PDF-', 0, 'latin1');
    for (const size of [3, 1000, 64 * 1024]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
      const { head, stream } = await peekStream(Readable.from(chunks), 4096);
      expect(head.length).toBe(4096);
      expect(contentMatches('application/pdf', head)).toBe(true);
      const out: Buffer[] = [];
      for await (const c of stream) out.push(c as Buffer);
      expect(Buffer.concat(out).equals(data)).toBe(true);
    }
    const small = await peekStream(Readable.from([Buffer.from('hi')]), 4096);
    expect(small.head.toString()).toBe('hi');
  });
});
