// The board rendered on the API side, from the saved Yjs state, with no browser: the room's own
// drawing code (web/src/board/board-render.ts, the same strokes, shapes and text as on screen and
// in the tutor's "Save to lesson files") on a Node canvas (@napi-rs/canvas, Skia, a prebuilt
// binary from the npm package). Pages at PAGE_W × PAGE_H as PNG, plus one PDF of JPEG pages
// (board-export.ts pdfOfJpegs), as the button makes them.
import { createCanvas, loadImage, type Image } from '@napi-rs/canvas';
import * as Y from 'yjs';
import { PAGE_H, PAGE_W, pageBackground, pageCount, pageItems } from '@duet/web/board-doc';
import { drawPage } from '@duet/web/board-render';
import { pdfOfJpegs } from '@duet/web/board-export';
import { imageSize } from '../domain/image-size.ts';

/** Pages rendered at most (a board holds up to 200; the export stays bounded in time and bytes). */
export const MAX_EXPORT_PAGES = 50;
/** A worksheet image larger than this is left out of the export (never decoded). */
const MAX_BACKGROUND_BYTES = 25 * 1024 * 1024;
/** Nor one whose header claims more pixels than this (decompression bombs: image-size.ts). */
export const MAX_BACKGROUND_PIXELS = 40_000_000;
const MAX_BACKGROUND_SIDE = 12_000;

export interface RenderedBoard {
  pages: Uint8Array[];
  pdf: Uint8Array;
}

/** The bytes of a worksheet image by resource id (null when gone or not an image). */
export type BackgroundSource = (resourceId: string) => Promise<Uint8Array | null>;

async function background(source: BackgroundSource, id: string | null): Promise<Image | null> {
  if (!id) return null;
  const bytes = await source(id).catch(() => null);
  if (!bytes || bytes.byteLength > MAX_BACKGROUND_BYTES) return null;
  const size = imageSize(bytes);
  if (!size || size.width < 1 || size.height < 1 || size.width > MAX_BACKGROUND_SIDE || size.height > MAX_BACKGROUND_SIDE || size.width * size.height > MAX_BACKGROUND_PIXELS) return null;
  return loadImage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).catch(() => null);
}

export async function renderBoard(state: Uint8Array, backgrounds: BackgroundSource): Promise<RenderedBoard> {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  const pages: Uint8Array[] = [];
  const jpegs: Uint8Array[] = [];
  const count = Math.min(pageCount(doc), MAX_EXPORT_PAGES);
  for (let p = 1; p <= count; p++) {
    const canvas = createCanvas(PAGE_W, PAGE_H);
    const ctx = canvas.getContext('2d');
    const bg = await background(backgrounds, pageBackground(doc, p));
    // The DOM and Skia contexts draw alike; only their TypeScript types differ.
    drawPage(ctx as unknown as CanvasRenderingContext2D, pageItems(doc, p).toArray(), { scale: 1, panX: 0, panY: 0 }, 1, PAGE_W, PAGE_H, null, bg as unknown as ImageBitmap | null);
    pages.push(new Uint8Array(await canvas.encode('png')));
    jpegs.push(new Uint8Array(await canvas.encode('jpeg', 90)));
  }
  doc.destroy();
  return { pages, pdf: pdfOfJpegs(jpegs) };
}
