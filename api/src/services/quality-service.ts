// Media quality reports from the rooms (issue 13, item 7): stored per seat (latest wins), read by
// the marketplace (GET /v1/sessions/:id/quality) and carried in the session.ended webhook, for
// "the call was bad" claims. A seat's first final report also feeds the API's quality histograms.
import type { AppContext } from '../context.ts';
import type { Queryable } from '../db/connect.ts';
import type { Session } from '../domain/session.ts';
import { ApiError } from '../errors.ts';
import type { LessonQuality, QualityReport } from '../http/quality-schemas.ts';
import { listQuality, upsertQuality } from '../repositories/quality-repo.ts';
import type { JoinClaims } from '../tokens/join-token.ts';

/** A room's leave report may arrive just after the lesson ended (the tutor ended it for both). */
export const QUALITY_LATE_MS = 10 * 60_000;

const OPEN = new Set(['waiting', 'live', 'reconnecting']);

/** What the metrics take from a seat's final report (null: not the first final one). */
export interface FinalQuality {
  mode: 'p2p' | 'sfu' | 'unknown';
  freezeSeconds: number;
  concealmentRatio: number | null;
}

export async function recordQuality(ctx: AppContext, session: Session, claims: JoinClaims, body: QualityReport): Promise<FinalQuality | null> {
  const late = session.status === 'completed' && session.endedAt && ctx.now().getTime() - session.endedAt.getTime() <= QUALITY_LATE_MS;
  if (!OPEN.has(session.status) && !late) {
    throw new ApiError(409, 'lesson_not_running', `quality is reported while the lesson runs (and ${QUALITY_LATE_MS / 60_000} min after it ends); it is ${session.status}`);
  }
  const { final = false, ...report } = body;
  const { wasFinal } = await ctx.sql.begin((tx) => upsertQuality(tx, { sessionId: session.id, role: claims.role, userId: claims.userId, report, final }));
  if (!final || wasFinal) return null;
  return {
    mode: report.mode ?? 'unknown',
    freezeSeconds: report.freeze_seconds,
    concealmentRatio: report.audio_concealment_pct === null ? null : report.audio_concealment_pct / 100,
  };
}

export async function lessonQuality(q: Queryable, sessionId: string): Promise<LessonQuality> {
  const rows = await listQuality(q, sessionId);
  return {
    session_id: sessionId,
    participants: rows.map((r) => ({ role: r.role, user_id: r.user_id, reports: r.reports, final: r.final, updated_at: r.updated_at.toISOString(), report: r.report as LessonQuality['participants'][number]['report'] })),
  };
}
