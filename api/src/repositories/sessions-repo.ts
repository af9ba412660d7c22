// SQL for lessons and their seats. Status changes go through lesson-status-service only.
import type { Queryable } from '../db/connect.ts';
import type { LessonStatus } from '../domain/lesson-status.ts';
import type { Participant, Session } from '../domain/session.ts';

export interface SessionRow {
  id: string;
  title: string;
  course_title: string | null;
  cancel_reason: string | null;
  cancelled_at: Date | null;
  archived_at: Date | null;
  extension_seconds: number;
  media_node: string | null;
  tutor_no_show: boolean;
  student_no_show: boolean;
  end_reason: string | null;
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
  external_id: string | null;
  owner_key: string;
  metadata: Record<string, unknown>;
}

export function toSession(r: SessionRow): Session {
  return {
    id: r.id,
    title: r.title,
    courseTitle: r.course_title,
    cancelReason: r.cancel_reason,
    cancelledAt: r.cancelled_at,
    archivedAt: r.archived_at,
    extensionSeconds: r.extension_seconds,
    mediaNode: r.media_node,
    tutorNoShow: r.tutor_no_show,
    studentNoShow: r.student_no_show,
    endReason: r.end_reason,
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
    externalId: r.external_id,
    ownerKey: r.owner_key,
    metadata: r.metadata ?? {},
  };
}

export interface NewSession {
  id: string;
  title: string;
  courseTitle: string | null;
  recording: boolean;
  scheduledStart: Date;
  scheduledEnd: Date;
  tutor: Omit<Participant, 'role'>;
  student: Omit<Participant, 'role'>;
  externalId: string | null;
  ownerKey: string;
  metadata: Record<string, unknown>;
}

/** One statement (atomic on its own): the lesson and both seats; returns the lesson as stored. */
export async function insertSession(q: Queryable, s: NewSession): Promise<Session> {
  const rows = await q<Omit<SessionRow, `${'tutor' | 'student'}_${'id' | 'name' | 'avatar_url'}`>[]>`
    with lesson as (
      insert into sessions (id, title, course_title, recording, scheduled_start, scheduled_end, external_id, owner_key, metadata)
      values (${s.id}, ${s.title}, ${s.courseTitle}, ${s.recording}, ${s.scheduledStart}, ${s.scheduledEnd}, ${s.externalId},
              ${s.ownerKey}, ${q.json(s.metadata as never)})
      returning *
    ), seats as (
      insert into participants (session_id, role, user_id, name, avatar_url)
      select id, seat.role, seat.user_id, seat.name, seat.avatar_url
        from lesson,
             (values ('tutor', ${s.tutor.userId}::text, ${s.tutor.name}::text, ${s.tutor.avatarUrl}::text),
                     ('student', ${s.student.userId}::text, ${s.student.name}::text, ${s.student.avatarUrl}::text))
               as seat (role, user_id, name, avatar_url)
      returning 1
    )
    select lesson.*, (select count(*) from seats)::int as seat_count from lesson`;
  const { seat_count: _seats, ...row } = rows[0]! as typeof rows[number] & { seat_count: number };
  return toSession({
    ...row,
    tutor_id: s.tutor.userId,
    tutor_name: s.tutor.name,
    tutor_avatar_url: s.tutor.avatarUrl,
    student_id: s.student.userId,
    student_name: s.student.name,
    student_avatar_url: s.student.avatarUrl,
  });
}

/** The lesson for a join, and whether any media node has registered (one round trip). */
export async function findSessionForJoin(q: Queryable, id: string): Promise<{ session: Session; registeredNodes: boolean } | null> {
  const rows = await q<(SessionRow & { registered_nodes: boolean })[]>`
    select s.*,
           t.user_id as tutor_id, t.name as tutor_name, t.avatar_url as tutor_avatar_url,
           st.user_id as student_id, st.name as student_name, st.avatar_url as student_avatar_url,
           exists (select 1 from media_nodes) as registered_nodes
      from sessions s
      join participants t on t.session_id = s.id and t.role = 'tutor'
      join participants st on st.session_id = s.id and st.role = 'student'
     where s.id = ${id}`;
  const r = rows[0];
  return r ? { session: toSession(r), registeredNodes: r.registered_nodes } : null;
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

export interface StatusStamps {
  startedAt?: Date;
  endedAt?: Date;
  cancelledAt?: Date;
  cancelReason?: string;
  archivedAt?: Date;
  endReason?: string;
  tutorNoShow?: boolean;
  studentNoShow?: boolean;
}

/** Compare-and-set on status; returns false when the lesson was not in `from` any more. */
export async function updateSessionStatus(
  q: Queryable,
  id: string,
  from: LessonStatus,
  to: LessonStatus,
  stamps: StatusStamps,
): Promise<boolean> {
  const rows = await q`
    update sessions
       set status = ${to},
           started_at = coalesce(started_at, ${stamps.startedAt ?? null}),
           ended_at = coalesce(ended_at, ${stamps.endedAt ?? null}),
           cancelled_at = coalesce(cancelled_at, ${stamps.cancelledAt ?? null}),
           cancel_reason = coalesce(cancel_reason, ${stamps.cancelReason ?? null}),
           archived_at = coalesce(archived_at, ${stamps.archivedAt ?? null}),
           end_reason = coalesce(end_reason, ${stamps.endReason ?? null}),
           tutor_no_show = tutor_no_show or ${stamps.tutorNoShow ?? false},
           student_no_show = student_no_show or ${stamps.studentNoShow ?? false},
           updated_at = now()
     where id = ${id} and status = ${from}
    returning id`;
  return rows.length === 1;
}

export interface SessionFilter {
  userId?: string;
  role?: 'tutor' | 'student';
  statuses?: LessonStatus[];
  /** Lessons whose scheduled start is in [from, to). */
  from?: Date;
  to?: Date;
  /** Keyset cursor: strictly after this (scheduled_start, id). */
  after?: { start: Date; id: string };
  limit: number;
}

/** Ordered by scheduled start, then id (a stable order for keyset pagination). */
export async function listSessions(q: Queryable, f: SessionFilter): Promise<Session[]> {
  const conds = [q`true`];
  if (f.userId !== undefined) {
    conds.push(
      f.role === undefined
        ? q`exists (select 1 from participants p where p.session_id = s.id and p.user_id = ${f.userId})`
        : q`exists (select 1 from participants p where p.session_id = s.id and p.user_id = ${f.userId} and p.role = ${f.role})`,
    );
  } else if (f.role !== undefined) {
    // A role without a user filters nothing: every lesson has both.
  }
  if (f.statuses && f.statuses.length > 0) conds.push(q`s.status in ${q(f.statuses)}`);
  if (f.from) conds.push(q`s.scheduled_start >= ${f.from}`);
  if (f.to) conds.push(q`s.scheduled_start < ${f.to}`);
  if (f.after) conds.push(q`(s.scheduled_start, s.id) > (${f.after.start}, ${f.after.id})`);
  const where = conds.reduce((acc, c) => q`${acc} and ${c}`);
  const rows = await q<SessionRow[]>`
    select s.*,
           t.user_id as tutor_id, t.name as tutor_name, t.avatar_url as tutor_avatar_url,
           st.user_id as student_id, st.name as student_name, st.avatar_url as student_avatar_url
      from sessions s
      join participants t on t.session_id = s.id and t.role = 'tutor'
      join participants st on st.session_id = s.id and st.role = 'student'
     where ${where}
     order by s.scheduled_start, s.id
     limit ${f.limit}`;
  return rows.map(toSession);
}

export async function updateSchedule(q: Queryable, id: string, start: Date, end: Date): Promise<boolean> {
  const rows = await q`
    update sessions set scheduled_start = ${start}, scheduled_end = ${end}, updated_at = now()
     where id = ${id} and status = 'scheduled' returning id`;
  return rows.length === 1;
}

export async function updateDetails(
  q: Queryable,
  id: string,
  d: { title?: string; courseTitle?: string | null; recording?: boolean },
): Promise<void> {
  await q`
    update sessions
       set title = coalesce(${d.title ?? null}, title),
           course_title = ${d.courseTitle === undefined ? q`course_title` : q`${d.courseTitle}`},
           recording = coalesce(${d.recording ?? null}, recording),
           updated_at = now()
     where id = ${id}`;
}

/** The lesson a key created with this external id, if any. */
export async function findSessionIdByExternalId(q: Queryable, ownerKey: string, externalId: string): Promise<string | null> {
  const rows = await q<{ id: string }[]>`select id from sessions where owner_key = ${ownerKey} and external_id = ${externalId}`;
  return rows[0]?.id ?? null;
}

export async function setMetadata(q: Queryable, id: string, metadata: Record<string, unknown>): Promise<void> {
  await q`update sessions set metadata = ${q.json(metadata as never)}, updated_at = now() where id = ${id}`;
}

/** Replaces who sits in a seat (only while the lesson is scheduled; the caller checked). */
export async function updateParticipant(q: Queryable, sessionId: string, role: 'tutor' | 'student', p: { userId: string; name: string; avatarUrl: string | null }): Promise<void> {
  await q`
    update participants set user_id = ${p.userId}, name = ${p.name}, avatar_url = ${p.avatarUrl}
     where session_id = ${sessionId} and role = ${role}`;
  await q`update sessions set updated_at = now() where id = ${sessionId}`;
}

export async function setExtension(q: Queryable, id: string, extensionSeconds: number): Promise<void> {
  await q`update sessions set extension_seconds = ${extensionSeconds}, updated_at = now() where id = ${id}`;
}

/** Sticky placement: sets the node only if none is set yet; returns the lesson's node either way. */
export async function assignMediaNode(q: Queryable, id: string, node: string): Promise<string> {
  const rows = await q<{ media_node: string }[]>`
    update sessions set media_node = coalesce(media_node, ${node}) where id = ${id} returning media_node`;
  return rows[0]!.media_node;
}

/** Lessons not over yet per media node (placement load). */
export async function openLessonsPerNode(q: Queryable): Promise<Map<string, number>> {
  const rows = await q<{ media_node: string; n: number }[]>`
    select media_node, count(*)::int as n from sessions
     where media_node is not null and status in ('scheduled', 'waiting', 'live', 'reconnecting')
     group by media_node`;
  return new Map(rows.map((r) => [r.media_node, r.n]));
}

/**
 * Locks (FOR UPDATE SKIP LOCKED) up to `limit` lessons a job must act on now: still scheduled or
 * waiting after the no-show grace, or live/reconnecting past their end. Another API instance
 * running the same job at the same time skips the rows this one holds.
 */
export async function lockDueLessons(q: Queryable, now: Date, limit: number): Promise<Session[]> {
  const due = await q<{ id: string }[]>`
    select id from sessions
     where (status in ('scheduled', 'waiting')
            and scheduled_start + least((scheduled_end - scheduled_start) * 0.25, interval '15 minutes') <= ${now}
            -- Both came but never at the same time: not a no-show; due at the end instead (below).
            and (select count(distinct a.role) from attendance_intervals a where a.session_id = sessions.id) < 2)
        or (status in ('waiting', 'live', 'reconnecting')
            and scheduled_end + make_interval(secs => extension_seconds) <= ${now})
     order by scheduled_start, id
     limit ${limit}
     for update skip locked`;
  const out: Session[] = [];
  for (const { id } of due) {
    const s = await findSession(q, id);
    if (s) out.push(s);
  }
  return out;
}

/** Moves a lesson off a node that is no longer configured (only before anyone joined). */
export async function reassignMediaNode(q: Queryable, id: string, from: string, to: string): Promise<string> {
  const rows = await q<{ media_node: string }[]>`
    update sessions set media_node = case when media_node = ${from} then ${to} else media_node end
     where id = ${id} returning media_node`;
  return rows[0]!.media_node;
}
