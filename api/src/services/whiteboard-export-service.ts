// The board's export when the lesson ends, with nobody clicking: however the lesson ended (the
// tutor's button, time up, the node closing it, a no-show), the lesson jobs find ended lessons
// whose saved board has no export since its last save, render it here (whiteboard-render.ts) and
// put `whiteboard-final-page-<n>.png` and `whiteboard-final.pdf` into the lesson's resources
// (uploaded by 'service', with the usual resource.uploaded events). It needs no browser: the
// media node saves the board during the lesson and when the room closes, so both people may
// have left long before. A save after the export (the node's closing save arriving late) makes
// the lesson due again: the new export replaces the old one, so the files always show the last
// saved board. The export is the lesson's own output: it does not count against the tutor's
// upload quota (it is bounded by MAX_EXPORT_PAGES pages instead).
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import { newEvent } from '../events/event.ts';
import { deleteResource, insertResource, listResources, type ResourceRow } from '../repositories/resources-repo.ts';
import { findWhiteboard, FINAL_PDF, listDueBoardExports } from '../repositories/whiteboards-repo.ts';
import { recordEvent } from './outbox-service.ts';
import { renderBoard } from './whiteboard-render.ts';

/** Wait this long after the lesson's end and the board's last save (the node's closing save). */
export const EXPORT_SETTLE_MS = 1_000;
const BATCH = 5;
/** A board that failed to render this many times in a row is left alone until the next restart. */
const MAX_FAILURES = 3;

const isFinal = (r: ResourceRow) => r.uploaded_by_role === 'service' && (r.filename === FINAL_PDF || /^whiteboard-final-page-\d+\.png$/.test(r.filename));

async function readAll(ctx: AppContext, key: string): Promise<Uint8Array> {
  const { body } = await ctx.objects.get(key);
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

/** Renders and stores one lesson's board; returns the number of files written. */
export async function exportFinalBoard(ctx: AppContext, sessionId: string): Promise<number> {
  const board = await findWhiteboard(ctx.sql, sessionId);
  if (!board) return 0;
  const before = await listResources(ctx.sql, sessionId);
  const images = new Map(before.filter((r) => r.content_type.startsWith('image/')).map((r) => [r.id, r]));
  const rendered = await renderBoard(board.state, async (id) => {
    const r = images.get(id);
    return r ? readAll(ctx, r.storage_key) : null;
  });
  const files = [
    ...rendered.pages.map((bytes, i) => ({ filename: `whiteboard-final-page-${i + 1}.png`, contentType: 'image/png', bytes })),
    // The PDF last: its row is what marks the export done (listDueBoardExports).
    { filename: FINAL_PDF, contentType: 'application/pdf', bytes: rendered.pdf },
  ];
  const stored: { id: string; key: string; file: (typeof files)[number] }[] = [];
  try {
    for (const file of files) {
      const id = randomUUID();
      const key = `resources/sessions/${sessionId}/${id}/${file.filename}`;
      stored.push({ id, key, file });
      await ctx.objects.put(key, Buffer.from(file.bytes), { contentType: file.contentType });
    }
    await ctx.sql.begin(async (tx) => {
      for (const { id, key, file } of stored) {
        const row = await insertResource(tx, {
          id,
          session_id: sessionId,
          filename: file.filename,
          content_type: file.contentType,
          size_bytes: file.bytes.byteLength,
          storage_key: key,
          uploaded_by_role: 'service',
          uploaded_by_user_id: null,
        });
        await recordEvent(ctx, tx, newEvent('resource.uploaded', sessionId, {
          resource_id: id,
          filename: file.filename,
          content_type: file.contentType,
          size_bytes: file.bytes.byteLength,
          uploaded_by: { role: 'service', user_id: null },
        }, row.created_at));
      }
      // The previous export (an earlier save's) goes: one set of final files per lesson.
      for (const old of before.filter(isFinal)) await deleteResource(tx, old.id);
    });
  } catch (err) {
    for (const { key } of stored) await ctx.objects.delete(key).catch(() => {});
    throw err;
  }
  for (const old of before.filter(isFinal)) await ctx.objects.delete(old.storage_key).catch(() => {});
  ctx.eventsCommitted();
  ctx.log.info({ session_id: sessionId, pages: rendered.pages.length }, 'whiteboard exported at the end of the lesson');
  return files.length;
}

export interface BoardExports {
  /** One pass: every due lesson (a few per call). Returns the lessons exported. */
  runOnce(): Promise<string[]>;
}

export function createBoardExports(ctx: AppContext): BoardExports {
  const failures = new Map<string, number>();
  return {
    async runOnce() {
      const settled = new Date(ctx.now().getTime() - EXPORT_SETTLE_MS);
      const due = (await listDueBoardExports(ctx.sql, settled, BATCH + failures.size)).filter((d) => (failures.get(d.session_id) ?? 0) < MAX_FAILURES).slice(0, BATCH);
      const done: string[] = [];
      for (const { session_id } of due) {
        try {
          await exportFinalBoard(ctx, session_id);
          failures.delete(session_id);
          done.push(session_id);
        } catch (err) {
          const n = (failures.get(session_id) ?? 0) + 1;
          failures.set(session_id, n);
          ctx.log.error({ err, session_id, attempt: n }, n >= MAX_FAILURES ? 'whiteboard export failed; giving up until restart' : 'whiteboard export failed');
        }
      }
      return done;
    },
  };
}
