// Image sizes read from headers (never decoded): the guard against decompression bombs in the
// API's whiteboard export (whiteboard-render.ts). Real encodings from Skia, and a forged PNG header.
import { describe, expect, it } from 'vitest';
import { createCanvas } from '@napi-rs/canvas';
import { imageSize } from '../src/domain/image-size.ts';
import { pngClaiming } from './support/png-bomb.ts';

describe('imageSize', () => {
  it('reads PNG, JPEG and WebP sizes from real files', async () => {
    const c = createCanvas(321, 123);
    c.getContext('2d').fillRect(0, 0, 10, 10);
    for (const type of ['png', 'jpeg', 'webp'] as const) expect(imageSize(new Uint8Array(await c.encode(type as 'png'))), type).toEqual({ width: 321, height: 123 });
  });

  it('reads GIF sizes, and the size a forged PNG header claims', () => {
    const gif = Buffer.from('GIF89a\x2c\x01\xc8\x00\x00\x00\x00', 'latin1');
    expect(imageSize(gif)).toEqual({ width: 300, height: 200 });
    expect(imageSize(pngClaiming(60_000, 60_000))).toEqual({ width: 60_000, height: 60_000 });
  });

  it('gives null for what it cannot read', () => {
    expect(imageSize(new Uint8Array(0))).toBe(null);
    expect(imageSize(Buffer.from('not an image at all, just text'))).toBe(null);
    expect(imageSize(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x00, 0, 0, 0, 0, 0, 0]))).toBe(null);
  });
});
