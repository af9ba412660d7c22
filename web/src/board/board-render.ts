// Draws one page of the board on a 2D canvas: pen strokes smoothed (quadratic curves through the
// midpoints of successive points, width following the pen's pressure), the highlighter wide and
// translucent, shapes, text. Also the geometry the eraser needs (is a point on an item?).
import * as Y from 'yjs';
import type { Item, ItemKind } from './board-doc.ts';

export interface View {
  /** Page units → CSS pixels. */
  scale: number;
  /** CSS pixels. */
  panX: number;
  panY: number;
}

/** A shape being dragged (not in the doc until the pointer lifts). */
export interface Draft {
  kind: ItemKind;
  color: string;
  width: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

const num = (m: Item, k: string) => Number(m.get(k) ?? 0);

function points(item: Item): number[] {
  const pts = item.get('pts');
  return pts instanceof Y.Array ? (pts.toArray() as number[]) : [];
}

function stroke(ctx: CanvasRenderingContext2D, pts: number[], width: number, pressure: boolean): void {
  const n = Math.floor(pts.length / 3);
  if (n === 0) return;
  if (n === 1) {
    ctx.beginPath();
    ctx.arc(pts[0]!, pts[1]!, (width * (pressure ? 0.5 + pts[2]! : 1)) / 2, 0, Math.PI * 2);
    ctx.fill();
    return;
  }
  if (!pressure) {
    ctx.lineWidth = width;
    ctx.beginPath();
    ctx.moveTo(pts[0]!, pts[1]!);
    for (let i = 1; i < n - 1; i++) {
      const mx = (pts[i * 3]! + pts[i * 3 + 3]!) / 2;
      const my = (pts[i * 3 + 1]! + pts[i * 3 + 4]!) / 2;
      ctx.quadraticCurveTo(pts[i * 3]!, pts[i * 3 + 1]!, mx, my);
    }
    ctx.lineTo(pts[(n - 1) * 3]!, pts[(n - 1) * 3 + 1]!);
    ctx.stroke();
    return;
  }
  // Pressure: each smoothed piece gets the width of its control point.
  let px = pts[0]!;
  let py = pts[1]!;
  for (let i = 1; i < n; i++) {
    const last = i === n - 1;
    const cx = pts[i * 3]!;
    const cy = pts[i * 3 + 1]!;
    const ex = last ? cx : (cx + pts[i * 3 + 3]!) / 2;
    const ey = last ? cy : (cy + pts[i * 3 + 4]!) / 2;
    ctx.lineWidth = width * (0.5 + pts[i * 3 + 2]!);
    ctx.beginPath();
    ctx.moveTo(px, py);
    ctx.quadraticCurveTo(cx, cy, ex, ey);
    ctx.stroke();
    px = ex;
    py = ey;
  }
}

function shape(ctx: CanvasRenderingContext2D, kind: ItemKind, x1: number, y1: number, x2: number, y2: number, width: number): void {
  ctx.lineWidth = width;
  ctx.beginPath();
  if (kind === 'rect') ctx.rect(Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1));
  else if (kind === 'ellipse') ctx.ellipse((x1 + x2) / 2, (y1 + y2) / 2, Math.abs(x2 - x1) / 2, Math.abs(y2 - y1) / 2, 0, 0, Math.PI * 2);
  else {
    ctx.moveTo(x1, y1);
    ctx.lineTo(x2, y2);
    if (kind === 'arrow') {
      const a = Math.atan2(y2 - y1, x2 - x1);
      const head = Math.max(12, width * 4);
      ctx.moveTo(x2, y2);
      ctx.lineTo(x2 - head * Math.cos(a - 0.45), y2 - head * Math.sin(a - 0.45));
      ctx.moveTo(x2, y2);
      ctx.lineTo(x2 - head * Math.cos(a + 0.45), y2 - head * Math.sin(a + 0.45));
    }
  }
  ctx.stroke();
}

export function drawItem(ctx: CanvasRenderingContext2D, item: Item): void {
  const kind = item.get('kind') as ItemKind;
  const color = String(item.get('color') ?? '#111827');
  const width = Math.min(64, Math.max(1, num(item, 'width') || 4));
  ctx.save();
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  if (kind === 'pen') stroke(ctx, points(item), width, true);
  else if (kind === 'highlighter') {
    ctx.globalAlpha = 0.35;
    stroke(ctx, points(item), width * 4, false);
  } else if (kind === 'text') {
    ctx.font = `${Math.round(width * 6 + 12)}px system-ui, sans-serif`;
    ctx.textBaseline = 'top';
    ctx.fillText(String(item.get('text') ?? '').slice(0, 500), num(item, 'x'), num(item, 'y'));
  } else shape(ctx, kind, num(item, 'x1'), num(item, 'y1'), num(item, 'x2'), num(item, 'y2'), width);
  ctx.restore();
}

export function drawDraft(ctx: CanvasRenderingContext2D, d: Draft): void {
  ctx.save();
  ctx.strokeStyle = d.color;
  ctx.lineCap = 'round';
  shape(ctx, d.kind, d.x1, d.y1, d.x2, d.y2, d.width);
  ctx.restore();
}

function segDist(px: number, py: number, x1: number, y1: number, x2: number, y2: number): number {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const len = dx * dx + dy * dy;
  const t = len === 0 ? 0 : Math.max(0, Math.min(1, ((px - x1) * dx + (py - y1) * dy) / len));
  return Math.hypot(px - (x1 + t * dx), py - (y1 + t * dy));
}

/** Whether page point (x, y) is within `r` of the item's ink. */
export function hits(item: Item, x: number, y: number, r: number): boolean {
  const kind = item.get('kind') as ItemKind;
  const w = (num(item, 'width') || 4) * (kind === 'highlighter' ? 4 : 1);
  const reach = r + w / 2;
  if (kind === 'pen' || kind === 'highlighter') {
    const p = points(item);
    for (let i = 0; i + 2 < p.length; i += 3) {
      const j = i + 3 + 1 < p.length ? i + 3 : i;
      if (segDist(x, y, p[i]!, p[i + 1]!, p[j]!, p[j + 1]!) <= reach) return true;
    }
    return false;
  }
  if (kind === 'text') {
    const size = w * 6 + 12;
    const tx = num(item, 'x');
    const ty = num(item, 'y');
    return x >= tx - r && x <= tx + String(item.get('text') ?? '').length * size * 0.6 + r && y >= ty - r && y <= ty + size + r;
  }
  const [x1, y1, x2, y2] = [num(item, 'x1'), num(item, 'y1'), num(item, 'x2'), num(item, 'y2')];
  if (kind === 'rect') {
    return [segDist(x, y, x1, y1, x2, y1), segDist(x, y, x2, y1, x2, y2), segDist(x, y, x2, y2, x1, y2), segDist(x, y, x1, y2, x1, y1)].some((d) => d <= reach);
  }
  if (kind === 'ellipse') {
    const rx = Math.abs(x2 - x1) / 2 || 1;
    const ry = Math.abs(y2 - y1) / 2 || 1;
    const k = Math.hypot((x - (x1 + x2) / 2) / rx, (y - (y1 + y2) / 2) / ry);
    return Math.abs(k - 1) * Math.min(rx, ry) <= reach;
  }
  return segDist(x, y, x1, y1, x2, y2) <= reach;
}

/** The page, white, with its items, under the view transform; device pixels from `dpr`. */
/** A worksheet image, scaled to fit the page (kept whole, centred). */
function drawBackground(ctx: CanvasRenderingContext2D, bg: ImageBitmap, pageW: number, pageH: number): void {
  const k = Math.min(pageW / bg.width, pageH / bg.height);
  const w = bg.width * k;
  const h = bg.height * k;
  ctx.drawImage(bg, (pageW - w) / 2, (pageH - h) / 2, w, h);
}

export function drawPage(ctx: CanvasRenderingContext2D, items: Item[], view: View, dpr: number, pageW: number, pageH: number, draft: Draft | null, background?: ImageBitmap | null): void {
  const { width, height } = ctx.canvas;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = '#e5e7eb';
  ctx.fillRect(0, 0, width, height);
  ctx.setTransform(view.scale * dpr, 0, 0, view.scale * dpr, view.panX * dpr, view.panY * dpr);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, pageW, pageH);
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, 0, pageW, pageH);
  ctx.clip();
  if (background) drawBackground(ctx, background, pageW, pageH);
  for (const item of items) drawItem(ctx, item);
  if (draft) drawDraft(ctx, draft);
  ctx.restore();
}
