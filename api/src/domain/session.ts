// A lesson as the services see it: the row plus its two seats.
import type { Role } from '../tokens/join-token.ts';
import type { LessonStatus } from './lesson-status.ts';

export interface Participant {
  role: Role;
  userId: string;
  name: string;
  avatarUrl: string | null;
}

export interface Session {
  id: string;
  title: string;
  courseTitle: string | null;
  status: LessonStatus;
  recording: boolean;
  scheduledStart: Date;
  scheduledEnd: Date;
  startedAt: Date | null;
  endedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  cancelReason: string | null;
  cancelledAt: Date | null;
  archivedAt: Date | null;
  /** Extra time the tutor granted; the lesson ends at scheduledEnd + this. */
  extensionSeconds: number;
  mediaNode: string | null;
  tutorNoShow: boolean;
  studentNoShow: boolean;
  endReason: string | null;
  tutor: Participant;
  student: Participant;
  /** The marketplace's own id for the lesson (a booking id), unique per API key; null when not given. */
  externalId: string | null;
  /** The API key that created it (`env` = DUET_API_KEY). */
  ownerKey: string;
  /** The marketplace's small JSON object (domain/metadata.ts). */
  metadata: Record<string, unknown>;
}

export const MAX_LESSON_DURATION_MS = 8 * 3600_000;

export function seat(session: Session, role: Role): Participant {
  return role === 'tutor' ? session.tutor : session.student;
}

export function otherRole(role: Role): Role {
  return role === 'tutor' ? 'student' : 'tutor';
}

/** When the lesson ends: the scheduled end plus any extension the tutor granted. */
export function endsAt(session: Session): Date {
  return new Date(session.scheduledEnd.getTime() + session.extensionSeconds * 1000);
}

/** The no-show grace after the scheduled start: min(25 % of the planned duration, 15 minutes). */
export function noShowGraceMs(session: Session): number {
  return Math.min((session.scheduledEnd.getTime() - session.scheduledStart.getTime()) * 0.25, 15 * 60_000);
}
