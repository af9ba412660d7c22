// SQL for lesson recordings.
import type { Queryable } from '../db/connect.ts';

export type RecordingStatus = 'processing' | 'ready' | 'failed' | 'deleted';
export type DeletedReason = 'api' | 'retention' | 'session_erased' | 'user_erased';

export interface RecordingRow {
  id: string;
  session_id: string;
  status: RecordingStatus;
  storage_key: string | null;
  content_type: string | null;
  duration_seconds: number | null;
  size_bytes: number | null;
  partial: boolean;
  failure_reason: string | null;
  started_at: Date;
  finished_at: Date | null;
  deleted_at: Date | null;
  deleted_reason: DeletedReason | null;
}

const COLUMNS = 'id, session_id, status, storage_key, content_type, duration_seconds, size_bytes::float8 as size_bytes, partial, failure_reason, started_at, finished_at, deleted_at, deleted_reason';

export async function findRecording(q: Queryable, sessionId: string, id: string): Promise<RecordingRow | null> {
  const rows = await q<RecordingRow[]>`
    select ${q.unsafe(COLUMNS)} from recordings where session_id = ${sessionId} and id = ${id}`;
  return rows[0] ?? null;
}

export async function listRecordings(q: Queryable, sessionId: string): Promise<RecordingRow[]> {
  return q<RecordingRow[]>`
    select ${q.unsafe(COLUMNS)} from recordings where session_id = ${sessionId} order by started_at, id`;
}

/** Creates the row as processing; a row that already exists (hook retried, or ready arrived first) is left alone. */
export async function insertProcessing(q: Queryable, r: { id: string; sessionId: string; startedAt: Date }): Promise<boolean> {
  const rows = await q`
    insert into recordings (id, session_id, status, started_at)
    values (${r.id}, ${r.sessionId}, 'processing', ${r.startedAt})
    on conflict (id) do nothing
    returning id`;
  return rows.length > 0;
}

export async function markReady(
  q: Queryable,
  r: { id: string; sessionId: string; storageKey: string; contentType: string; durationSeconds: number; sizeBytes: number; partial: boolean; at: Date },
): Promise<void> {
  await q`
    insert into recordings (id, session_id, status, storage_key, content_type, duration_seconds, size_bytes, partial, started_at, finished_at)
    values (${r.id}, ${r.sessionId}, 'ready', ${r.storageKey}, ${r.contentType}, ${r.durationSeconds}, ${r.sizeBytes}, ${r.partial}, ${r.at}, ${r.at})
    on conflict (id) do update set
      status = 'ready', storage_key = excluded.storage_key, content_type = excluded.content_type,
      duration_seconds = excluded.duration_seconds, size_bytes = excluded.size_bytes, partial = excluded.partial,
      failure_reason = null, finished_at = excluded.finished_at, updated_at = now()
    where recordings.status <> 'deleted'`;
}

export async function markFailed(q: Queryable, r: { id: string; sessionId: string; reason: string; partial: boolean; at: Date }): Promise<void> {
  await q`
    insert into recordings (id, session_id, status, failure_reason, partial, started_at, finished_at)
    values (${r.id}, ${r.sessionId}, 'failed', ${r.reason}, ${r.partial}, ${r.at}, ${r.at})
    on conflict (id) do update set
      status = 'failed', failure_reason = excluded.failure_reason, partial = excluded.partial,
      finished_at = excluded.finished_at, updated_at = now()
    where recordings.status <> 'deleted'`;
}

export async function findRecordingById(q: Queryable, id: string): Promise<RecordingRow | null> {
  const rows = await q<RecordingRow[]>`select ${q.unsafe(COLUMNS)} from recordings where id = ${id}`;
  return rows[0] ?? null;
}

/** Any lesson's recording by id, locked for a lifecycle change. */
export async function lockRecording(q: Queryable, id: string): Promise<RecordingRow | null> {
  const rows = await q<RecordingRow[]>`select ${q.unsafe(COLUMNS)} from recordings where id = ${id} for update`;
  return rows[0] ?? null;
}

export async function markDeleted(q: Queryable, id: string, reason: DeletedReason, at: Date): Promise<void> {
  await q`update recordings set status = 'deleted', deleted_at = ${at}, deleted_reason = ${reason}, updated_at = now() where id = ${id}`;
}

export interface RecordingFilter {
  /** started_at in [from, to). */
  from?: Date;
  to?: Date;
  userId?: string;
  status?: RecordingStatus;
  after?: { start: Date; id: string };
  limit: number;
}

/** Across lessons, ordered by (started_at, id) for keyset pagination. */
export async function listAllRecordings(q: Queryable, f: RecordingFilter): Promise<RecordingRow[]> {
  const conds = [q`true`];
  if (f.from) conds.push(q`r.started_at >= ${f.from}`);
  if (f.to) conds.push(q`r.started_at < ${f.to}`);
  if (f.status) conds.push(q`r.status = ${f.status}`);
  if (f.userId !== undefined) conds.push(q`exists (select 1 from participants p where p.session_id = r.session_id and p.user_id = ${f.userId})`);
  if (f.after) conds.push(q`(r.started_at, r.id) > (${f.after.start}, ${f.after.id})`);
  const where = conds.reduce((acc, c) => q`${acc} and ${c}`);
  return q<RecordingRow[]>`
    select ${q.unsafe(COLUMNS.split(', ').map((c) => `r.${c}`).join(', '))} from recordings r
     where ${where} order by r.started_at, r.id limit ${f.limit}`;
}

/**
 * Finished recordings older than the cutoff, locked with SKIP LOCKED so several API instances
 * running the retention job never pick the same one.
 */
export async function lockExpiredRecordings(q: Queryable, cutoff: Date, limit: number): Promise<RecordingRow[]> {
  return q<RecordingRow[]>`
    select ${q.unsafe(COLUMNS)} from recordings
     where status in ('ready', 'failed') and coalesce(finished_at, started_at) < ${cutoff}
     order by finished_at nulls first, id limit ${limit} for update skip locked`;
}

/** Recordings of one lesson, locked (erasure). */
export async function lockSessionRecordings(q: Queryable, sessionId: string): Promise<RecordingRow[]> {
  return q<RecordingRow[]>`select ${q.unsafe(COLUMNS)} from recordings where session_id = ${sessionId} order by started_at, id for update`;
}
