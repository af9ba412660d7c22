// SQL for GDPR erasure: removes a lesson's (or one participant's) content rows and scrubs names,
// returning how many rows went (the audit event records the counts, never the content).
import type { Queryable } from '../db/connect.ts';
import type { Role } from '../tokens/join-token.ts';

export const ERASED_NAME = 'Erased';
export const ERASED_TITLE = 'Erased lesson';
/** Free-text keys that may carry names or content inside stored event data. */
const EVENT_TEXT_KEYS = ['name', 'comment', 'text', 'reason_text', 'cancel_reason', 'avatar_url'];

export type EraseCounts = Record<'chat_messages' | 'notes' | 'feedback' | 'analytics_events' | 'attendance_facts' | 'resources', number>;

/** Who sits where: the lessons one user id takes part in. */
export async function lessonsOfUser(q: Queryable, userId: string): Promise<{ session_id: string; role: Role; status: string }[]> {
  return q<{ session_id: string; role: Role; status: string }[]>`
    select p.session_id, p.role, s.status from participants p join sessions s on s.id = p.session_id
     where p.user_id = ${userId} order by s.scheduled_start, s.id for update of s`;
}

export async function resourceKeys(q: Queryable, sessionId: string, role?: Role): Promise<string[]> {
  const rows = role
    ? await q<{ storage_key: string }[]>`select storage_key from resources where session_id = ${sessionId} and uploaded_by_role = ${role}`
    : await q<{ storage_key: string }[]>`select storage_key from resources where session_id = ${sessionId}`;
  return rows.map((r) => r.storage_key);
}

/** Everything a lesson holds beyond its billing facts; `role` limits it to one seat's content. */
export async function eraseContent(q: Queryable, sessionId: string, role?: Role): Promise<EraseCounts> {
  const seat = (col: string) => (role ? q`and ${q(col)} = ${role}` : q``);
  const chat = await q`delete from chat_messages where session_id = ${sessionId} ${seat('role')}`;
  const notes = await q`delete from notes where session_id = ${sessionId} ${seat('role')}`;
  const feedback = await q`delete from feedback where session_id = ${sessionId} ${seat('role')}`;
  const analytics = await q`delete from analytics_events where session_id = ${sessionId} ${seat('role')}`;
  const facts = await q`delete from attendance_facts where session_id = ${sessionId} ${seat('role')}`;
  // attendance_intervals stay: join/leave times per seat are the billing facts the lesson keeps.
  const resources = await q`delete from resources where session_id = ${sessionId} ${seat('uploaded_by_role')}`;
  await q`update participants set name = ${ERASED_NAME}, avatar_url = null where session_id = ${sessionId} ${seat('role')}`;
  await q`update events set data = data - ${q.array(EVENT_TEXT_KEYS)}::text[] where session_id = ${sessionId} ${role ? q`and data->>'role' = ${role}` : q``}`;
  return {
    chat_messages: chat.count,
    notes: notes.count,
    feedback: feedback.count,
    analytics_events: analytics.count,
    attendance_facts: facts.count,
    resources: resources.count,
  };
}

/** The lesson row keeps its times and status (billing); its free text and the marketplace's metadata go. */
export async function markSessionErased(q: Queryable, sessionId: string, at: Date): Promise<void> {
  await q`
    update sessions set title = ${ERASED_TITLE}, course_title = null, cancel_reason = case when cancel_reason is null then null else '' end,
           metadata = '{}'::jsonb, erased_at = ${at}, updated_at = now()
     where id = ${sessionId}`;
}

export async function erasedAt(q: Queryable, sessionId: string): Promise<Date | null> {
  const rows = await q<{ erased_at: Date | null }[]>`select erased_at from sessions where id = ${sessionId}`;
  return rows[0]?.erased_at ?? null;
}
