// The board's export at the end of the lesson, with no browser and nobody clicking: the media
// node saved the board (internal PUT, a real Yjs doc with a pen stroke over a worksheet image);
// the lesson ends; the API's lesson jobs (on their real timer) render it and put PNG pages + a
// PDF into the lesson's resources. The PNG is decoded: ink where the stroke is, the worksheet's
// colour elsewhere. A save arriving after the export (the node's late closing save) replaces the
// export with one showing the newer board; a board that cannot be decoded never crashes the job.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import type { DuetEvent } from '../src/events/event.ts';
import { API_KEY, DB_KINDS, HOOK_SECRET, createLesson, eventually, sendHook, startApiOn, type TestApi } from './support/harness.ts';

const hook = (type: string, sessionId: string, data: Record<string, unknown>): DuetEvent => ({ id: `evt_${randomUUID()}`, type: type as DuetEvent['type'], created_at: new Date().toISOString(), session_id: sessionId, data });

/** A board as the room writes it (board-doc.ts): pen strokes as x, y, pressure triples. */
function board(strokes: number[][], background: string | null): Uint8Array {
  const doc = new Y.Doc();
  doc.transact(() => {
    if (background) doc.getMap('meta').set('bg:1', background);
    for (const pts of strokes) {
      const item = new Y.Map<unknown>();
      item.set('id', randomUUID());
      item.set('kind', 'pen');
      item.set('color', '#111827');
      item.set('width', 10);
      const arr = new Y.Array<number>();
      arr.push(pts);
      item.set('pts', arr);
      doc.getArray('page:1').push([item]);
    }
  });
  return Y.encodeStateAsUpdate(doc);
}

const line = (x1: number, y1: number, x2: number, y2: number) => Array.from({ length: 11 }, (_, i) => [x1 + ((x2 - x1) * i) / 10, y1 + ((y2 - y1) * i) / 10, 0.5]).flat();

describe.each(DB_KINDS)('whiteboard export at the end of the lesson (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind, { LESSON_JOBS_INTERVAL_MS: '100' }, { lessonJobs: true });
  });
  afterAll(() => api?.close());

  const save = (id: string, state: Uint8Array) =>
    fetch(`${api.url}/internal/sessions/${id}/whiteboard`, { method: 'PUT', headers: { authorization: `Bearer ${HOOK_SECRET}`, 'content-type': 'application/octet-stream' }, body: state as BodyInit });
  const resources = async (id: string) => (await api.request('GET', `/v1/sessions/${id}/resources`, { token: API_KEY })).body.resources as { id: string; filename: string; content_type: string; url: string; uploaded_by: { role: string } }[];
  const pixels = async (url: string, points: [number, number][]) => {
    const img = await loadImage(Buffer.from(await (await fetch(new URL(url, api.url))).arrayBuffer()));
    const c = createCanvas(img.width, img.height);
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    return { size: [img.width, img.height], px: points.map(([x, y]) => [...g.getImageData(x, y, 1, 1).data.slice(0, 3)]) };
  };
  const dark = (p: number[]) => p[0]! + p[1]! + p[2]! < 200;
  const green = (p: number[]) => p[0]! < 60 && p[1]! > 150 && p[2]! < 60;

  it('renders the saved board (strokes over the worksheet) into PNG + PDF resources when the lesson ends, and redoes it after a late save', async () => {
    const lesson = await createLesson(api);
    // The worksheet: a green image uploaded by the tutor's side (here with the API key).
    const sheet = createCanvas(320, 200);
    const sg = sheet.getContext('2d');
    sg.fillStyle = '#00c000';
    sg.fillRect(0, 0, 320, 200);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(await sheet.encode('png'))], { type: 'image/png' }), 'sheet.png');
    const up = await fetch(`${api.url}/v1/sessions/${lesson.id}/resources`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` }, body: form });
    expect(up.status).toBe(201);
    const sheetId = ((await up.json()) as { resource: { id: string } }).resource.id;

    expect((await save(lesson.id, board([line(200, 300, 900, 300)], sheetId))).status).toBe(204);
    for (const role of ['tutor', 'student'] as const) {
      expect((await sendHook(api, hook('participant.joined', lesson.id, { role, user_id: lesson[role].id }))).status).toBe(200);
    }
    // Nothing is exported while the lesson runs.
    await api.server.runLessonJobs();
    expect((await resources(lesson.id)).filter((r) => r.filename.startsWith('whiteboard-final'))).toEqual([]);
    expect((await sendHook(api, hook('session.ended', lesson.id, { reason: 'ended_by_tutor' }))).status).toBe(200);

    const first = await eventually(async () => {
      const list = await resources(lesson.id);
      const png = list.find((r) => r.filename === 'whiteboard-final-page-1.png');
      const pdf = list.find((r) => r.filename === 'whiteboard-final.pdf');
      return png && pdf ? { png, pdf } : undefined;
    }, 15_000);
    expect([first.png.content_type, first.pdf.content_type, first.pdf.uploaded_by.role]).toEqual(['image/png', 'application/pdf', 'service']);
    const pdf = Buffer.from(await (await fetch(new URL(first.pdf.url, api.url))).arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.toString('latin1')).toContain('/Count 1');
    const a = await pixels(first.png.url, [[200, 300], [550, 300], [900, 300], [550, 700], [550, 500]]);
    expect(a.size).toEqual([1600, 1000]);
    expect(a.px.slice(0, 3).every(dark), JSON.stringify(a.px)).toBe(true);
    expect(a.px.slice(3).every(green), JSON.stringify(a.px)).toBe(true);

    // The node's closing save lands after the export: the export is redone with the newer board
    // and replaces the first one (one set of final files).
    expect((await save(lesson.id, board([line(200, 300, 900, 300), line(550, 500, 550, 800)], sheetId))).status).toBe(204);
    const second = await eventually(async () => {
      const list = (await resources(lesson.id)).filter((r) => r.filename.startsWith('whiteboard-final'));
      const png = list.find((r) => r.filename === 'whiteboard-final-page-1.png');
      return png && png.id !== first.png.id && list.length === 2 ? png : undefined;
    }, 15_000);
    const b = await pixels(second.url, [[550, 700], [550, 500]]);
    expect(b.px.every(dark), JSON.stringify(b.px)).toBe(true);
    // The worksheet and nothing else besides the final export.
    expect((await resources(lesson.id)).map((r) => r.filename).sort()).toEqual(['sheet.png', 'whiteboard-final-page-1.png', 'whiteboard-final.pdf']);
  });

  it('leaves a board it cannot decode alone without stopping the job for other lessons', async () => {
    const broken = await createLesson(api);
    const fine = await createLesson(api);
    expect((await save(broken.id, new Uint8Array([1, 2, 3, 250, 251]))).status).toBe(204);
    expect((await save(fine.id, board([line(100, 100, 300, 100)], null))).status).toBe(204);
    for (const lesson of [broken, fine]) {
      for (const role of ['tutor', 'student'] as const) await sendHook(api, hook('participant.joined', lesson.id, { role, user_id: lesson[role].id }));
      expect((await sendHook(api, hook('session.ended', lesson.id, { reason: 'time_up' }))).status).toBe(200);
    }
    await eventually(async () => ((await resources(fine.id)).some((r) => r.filename === 'whiteboard-final.pdf') ? true : undefined), 15_000);
    expect((await resources(broken.id)).filter((r) => r.filename.startsWith('whiteboard-final'))).toEqual([]);
    expect((await api.request('GET', '/healthz')).status).toBeLessThan(500);
  });
});
