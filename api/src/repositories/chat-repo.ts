// Chat messages of a lesson.
import type { Queryable } from '../db/connect.ts';
import type { Role } from '../tokens/join-token.ts';

export interface ChatRow {
  id: string;
  session_id: string;
  role: Role;
  user_id: string;
  name: string;
  text: string;
  sent_at: Date;
}

/** Inserts once per id; returns the stored row (the earlier one on a retry). */
export async function insertChatMessage(q: Queryable, m: ChatRow): Promise<{ row: ChatRow; created: boolean }> {
  const inserted = await q<ChatRow[]>`
    insert into chat_messages (id, session_id, role, user_id, name, text, sent_at)
    values (${m.id}, ${m.session_id}, ${m.role}, ${m.user_id}, ${m.name}, ${m.text}, ${m.sent_at})
    on conflict (id) do nothing
    returning id, session_id, role, user_id, name, text, sent_at`;
  if (inserted[0]) return { row: inserted[0], created: true };
  const [row] = await q<ChatRow[]>`
    select id, session_id, role, user_id, name, text, sent_at from chat_messages where id = ${m.id}`;
  return { row: row!, created: false };
}

/** The newest `limit` messages, oldest first. */
export async function listChatMessages(q: Queryable, sessionId: string, limit: number): Promise<ChatRow[]> {
  const rows = await q<ChatRow[]>`
    select id, session_id, role, user_id, name, text, sent_at from chat_messages
     where session_id = ${sessionId}
     order by sent_at desc, created_at desc, id desc
     limit ${limit}`;
  return rows.reverse();
}
