// Shared by the k6 scripts: the marketplace's side of a lesson (create it through the public API).
import http from 'k6/http';
import { check, fail } from 'k6';

export const auth = (token) => ({ headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });

/** Creates a lesson starting now, one hour long, with participant ids unique to `n`; returns its id. */
export function createLesson(base, key, title, n) {
  const now = Date.now();
  const lesson = http.post(
    `${base}/v1/sessions`,
    JSON.stringify({
      title,
      scheduled_start: new Date(now).toISOString(),
      scheduled_end: new Date(now + 60 * 60 * 1000).toISOString(),
      tutor: { id: `k6-tutor-${n}`, name: 'Tutor' },
      student: { id: `k6-student-${n}`, name: 'Student' },
    }),
    auth(key),
  );
  if (!check(lesson, { 'lesson created': (r) => r.status === 201 })) fail(`create: ${lesson.status} ${lesson.body}`);
  return lesson.json('id');
}
