// The board in the recording: while the tutor of a recorded lesson has the board open, the page
// they are on is drawn (whole, background and strokes, the same drawing code as the screen and
// the export) on a canvas that is not on screen, and that canvas's captureStream() goes to the
// SFU in the screen-share slot (source 'screen', so the recorder copies it and the composer lays
// it out like a screen share, with no new source in the protocol). A real screen share takes the
// slot while it lasts (room-controller.ts). Only the tutor produces it: one board track per lesson.
// The canvas is repainted at FPS even when nothing changed, so the encoder keeps sending frames
// (a canvas track only produces frames when painted) and the recorder's FFmpeg gets keyframes.
import type * as Y from 'yjs';
import { PAGE_H, PAGE_W, pageBackground, pageItems } from './board-doc.ts';
import { drawPage } from './board-render.ts';

export const CAPTURE_W = 1280;
export const CAPTURE_H = 800;
const FPS = 5;

export interface BoardCapture {
  track: MediaStreamTrack;
  /** Which page to draw, and its worksheet (decoded by the stage). */
  show(page: number, background: ImageBitmap | null): void;
  stop(): void;
}

/** `doc` is read at every paint: the stage may rebuild its doc from the node (after a refusal). */
export function startBoardCapture(doc: () => Y.Doc | null): BoardCapture | null {
  if (typeof HTMLCanvasElement === 'undefined' || !('captureStream' in HTMLCanvasElement.prototype)) return null;
  const canvas = document.createElement('canvas');
  canvas.width = CAPTURE_W;
  canvas.height = CAPTURE_H;
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  let page = 1;
  let bg: ImageBitmap | null = null;
  const scale = Math.min(CAPTURE_W / PAGE_W, CAPTURE_H / PAGE_H);
  const view = { scale, panX: (CAPTURE_W - PAGE_W * scale) / 2, panY: (CAPTURE_H - PAGE_H * scale) / 2 };
  const paint = () => {
    const d = doc();
    drawPage(ctx, d ? pageItems(d, page).toArray() : [], view, 1, PAGE_W, PAGE_H, null, d && bg && pageBackground(d, page) ? bg : null);
  };
  paint();
  const track = canvas.captureStream(FPS).getVideoTracks()[0];
  if (!track) return null;
  if ('contentHint' in track) track.contentHint = 'detail';
  // Background tabs throttle requestAnimationFrame; a timer keeps the recording going.
  const timer = setInterval(paint, 1000 / FPS);
  return {
    track,
    show(p, background) {
      page = p;
      bg = background;
      paint();
    },
    stop() {
      clearInterval(timer);
      track.stop();
    },
  };
}
