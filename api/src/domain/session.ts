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
  status: LessonStatus;
  recording: boolean;
  scheduledStart: Date;
  scheduledEnd: Date;
  startedAt: Date | null;
  endedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  tutor: Participant;
  student: Participant;
}

export const MAX_LESSON_DURATION_MS = 8 * 3600_000;

export function seat(session: Session, role: Role): Participant {
  return role === 'tutor' ? session.tutor : session.student;
}

export function otherRole(role: Role): Role {
  return role === 'tutor' ? 'student' : 'tutor';
}
