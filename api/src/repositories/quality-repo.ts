// Per-seat media quality reports of a lesson (table lesson_quality, migration 0087).
import type { Queryable } from '../db/connect.ts';
import type { Role } from '../tokens/join-token.ts';

export interface QualityRow {
  role: Role;
  user_id: string;
  report: Record<string, unknown>;
  reports: number;
  final: boolean;
  updated_at: Date;
}

/**
 * Replaces the seat's report with a newer one; `wasFinal` says whether a final report had already
 * arrived (a seat's figures feed the metrics once, at its first final report).
 */
export async function upsertQuality(q: Queryable, r: { sessionId: string; role: Role; userId: string; report: Record<string, unknown>; final: boolean }): Promise<{ wasFinal: boolean }> {
  const before = await q<{ final: boolean }[]>`select final from lesson_quality where session_id = ${r.sessionId} and role = ${r.role} for update`;
  await q`
    insert into lesson_quality (session_id, role, user_id, report, final)
    values (${r.sessionId}, ${r.role}, ${r.userId}, ${q.json(r.report as never)}, ${r.final})
    on conflict (session_id, role) do update set
      report = excluded.report, user_id = excluded.user_id, reports = lesson_quality.reports + 1,
      final = lesson_quality.final or excluded.final, updated_at = now()`;
  return { wasFinal: before[0]?.final ?? false };
}

export async function listQuality(q: Queryable, sessionId: string): Promise<QualityRow[]> {
  return q<QualityRow[]>`
    select role, user_id, report, reports, final, updated_at from lesson_quality
    where session_id = ${sessionId} order by role desc`;
}
