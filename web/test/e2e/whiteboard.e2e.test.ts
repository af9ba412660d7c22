// The whiteboard in two real Chromium pages against the real stack (API, media node, SFU): strokes
// drawn with the pointer on each side appear on the other; a worksheet image becomes the page
// background on both sides; the export (PNG pages + PDF) lands in the lesson's resources and the
// PNG shows the strokes over the worksheet; a late joiner (reload) and a reconnect
// (socket dropped while the other side draws) converge on identical Yjs state (state vector and content); the tutor's lock
// makes the node refuse the student's updates (sent raw, past the UI); an oversized update is
// refused; screenshots at desktop and phone size, and axe finds no serious issue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createDemoLesson } from '@duet/deploy';
import * as Y from 'yjs';
import { MAX_BOARD_UPDATE_BASE64 } from '@duet/signaling/protocol';
import { assertLoopbackOnly, startStack, type Stack } from './stack.ts';
import { joinRoom, launchBrowser, waitFor } from './browser.ts';
import { expectAccessible, screenshots } from './ui-checks.ts';

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  assertLoopbackOnly();
  [stack, browser] = await Promise.all([startStack({ BOARD_PERSIST_MS: '300' }), launchBrowser()]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const join = (url: string): Promise<Page> => joinRoom(browser, url);

async function openBoard(page: Page): Promise<void> {
  await page.getByTestId('toggle-board').click();
  await page.locator('[data-testid="board"][data-synced="true"]').waitFor({ timeout: 15_000 });
}

/** A pointer stroke across the canvas, from (fx, fy) to (tx, ty) as fractions of its box. */
async function draw(page: Page, fx: number, fy: number, tx: number, ty: number): Promise<void> {
  const box = (await page.getByTestId('board-canvas').boundingBox())!;
  const at = (f: number, g: number) => [box.x + box.width * f, box.y + box.height * g] as const;
  await page.mouse.move(...at(fx, fy));
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(...at(fx + ((tx - fx) * i) / 8, fy + ((ty - fy) * i) / 8));
  await page.mouse.up();
}

/** A small PDF, written by hand: one page per colour, each filled with that colour (RGB 0..1). */
function pdfOf(colours: [number, number, number][]): Buffer {
  const parts: string[] = ['%PDF-1.4\n'];
  const offsets: number[] = [];
  const size = () => Buffer.byteLength(parts.join(''), 'latin1');
  const obj = (id: number, body: string) => {
    offsets[id] = size();
    parts.push(`${id} 0 obj\n${body}\nendobj\n`);
  };
  const n = colours.length;
  obj(1, '<< /Type /Catalog /Pages 2 0 R >>');
  obj(2, `<< /Type /Pages /Count ${n} /Kids [${colours.map((_, i) => `${3 + i * 2} 0 R`).join(' ')}] >>`);
  colours.forEach(([r, g, b], i) => {
    const draw = `${r} ${g} ${b} rg 0 0 400 250 re f`;
    obj(3 + i * 2, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 250] /Contents ${4 + i * 2} 0 R >>`);
    obj(4 + i * 2, `<< /Length ${draw.length} >>\nstream\n${draw}\nendstream`);
  });
  const xref = size();
  const total = 3 + n * 2;
  parts.push(`xref\n0 ${total}\n0000000000 65535 f \n`);
  for (let id = 1; id < total; id++) parts.push(`${String(offsets[id]).padStart(10, '0')} 00000 n \n`);
  parts.push(`trailer\n<< /Size ${total} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  return Buffer.from(parts.join(''), 'latin1');
}

/** The doc's state vector and content (see board-stage.tsx: raw encodings differ after GC). */
const encoding = (page: Page) => page.evaluate(() => (window as any).duetBoard.state() as string);
const items = (page: Page) => page.evaluate(() => (window as any).duetBoard.page() as number);
async function converged(a: Page, b: Page, what: string): Promise<void> {
  try {
    await waitFor(what, async () => {
      const [x, y] = await Promise.all([encoding(a), encoding(b)]);
      return x === y && x;
    }, 10_000, 100);
  } catch (err) {
    const state = (p: Page) => p.evaluate(() => ({ items: (window as any).duetBoard.page(), board: document.querySelector('[data-testid="board"]')?.outerHTML.slice(0, 300), error: document.querySelector('[data-testid="board-error"]')?.textContent ?? null }));
    throw new Error(`${(err as Error).message}: ${JSON.stringify([await state(a), await state(b)])}`);
  }
}

describe('whiteboard in Chromium', () => {
  it('syncs both ways, converges after late join and reconnect, enforces the lock and the bounds at the node', async () => {
    const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'Fractions', minutes: 30 });
    const tutor = await join(lesson.tutorUrl);
    const student = await join(lesson.studentUrl);
    await Promise.all([openBoard(tutor), openBoard(student)]);

    await draw(tutor, 0.2, 0.3, 0.6, 0.5);
    await waitFor('tutor stroke on the student side', async () => (await items(student)) === 1, 10_000, 50);
    await student.getByTestId('board-tool-rect').click();
    await draw(student, 0.3, 0.6, 0.7, 0.8);
    await waitFor('student rectangle on the tutor side', async () => (await items(tutor)) === 2, 10_000, 50);
    await converged(tutor, student, 'both sides identical');

    // Worksheet: an image the tutor uploads becomes page 1's background on both sides.
    const sheet = await tutor.evaluate(async () => {
      const c = new OffscreenCanvas(320, 200);
      const g = c.getContext('2d')!;
      g.fillStyle = '#ff0000';
      g.fillRect(0, 0, 320, 200);
      const bytes = new Uint8Array(await (await c.convertToBlob({ type: 'image/png' })).arrayBuffer());
      return btoa(String.fromCharCode(...bytes));
    });
    await tutor.getByTestId('board-worksheet').locator('input').setInputFiles({ name: 'worksheet.png', mimeType: 'image/png', buffer: Buffer.from(sheet, 'base64') });
    for (const page of [tutor, student]) await page.locator('[data-testid="board"][data-background="loaded"]').waitFor({ timeout: 15_000 });

    // Export: PNG pages + a PDF land in the lesson's resources; the PNG shows the tutor's stroke
    // (decoded in the page: dark pixels along the stroke's own points, a white page elsewhere).
    await tutor.getByTestId('board-export').click();
    const files = await waitFor('exported files listed', async () => {
      const res = await fetch(`${stack.apiUrl}/v1/sessions/${lesson.id}/resources`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
      const list = ((await res.json()) as { resources: { filename: string; content_type: string; url: string }[] }).resources;
      const png = list.find((r) => r.content_type === 'image/png' && r.filename.startsWith('whiteboard-') && r.filename.endsWith('page-1.png'));
      const pdf = list.find((r) => r.content_type === 'application/pdf' && r.filename.startsWith('whiteboard-'));
      return png && pdf ? { png, pdf } : null;
    }, 15_000);
    const download = async (url: string) => Buffer.from(await (await fetch(new URL(url, stack.apiUrl))).arrayBuffer());
    const pdf = await download(files.pdf.url);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.toString('latin1')).toContain('/Count 1');
    const pixels = await tutor.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      const stroke = (window as any).duetBoard.doc.getArray('page:1').get(0).get('pts').toArray() as number[];
      const px = (x: number, y: number) => [...ctx.getImageData(Math.round(x), Math.round(y), 1, 1).data.slice(0, 3)];
      const dark = (x: number, y: number) => px(x, y).reduce((a, b) => a + b, 0) < 200;
      const onStroke = [];
      for (let i = 0; i < stroke.length; i += 3) onStroke.push(dark(stroke[i]!, stroke[i + 1]!));
      return { size: [bitmap.width, bitmap.height], onStroke, corner: px(5, 5), farAway: px(1590, 990) };
    }, (await download(files.png.url)).toString('base64'));
    expect(pixels.size).toEqual([1600, 1000]);
    expect(pixels.onStroke.length).toBeGreaterThan(3);
    expect(pixels.onStroke.every(Boolean), JSON.stringify(pixels.onStroke)).toBe(true);
    // Away from the ink: the worksheet's red, not white and not ink.
    for (const p of [pixels.corner, pixels.farAway]) expect(p[0]! > 200 && p[1]! < 60 && p[2]! < 60, JSON.stringify(p)).toBe(true);

    // PDF worksheet: pages rendered in the tutor's browser (pdfjs), uploaded as images, and set
    // as the backgrounds of page 1 and a new page 2. Bad PDFs are refused with their own message.
    const sheetInput = tutor.getByTestId('board-worksheet').locator('input');
    const refusal = async (name: string, buffer: Buffer, code: string) => {
      await sheetInput.setInputFiles({ name, mimeType: 'application/pdf', buffer });
      await tutor.locator(`[data-testid="board-error"][data-code="${code}"]`).waitFor({ timeout: 15_000 });
      return tutor.getByTestId('board-error').getAttribute('data-code');
    };
    expect(await refusal('broken.pdf', Buffer.from('%PDF-1.4\n1 0 obj garbage\n%%EOF\n', 'latin1'), 'pdf_invalid')).toBe('pdf_invalid');
    expect(await refusal('long.pdf', pdfOf(Array.from({ length: 21 }, () => [0, 0, 0] as [number, number, number])), 'pdf_too_many_pages')).toBe('pdf_too_many_pages');
    await sheetInput.setInputFiles({ name: 'fractions sheet.pdf', mimeType: 'application/pdf', buffer: pdfOf([[0, 0, 1], [0, 1, 0]]) });
    const pdfSheets = await waitFor('PDF pages as backgrounds', async () => {
      const meta = await tutor.evaluate(() => (window as any).duetBoard.doc.getMap('meta').toJSON() as Record<string, unknown>);
      return meta.pages === 2 && meta['bg:2'] ? meta : null;
    }, 20_000);
    await tutor.getByTestId('board-error').waitFor({ state: 'detached', timeout: 5_000 });
    const listed = ((await (await fetch(`${stack.apiUrl}/v1/sessions/${lesson.id}/resources`, { headers: { authorization: `Bearer ${stack.apiKey}` } })).json()) as { resources: { id: string; filename: string; content_type: string; url: string }[] }).resources;
    const pageImage = (n: number) => listed.find((r) => r.id === pdfSheets[`bg:${n}`])!;
    expect([pageImage(1).filename, pageImage(1).content_type, pageImage(2).filename]).toEqual(['fractions-sheet-page-1.png', 'image/png', 'fractions-sheet-page-2.png']);
    // Each page image is its PDF page: blue, then green (decoded in the page).
    for (const [n, want] of [[1, [0, 0, 255]], [2, [0, 255, 0]]] as const) {
      const b64 = (await download(pageImage(n).url)).toString('base64');
      const rgb = await tutor.evaluate(async (data) => {
        const bitmap = await createImageBitmap(new Blob([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], { type: 'image/png' }));
        const c = new OffscreenCanvas(bitmap.width, bitmap.height);
        const g = c.getContext('2d')!;
        g.drawImage(bitmap, 0, 0);
        return { size: [bitmap.width, bitmap.height], px: [...g.getImageData(bitmap.width >> 1, bitmap.height >> 1, 1, 1).data.slice(0, 3)] };
      }, b64);
      expect(rgb.size).toEqual([1600, 1000]);
      expect(rgb.px.every((v, i) => Math.abs(v - want[i]!) < 40), `page ${n}: ${JSON.stringify(rgb.px)}`).toBe(true);
    }
    await student.locator('[data-testid="board"][data-background="loaded"]').waitFor({ timeout: 15_000 });

    // Per-person undo: the student's undo takes its rectangle away, never the tutor's stroke.
    await student.getByTestId('board-undo').click();
    await waitFor('undo reaches the tutor', async () => (await items(tutor)) === 1, 10_000, 50);
    await student.getByTestId('board-redo').click();
    await waitFor('redo reaches the tutor', async () => (await items(tutor)) === 2, 10_000, 50);

    // Reconnect: the student's socket drops while the tutor draws; after the resume both match.
    await student.evaluate(() => (window as any).__duet.test.dropSignaling());
    await draw(tutor, 0.1, 0.1, 0.3, 0.2);
    await waitFor('student resumed', async () => (await student.evaluate(() => (window as any).__duet.state().reconnecting)) === false, 15_000);
    await converged(tutor, student, 'converged after the reconnect');
    expect(await items(student)).toBe(3);

    // Late join: the student reloads (a fresh doc) and gets the whole board in one sync.
    await student.reload();
    await student.getByTestId('prejoin').waitFor({ timeout: 20_000 });
    await waitFor('Join enabled', async () => student.getByTestId('join').isEnabled());
    await student.getByTestId('join').click();
    await student.getByTestId('room').waitFor({ timeout: 20_000 });
    await openBoard(student);
    await converged(tutor, student, 'converged after the late join');

    // Screenshots and axe with the board open (desktop and phone).
    for (const page of [tutor, student]) {
      await expectAccessible(page, 'board');
    }
    await screenshots(tutor, 'room-whiteboard');
    // Phone: the control bar sits under the video strip, overlapping neither it nor the board.
    await tutor.setViewportSize({ width: 390, height: 844 });
    await tutor.waitForTimeout(300);
    const boxes = await tutor.evaluate(() => {
      const box = (sel: string) => {
        const r = document.querySelector(sel)!.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, height: r.height };
      };
      return { board: box('.room-body > .board'), strip: box('.room-body > .stage'), controls: box('.controls'), viewport: innerHeight };
    });
    expect(boxes.strip.top, JSON.stringify(boxes)).toBeGreaterThanOrEqual(boxes.board.bottom - 1);
    expect(boxes.controls.top, JSON.stringify(boxes)).toBeGreaterThanOrEqual(boxes.strip.bottom - 1);
    expect(boxes.controls.bottom, JSON.stringify(boxes)).toBeLessThanOrEqual(boxes.viewport + 1);
    expect(boxes.strip.height).toBeGreaterThan(100);
    await expectAccessible(tutor, 'board on a phone');
    await tutor.setViewportSize({ width: 1280, height: 800 });

    // The lock: the student's UI goes read-only, and an update sent past the UI is refused by the node.
    await tutor.getByTestId('board-lock').click();
    await student.getByTestId('board-locked-note').waitFor({ timeout: 10_000 });
    expect(await student.getByTestId('board-tool-pen').isDisabled()).toBe(true);
    const sneaky = new Y.Doc();
    sneaky.getArray('page:1').push(['drawn while locked']);
    const update = Buffer.from(Y.encodeStateAsUpdate(sneaky)).toString('base64');
    const raw = await student.evaluate(async (u) => {
      const link = (window as any).__duet.controller.board;
      return link.update(u).then(() => 'accepted', (e: { code?: string }) => e.code ?? 'error');
    }, update);
    expect(raw).toBe('board_locked');
    await screenshots(student, 'room-whiteboard-locked');
    await tutor.getByTestId('board-lock').click();
    await student.getByTestId('board-locked-note').waitFor({ state: 'detached', timeout: 10_000 });

    // Bounds: an update beyond the size cap is refused with a clear code, the room carries on.
    const big = await student.evaluate(async (n) => {
      const link = (window as any).__duet.controller.board;
      return link.update('A'.repeat(n)).then(() => 'accepted', (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`);
    }, MAX_BOARD_UPDATE_BASE64 + 4);
    expect(big).toMatch(/^invalid_message/);
    await draw(student, 0.5, 0.2, 0.8, 0.3);
    await converged(tutor, student, 'drawing goes on after the refusals');
  }, 150_000);
});
