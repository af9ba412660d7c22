// `duet lessons trace <id>`: one lesson's timeline for support staff, merged from what the API
// keeps — the lesson itself, its events (joins, drops, mode moves, warnings, recording, end),
// client-reported analytics (first frame and its mode, media failures) and every
// webhook delivery of its events. All reads use the API key; nothing is changed.
import type { ApiClient } from './api-client.ts';
import { CliError } from './api-client.ts';

export interface TraceEntry {
  at: string;
  source: 'lesson' | 'event' | 'client' | 'webhook';
  what: string;
  detail: string;
}

type Obj = Record<string, any>;

const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));

/** One line of detail for an event, from its data (only known, short fields). */
function eventDetail(type: string, d: Obj): string {
  switch (type) {
    case 'participant.joined':
      return `${str(d.role)} ${str(d.user_id)}${d.resumed ? ' (resumed)' : ''}`;
    case 'participant.left':
      return `${str(d.role)} ${str(d.user_id)}: ${str(d.reason)}`;
    case 'participant.reconnecting':
      return `${str(d.role)} ${str(d.user_id)} dropped${d.reason ? ` (${str(d.reason)})` : ''}`;
    case 'session.mode_changed':
      return `media ${str(d.mode)} (${str(d.reason)})`;
    case 'session.status_changed':
      return `${str(d.from)} -> ${str(d.to)}${d.reason ? ` (${str(d.reason)})` : ''}`;
    case 'session.warning':
      return `${str(d.minutes_left)} min left`;
    case 'session.extended':
      return `+${str(d.minutes)} min by ${str(d.by)}, ends ${str(d.ends_at)}`;
    case 'session.ended':
      return str(d.reason);
    case 'recording.started':
    case 'recording.ready':
    case 'recording.failed':
      return [d.recording_id && `recording ${str(d.recording_id)}`, d.reason, d.duration_seconds !== undefined && `${str(d.duration_seconds)} s`, d.partial && 'partial']
        .filter(Boolean)
        .join(', ');
    default:
      return '';
  }
}

export async function traceLesson(api: ApiClient, id: string, limits = { deliveries: 20 }): Promise<{ lesson: Obj; timeline: TraceEntry[] }> {
  const path = { id };
  const lesson = (await api.call(`GET /v1/sessions/${id}`, api.duet.GET('/v1/sessions/{id}', { params: { path } }))) as Obj;
  const [events, analytics] = (await Promise.all([
    api.call(`GET /v1/sessions/${id}/events`, api.duet.GET('/v1/sessions/{id}/events', { params: { path } })),
    api.call(`GET /v1/sessions/${id}/analytics`, api.duet.GET('/v1/sessions/{id}/analytics', { params: { path, query: { limit: '1000' } } })),
  ])) as [{ events: Obj[] }, { events: Obj[] }];
  // Deliveries of this lesson's events, following the keyset cursor (bounded).
  const deliveries: Obj[] = [];
  const query: { session_id: string; limit: string; before?: string } = { session_id: String(lesson.id), limit: '1000' };
  for (let page = 0; page < limits.deliveries; page++) {
    const res = await api.call('GET /v1/webhooks/deliveries', api.duet.GET('/v1/webhooks/deliveries', { params: { query } }));
    deliveries.push(...(res.deliveries as Obj[]));
    if (!res.next_before) break;
    query.before = res.next_before;
  }

  const t: TraceEntry[] = [];
  t.push({ at: str(lesson.created_at), source: 'lesson', what: 'created', detail: `scheduled ${str(lesson.scheduled_start)} -> ${str(lesson.scheduled_end)}${lesson.recording ? ', recorded' : ''}` });
  for (const e of events.events) t.push({ at: str(e.created_at), source: 'event', what: str(e.type), detail: eventDetail(str(e.type), (e.data ?? {}) as Obj) });
  for (const a of analytics.events) {
    const d = (a.data ?? {}) as Obj;
    const detail = a.type === 'first_frame' ? `${str(a.role)}: first video after ${str(d.ms)} ms (${str(d.mode)})` : `${str(a.role)}${d.reason || d.error ? `: ${str(d.reason ?? d.error)}` : ''}`;
    t.push({ at: str(a.at), source: 'client', what: str(a.type), detail });
  }
  for (const d of deliveries) {
    const outcome =
      d.status === 'delivered'
        ? `delivered after ${str(d.attempts)} attempt(s)`
        : d.status === 'failed'
          ? `FAILED after ${str(d.attempts)} attempt(s): ${str(d.last_status_code || d.last_error)}`
          : `pending, ${str(d.attempts)} attempt(s) so far${d.last_error ? `: ${str(d.last_error)}` : ''}, next ${str(d.next_attempt_at)}`;
    t.push({ at: str(d.delivered_at ?? d.updated_at ?? d.created_at), source: 'webhook', what: str(d.event_type), detail: `#${str(d.id)} -> ${str(d.endpoint_url)}: ${outcome}` });
  }
  // Stable: same instant keeps the order the API gave (events are already in order).
  const order = t.map((e, i) => ({ e, i, ms: Date.parse(e.at) }));
  order.sort((a, b) => (Number.isNaN(a.ms) ? 1 : Number.isNaN(b.ms) ? -1 : a.ms - b.ms) || a.i - b.i);
  return { lesson, timeline: order.map((o) => o.e) };
}

export function traceLines(lesson: Obj, timeline: TraceEntry[]): string[] {
  const head = [`lesson ${str(lesson.id)} "${str(lesson.title)}" — ${str(lesson.status)}${lesson.media_node ? ` on ${str(lesson.media_node)}` : ''}`, ''];
  if (timeline.length === 0) return [...head, 'nothing happened yet'];
  return [...head, ...timeline.map((e) => `${e.at.padEnd(24)} ${e.source.padEnd(9)} ${e.what.padEnd(26)} ${e.detail}`.trimEnd())];
}

export function requireLessonId(id: string | undefined): string {
  if (!id) throw new CliError('usage: duet lessons trace <lesson id>', 2);
  return id;
}
