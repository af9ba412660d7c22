// The lesson as the public API shows it, and as a media node needs it (internalSessionJson).
import type { ApiConfig } from '../config.ts';
import { joinClosesAt, joinOpensAt, judgeJoin } from '../domain/join-window.ts';
import { endsAt, type Participant, type Session } from '../domain/session.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function participantJson(p: Participant) {
  return { id: p.userId, name: p.name, avatar_url: p.avatarUrl };
}

/** `can_join`: whether the room can be entered now (for a participant caller: by them). */
/**
 * `marketplace`: the caller is an API key. external_id and metadata belong to the marketplace (a
 * booking id, a price plan): a participant's join token reads null and {}.
 */
export function sessionJson(session: Session, config: ApiConfig, now: Date, marketplace = true) {
  return {
    id: session.id,
    external_id: marketplace ? session.externalId : null,
    title: session.title,
    course_title: session.courseTitle,
    status: session.status,
    recording: session.recording,
    scheduled_start: session.scheduledStart.toISOString(),
    scheduled_end: session.scheduledEnd.toISOString(),
    join_opens_at: joinOpensAt(session, config.joinEarlyMinutes).toISOString(),
    join_closes_at: joinClosesAt(session).toISOString(),
    can_join: judgeJoin(session, config.joinEarlyMinutes, now).ok,
    ends_at: endsAt(session).toISOString(),
    extension_seconds: session.extensionSeconds,
    started_at: iso(session.startedAt),
    ended_at: iso(session.endedAt),
    planned_duration_seconds: Math.round((session.scheduledEnd.getTime() - session.scheduledStart.getTime()) / 1000),
    duration_seconds: durationSeconds(session, now),
    end_reason: session.endReason,
    // Both attended but never at the same time (completed, not a no-show): see docs/integrate.md "API reference".
    never_overlapped: session.endReason === 'never_overlapped',
    no_show: { tutor: session.tutorNoShow, student: session.studentNoShow },
    cancel_reason: session.cancelReason,
    cancelled_at: iso(session.cancelledAt),
    archived_at: iso(session.archivedAt),
    media_node: session.mediaNode,
    created_at: session.createdAt.toISOString(),
    updated_at: session.updatedAt.toISOString(),
    tutor: participantJson(session.tutor),
    student: participantJson(session.student),
    metadata: marketplace ? session.metadata : {},
  };
}

/** From the start (both present) to the end; running while live; null if it never started. */
function durationSeconds(session: Session, now: Date): number | null {
  if (!session.startedAt) return null;
  const end = session.endedAt ?? now;
  return Math.max(0, Math.floor((end.getTime() - session.startedAt.getTime()) / 1000));
}

/** What a media node needs to run the lesson's room (GET /internal/sessions/:id, the seat check's `lesson`). */
export function internalSessionJson(s: Session, config: ApiConfig) {
  return {
    id: s.id,
    status: s.status,
    recording: s.recording,
    scheduled_start: s.scheduledStart.toISOString(),
    scheduled_end: s.scheduledEnd.toISOString(),
    // The media node enforces the same window as POST /join, so a token alone never opens a room early.
    join_opens_at: joinOpensAt(s, config.joinEarlyMinutes).toISOString(),
    join_closes_at: joinClosesAt(s).toISOString(),
    // The scheduled end plus the tutor's extension: the room's timer and auto-end use it.
    ends_at: endsAt(s).toISOString(),
    extension_seconds: s.extensionSeconds,
    media_node: s.mediaNode,
  };
}
