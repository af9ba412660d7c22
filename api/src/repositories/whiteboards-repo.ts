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
