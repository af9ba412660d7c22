// The API's board renderer (whiteboard-render.ts) against hostile worksheets: an image whose
// header claims more pixels than MAX_BACKGROUND_PIXELS is never decoded (a small PNG can make a
// decoder allocate gigabytes and take the API down); a normal image is drawn.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { MAX_BACKGROUND_PIXELS, renderBoard } from '../src/services/whiteboard-render.ts';
import { pngClaiming } from './support/png-bomb.ts';

function boardWithBackground(): Uint8Array {
  const doc = new Y.Doc();
  doc.getMap('meta').set('bg:1', 'sheet');
  return Y.encodeStateAsUpdate(doc);
}

async function centre(png: Uint8Array): Promise<number[]> {
  const img = await loadImage(Buffer.from(png));
  const c = createCanvas(img.width, img.height);
  c.getContext('2d').drawImage(img, 0, 0);
  return [...c.getContext('2d').getImageData(800, 500, 1, 1).data.slice(0, 3)];
}

describe('board renderer and worksheet images', () => {
  it('draws a normal worksheet, and leaves out one whose header claims too many pixels (undecoded)', async () => {
    // Control: a decodable all-black image within the bound is drawn (dark page).
    const small = pngClaiming(400, 250, 250);
    const drawn = await renderBoard(boardWithBackground(), async () => small);
    expect((await centre(drawn.pages[0]!)).every((v) => v < 40)).toBe(true);
    // 8000 × 8000 = 64 M pixels, all black and decodable (~256 MB once decoded): over the bound,
    // so the page stays white; a decoder would have drawn it black.
    expect(8000 * 8000).toBeGreaterThan(MAX_BACKGROUND_PIXELS);
    const bomb = pngClaiming(8000, 8000, 8000);
    expect(bomb.length).toBeLessThan(200_000);
    const kept = await renderBoard(boardWithBackground(), async () => bomb);
    expect(await centre(kept.pages[0]!)).toEqual([255, 255, 255]);
    // Forged headers that claim absurd sizes, and bytes that are no image: white pages, no throw.
    for (const bad of [pngClaiming(60_000, 60_000), new Uint8Array([1, 2, 3])]) {
      const r = await renderBoard(boardWithBackground(), async () => bad);
      expect(await centre(r.pages[0]!)).toEqual([255, 255, 255]);
    }
  });
});
