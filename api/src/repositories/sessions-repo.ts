// SQL for lessons and their seats. Status changes go through lesson-status-service only.
import type { Queryable } from '../db/connect.ts';
import type { LessonStatus } from '../domain/lesson-status.ts';
import type { Participant, Session } from '../domain/session.ts';

interface SessionRow {
  id: string;
  title: string;
  status: LessonStatus;
  recording: boolean;
  scheduled_start: Date;
  scheduled_end: Date;
  started_at: Date | null;
  ended_at: Date | null;
  created_at: Date;
  updated_at: Date;
  tutor_id: string;
  tutor_name: string;
  tutor_avatar_url: string | null;
  student_id: string;
  student_name: string;
  student_avatar_url: string | null;
}

function toSession(r: SessionRow): Session {
  return {
    id: r.id,
    title: r.title,
    status: r.status,
    recording: r.recording,
    scheduledStart: r.scheduled_start,
    scheduledEnd: r.scheduled_end,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    tutor: { role: 'tutor', userId: r.tutor_id, name: r.tutor_name, avatarUrl: r.tutor_avatar_url },
    student: { role: 'student', userId: r.student_id, name: r.student_name, avatarUrl: r.student_avatar_url },
  };
}

export interface NewSession {
  id: string;
  title: string;
  recording: boolean;
  scheduledStart: Date;
  scheduledEnd: Date;
  tutor: Omit<Participant, 'role'>;
  student: Omit<Participant, 'role'>;
}

export async function insertSession(q: Queryable, s: NewSession): Promise<void> {
  await q`
    insert into sessions (id, title, recording, scheduled_start, scheduled_end)
    values (${s.id}, ${s.title}, ${s.recording}, ${s.scheduledStart}, ${s.scheduledEnd})`;
  await q`
    insert into participants (session_id, role, user_id, name, avatar_url) values
      (${s.id}, 'tutor', ${s.tutor.userId}, ${s.tutor.name}, ${s.tutor.avatarUrl}),
      (${s.id}, 'student', ${s.student.userId}, ${s.student.name}, ${s.student.avatarUrl})`;
}

/** `forUpdate` locks the lesson row: hooks for one lesson are applied one after another. */
export async function findSession(q: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<Session | null> {
  const rows = await q<SessionRow[]>`
    select s.*,
           t.user_id as tutor_id, t.name as tutor_name, t.avatar_url as tutor_avatar_url,
           st.user_id as student_id, st.name as student_name, st.avatar_url as student_avatar_url
      from sessions s
      join participants t on t.session_id = s.id and t.role = 'tutor'
      join participants st on st.session_id = s.id and st.role = 'student'
     where s.id = ${id}
     ${opts.forUpdate ? q`for update of s` : q``}`;
  return rows[0] ? toSession(rows[0]) : null;
}

/** Compare-and-set on status; returns false when the lesson was not in `from` any more. */
export async function updateSessionStatus(
  q: Queryable,
  id: string,
  from: LessonStatus,
  to: LessonStatus,
  stamps: { startedAt?: Date; endedAt?: Date },
): Promise<boolean> {
  const rows = await q`
    update sessions
       set status = ${to},
           started_at = coalesce(started_at, ${stamps.startedAt ?? null}),
           ended_at = coalesce(ended_at, ${stamps.endedAt ?? null}),
           updated_at = now()
     where id = ${id} and status = ${from}
    returning id`;
  return rows.length === 1;
}
