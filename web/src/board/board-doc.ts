// The whiteboard's data model in one Yjs document per lesson (the media node holds the merged
// copy). Pages: `meta.pages` (a count, last writer wins: two people adding page 3 at once add the
// same page) and one Y.Array of items per page (`page:<n>`). An item is a Y.Map: `kind`, `color`,
// `width`, and either `pts` (a Y.Array of x, y, pressure triples, appended while the pen moves, so
// the other side sees the stroke grow) or `x1..y2` (shapes), or `x`, `y`, `text`. Coordinates are
// in page units (PAGE_W × PAGE_H), independent of the screen.
import * as Y from 'yjs';

export const PAGE_W = 1600;
export const PAGE_H = 1000;
export type Tool = 'pen' | 'highlighter' | 'line' | 'arrow' | 'rect' | 'ellipse' | 'text' | 'eraser' | 'hand';
export type ItemKind = Exclude<Tool, 'eraser' | 'hand'>;
export const SHAPES: ItemKind[] = ['line', 'arrow', 'rect', 'ellipse'];
/** Transactions made by this person (undo tracks only these); remote updates carry REMOTE. */
export const LOCAL = { local: true };
export const REMOTE = 'remote';

export type Item = Y.Map<unknown>;

export function pageCount(doc: Y.Doc): number {
  const n = doc.getMap('meta').get('pages');
  return typeof n === 'number' && n >= 1 && n <= 200 ? Math.floor(n) : 1;
}

export function pageItems(doc: Y.Doc, page: number): Y.Array<Item> {
  return doc.getArray<Item>(`page:${page}`);
}

export function addPage(doc: Y.Doc): number {
  const n = pageCount(doc) + 1;
  doc.transact(() => doc.getMap('meta').set('pages', n), LOCAL);
  return n;
}

let seq = 0;
export function newItem(doc: Y.Doc, page: number, fields: Record<string, unknown>, pts?: number[]): Item {
  const item = new Y.Map<unknown>();
  doc.transact(() => {
    item.set('id', `${doc.clientID}-${Date.now().toString(36)}-${seq++}`);
    for (const [k, v] of Object.entries(fields)) item.set(k, v);
    if (pts) {
      const arr = new Y.Array<number>();
      arr.push(pts);
      item.set('pts', arr);
    }
    pageItems(doc, page).push([item]);
  }, LOCAL);
  return item;
}

export function undoManager(doc: Y.Doc): Y.UndoManager {
  const scope: Y.AbstractType<any>[] = [];
  for (let p = 1; p <= Math.max(pageCount(doc), 1); p++) scope.push(pageItems(doc, p));
  return new Y.UndoManager(scope, { trackedOrigins: new Set([LOCAL]), captureTimeout: 400 });
}

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The worksheet shown under page `page`: a lesson resource id (set by the tutor), or null. */
export function pageBackground(doc: Y.Doc, page: number): string | null {
  const id = doc.getMap('meta').get(`bg:${page}`);
  return typeof id === 'string' && id.length > 0 && id.length <= 100 ? id : null;
}

export function setPageBackground(doc: Y.Doc, page: number, resourceId: string): void {
  doc.transact(() => doc.getMap('meta').set(`bg:${page}`, resourceId), LOCAL);
}

/** Backgrounds from page `first` on, one per id, adding pages as needed (one transaction). */
export function setPageBackgrounds(doc: Y.Doc, first: number, resourceIds: string[]): void {
  doc.transact(() => {
    const meta = doc.getMap('meta');
    const last = Math.min(200, first + resourceIds.length - 1);
    if (last > pageCount(doc)) meta.set('pages', last);
    resourceIds.forEach((id, i) => first + i <= last && meta.set(`bg:${first + i}`, id));
  }, LOCAL);
}
