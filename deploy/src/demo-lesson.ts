// Creates a lesson the way a marketplace does (HTTP + API key) and mints both join links.
export interface DemoLesson {
  id: string;
  title: string;
  scheduledEnd: string;
  tutorUrl: string;
  studentUrl: string;
}

async function call(apiUrl: string, apiKey: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${apiUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`POST ${path} failed with ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

export async function createDemoLesson(apiUrl: string, apiKey: string, opts: { minutes?: number; recording?: boolean; title?: string } = {}): Promise<DemoLesson> {
  const start = new Date();
  const end = new Date(start.getTime() + (opts.minutes ?? 60) * 60_000);
  const lesson = await call(apiUrl, apiKey, '/v1/sessions', {
    title: opts.title ?? 'Demo lesson',
    scheduled_start: start.toISOString(),
    scheduled_end: end.toISOString(),
    recording: opts.recording ?? false,
    tutor: { id: 'demo-tutor', name: 'Tara Tutor' },
    student: { id: 'demo-student', name: 'Sam Student' },
  });
  const id = String(lesson.id);
  const tutor = await call(apiUrl, apiKey, `/v1/sessions/${id}/tokens`, { role: 'tutor' });
  const student = await call(apiUrl, apiKey, `/v1/sessions/${id}/tokens`, { role: 'student' });
  return { id, title: String(lesson.title), scheduledEnd: end.toISOString(), tutorUrl: String(tutor.join_url), studentUrl: String(student.join_url) };
}
