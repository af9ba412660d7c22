// The lesson's saved whiteboard (one row per lesson, replaced on every save).
import type { Queryable } from '../db/connect.ts';

export interface WhiteboardRow {
  state: Uint8Array;
  locked: boolean;
  updated_at: Date;
}

export async function findWhiteboard(q: Queryable, sessionId: string): Promise<WhiteboardRow | null> {
  const rows = await q<{ state: string; locked: boolean; updated_at: Date }[]>`
    select state, locked, updated_at from whiteboards where session_id = ${sessionId}`;
  const row = rows[0];
  return row ? { state: new Uint8Array(Buffer.from(row.state, 'base64')), locked: row.locked, updated_at: row.updated_at } : null;
}

export async function upsertWhiteboard(q: Queryable, sessionId: string, state: Uint8Array, locked: boolean): Promise<void> {
  const text = Buffer.from(state.buffer, state.byteOffset, state.byteLength).toString('base64');
  await q`
    insert into whiteboards (session_id, state, bytes, locked) values (${sessionId}, ${text}, ${state.byteLength}, ${locked})
    on conflict (session_id) do update set state = excluded.state, bytes = excluded.bytes, locked = excluded.locked, updated_at = now()`;
}

export async function deleteWhiteboard(q: Queryable, sessionId: string): Promise<number> {
  return (await q`delete from whiteboards where session_id = ${sessionId}`).count;
}

/**
 * Lessons whose board still needs its end-of-lesson export: the lesson ended (and is not archived),
 * the board was last saved before `settledBefore` (the node's closing save is in), and no export
 * (`whiteboard-final.pdf`, written by the API as 'service') was made since that save. A save after
 * an export (a node's late closing save) makes the lesson due again, and the export is redone.
 */
export async function listDueBoardExports(q: Queryable, settledBefore: Date, limit: number): Promise<{ session_id: string; updated_at: Date }[]> {
  return q<{ session_id: string; updated_at: Date }[]>`
    select w.session_id, w.updated_at from whiteboards w join sessions s on s.id = w.session_id
     where s.ended_at is not null and s.ended_at <= ${settledBefore} and s.status <> 'archived'
       and w.updated_at <= ${settledBefore}
       and not exists (select 1 from resources r where r.session_id = w.session_id and r.filename = ${FINAL_PDF}
                         and r.uploaded_by_role = 'service' and r.created_at >= w.updated_at)
     order by w.updated_at limit ${limit}`;
}

/** The name of the end-of-lesson export's PDF (its PNG pages: whiteboard-final-page-<n>.png). */
export const FINAL_PDF = 'whiteboard-final.pdf';
