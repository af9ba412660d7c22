// Notes, feedback and analytics events of a lesson.
import type { Queryable } from '../db/connect.ts';
import type { Role } from '../tokens/join-token.ts';

export interface NoteRow {
  role: Role;
  user_id: string;
  text: string;
  updated_at: Date;
}

export async function findNote(q: Queryable, sessionId: string, role: Role): Promise<NoteRow | null> {
  const rows = await q<NoteRow[]>`select role, user_id, text, updated_at from notes where session_id = ${sessionId} and role = ${role}`;
  return rows[0] ?? null;
}

export async function upsertNote(q: Queryable, sessionId: string, role: Role, userId: string, text: string): Promise<NoteRow> {
  const rows = await q<NoteRow[]>`
    insert into notes (session_id, role, user_id, text) values (${sessionId}, ${role}, ${userId}, ${text})
    on conflict (session_id, role) do update set text = excluded.text, user_id = excluded.user_id, updated_at = now()
    returning role, user_id, text, updated_at`;
  return rows[0]!;
}

export interface FeedbackRow {
  role: Role;
  user_id: string;
  rating: number;
  comment: string | null;
  created_at: Date;
}

/** Null when this seat already gave feedback. */
export async function insertFeedback(
  q: Queryable,
  f: { sessionId: string; role: Role; userId: string; rating: number; comment: string | null },
): Promise<FeedbackRow | null> {
  const rows = await q<FeedbackRow[]>`
    insert into feedback (session_id, role, user_id, rating, comment)
    values (${f.sessionId}, ${f.role}, ${f.userId}, ${f.rating}, ${f.comment})
    on conflict (session_id, role) do nothing
    returning role, user_id, rating, comment, created_at`;
  return rows[0] ?? null;
}

export async function listFeedback(q: Queryable, sessionId: string): Promise<FeedbackRow[]> {
  return q<FeedbackRow[]>`
    select role, user_id, rating, comment, created_at from feedback where session_id = ${sessionId} order by role desc`;
}

export interface AnalyticsRow {
  id: string;
  role: Role;
  user_id: string;
  type: string;
  at: Date;
  data: Record<string, unknown>;
  received_at: Date;
}

export async function insertAnalytics(
  q: Queryable,
  e: { sessionId: string; role: Role; userId: string; type: string; at: Date; data: Record<string, unknown> },
): Promise<void> {
  await q`
    insert into analytics_events (session_id, role, user_id, type, at, data)
    values (${e.sessionId}, ${e.role}, ${e.userId}, ${e.type}, ${e.at}, ${q.json(e.data as never)})`;
}

export async function listAnalytics(q: Queryable, sessionId: string, limit: number, type?: string): Promise<AnalyticsRow[]> {
  return q<AnalyticsRow[]>`
    select id::text, role, user_id, type, at, data, received_at from analytics_events
     where session_id = ${sessionId} ${type === undefined ? q`` : q`and type = ${type}`}
     order by at, id limit ${limit}`;
}
