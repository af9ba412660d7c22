// The lesson's life (DESIGN.md "The lesson's life") as ONE table. Code asks `canTransition`; the
// migration runner copies the same rows into `session_status_transitions`, where a trigger rejects
// every other status change, so no writer (service, script, psql) can make an illegal move.
import type { EventType } from '../events/event.ts';

export const LESSON_STATUSES = [
  'scheduled',
  'waiting',
  'live',
  'reconnecting',
  'completed',
  'cancelled',
  'no_show',
  'archived',
] as const;

export type LessonStatus = (typeof LESSON_STATUSES)[number];

export interface LessonTransition {
  from: LessonStatus;
  to: LessonStatus;
  /** The lifecycle event written (and delivered as a webhook) when the move happens. */
  event: EventType;
}

export const LESSON_TRANSITIONS: readonly LessonTransition[] = [
  { from: 'scheduled', to: 'waiting', event: 'session.status_changed' }, // first join
  { from: 'scheduled', to: 'cancelled', event: 'session.status_changed' },
  // The marketplace cancels a lesson that has started: it ends for both (issue 16).
  { from: 'waiting', to: 'cancelled', event: 'session.status_changed' },
  { from: 'live', to: 'cancelled', event: 'session.status_changed' },
  { from: 'reconnecting', to: 'cancelled', event: 'session.status_changed' },
  { from: 'scheduled', to: 'no_show', event: 'session.no_show' }, // grace over, nobody came
  { from: 'waiting', to: 'live', event: 'session.started' }, // second join
  { from: 'waiting', to: 'no_show', event: 'session.no_show' }, // grace over, the other absent
  { from: 'waiting', to: 'completed', event: 'session.ended' }, // both came, never at once (never_overlapped)
  { from: 'live', to: 'completed', event: 'session.ended' }, // scheduled end, both left, ended by tutor
  { from: 'live', to: 'reconnecting', event: 'session.status_changed' }, // a drop
  { from: 'reconnecting', to: 'live', event: 'session.status_changed' }, // back within grace
  { from: 'reconnecting', to: 'completed', event: 'session.ended' }, // grace over
  { from: 'completed', to: 'archived', event: 'session.status_changed' },
  { from: 'cancelled', to: 'archived', event: 'session.status_changed' },
  { from: 'no_show', to: 'archived', event: 'session.status_changed' },
];

/** Statuses in which the room can still be entered (subject to the join window). */
export const JOINABLE_STATUSES: readonly LessonStatus[] = ['scheduled', 'waiting', 'live', 'reconnecting'];

export function isLessonStatus(value: unknown): value is LessonStatus {
  return typeof value === 'string' && (LESSON_STATUSES as readonly string[]).includes(value);
}

export function findTransition(from: LessonStatus, to: LessonStatus): LessonTransition | undefined {
  return LESSON_TRANSITIONS.find((t) => t.from === from && t.to === to);
}

export function canTransition(from: LessonStatus, to: LessonStatus): boolean {
  return findTransition(from, to) !== undefined;
}

export class IllegalTransitionError extends Error {
  readonly from: LessonStatus;
  readonly to: LessonStatus;
  constructor(from: LessonStatus, to: LessonStatus) {
    super(`illegal lesson status transition ${from} -> ${to}`);
    this.from = from;
    this.to = to;
  }
}
