// The lesson as the public API shows it.
import type { ApiConfig } from '../config.ts';
import { joinClosesAt, joinOpensAt, judgeJoin } from '../domain/join-window.ts';
import type { Participant, Session } from '../domain/session.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function participantJson(p: Participant) {
  return { id: p.userId, name: p.name, avatar_url: p.avatarUrl };
}

/** `can_join`: whether the room can be entered now (for a participant caller: by them). */
export function sessionJson(session: Session, config: ApiConfig, now: Date) {
  return {
    id: session.id,
    title: session.title,
    status: session.status,
    recording: session.recording,
    scheduled_start: session.scheduledStart.toISOString(),
    scheduled_end: session.scheduledEnd.toISOString(),
    join_opens_at: joinOpensAt(session, config.joinEarlyMinutes).toISOString(),
    join_closes_at: joinClosesAt(session).toISOString(),
    can_join: judgeJoin(session, config.joinEarlyMinutes, now).ok,
    started_at: iso(session.startedAt),
    ended_at: iso(session.endedAt),
    created_at: session.createdAt.toISOString(),
    updated_at: session.updatedAt.toISOString(),
    tutor: participantJson(session.tutor),
    student: participantJson(session.student),
  };
}
