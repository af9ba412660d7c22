// Which screen a lesson's facts call for before anyone enters the room. Pure, so every branch is
// tested without a server.
import type { Lesson } from '../lib/lesson-api.ts';

export type EntryView =
  | { kind: 'early'; opensAt: Date }
  | { kind: 'prejoin' }
  | { kind: 'post' }
  | { kind: 'no_show' }
  | { kind: 'error'; code: string };

/** `attended`: whether this person was in the room (a finished lesson then shows its summary). */
export function entryView(lesson: Lesson, now: Date, attended: boolean): EntryView {
  switch (lesson.status) {
    case 'cancelled':
      return { kind: 'error', code: 'lesson_cancelled' };
    case 'no_show':
      return { kind: 'no_show' };
    case 'completed':
    case 'archived':
      return attended ? { kind: 'post' } : { kind: 'error', code: 'lesson_ended' };
  }
  const opensAt = new Date(lesson.join_opens_at);
  if (now < opensAt) return { kind: 'early', opensAt };
  const closesAt = new Date(lesson.ends_at ?? lesson.join_closes_at);
  if (now >= closesAt) return attended ? { kind: 'post' } : { kind: 'error', code: 'lesson_ended' };
  return { kind: 'prejoin' };
}

export function lessonTitle(lesson: Pick<Lesson, 'title' | 'course_title'>): string {
  return lesson.course_title || lesson.title;
}

export function otherPerson(lesson: Lesson, myRole: 'tutor' | 'student' | null) {
  return myRole === 'tutor' ? { role: 'student' as const, ...lesson.student } : { role: 'tutor' as const, ...lesson.tutor };
}
