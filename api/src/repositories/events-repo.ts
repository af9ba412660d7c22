// The lifecycle event log and the webhook outbox rows that go with each event.
import type { Queryable } from '../db/connect.ts';
import type { AccountEvent, DuetEvent, EventType } from '../events/event.ts';

export async function insertEvent(q: Queryable, event: DuetEvent | AccountEvent): Promise<void> {
  await q`
    insert into events (id, type, session_id, created_at, data)
    values (${event.id}, ${event.type}, ${event.session_id}, ${new Date(event.created_at)}, ${q.json(event.data as never)})`;
}

/** Returns how many deliveries were written. */
export async function insertDeliveries(q: Queryable, eventId: string, endpointUrls: readonly string[]): Promise<number> {
  if (endpointUrls.length === 0) return 0;
  const rows = endpointUrls.map((url) => ({ event_id: eventId, endpoint_url: url }));
  await q`insert into webhook_deliveries ${q(rows, 'event_id', 'endpoint_url')}`;
  return rows.length;
}

interface EventRow {
  id: string;
  type: EventType;
  session_id: string;
  created_at: Date;
  data: Record<string, unknown>;
}

export function toEvent(r: EventRow): DuetEvent {
  return { id: r.id, type: r.type, created_at: r.created_at.toISOString(), session_id: r.session_id, data: r.data };
}

export async function listSessionEvents(q: Queryable, sessionId: string): Promise<DuetEvent[]> {
  const rows = await q<EventRow[]>`
    select id, type, session_id, created_at, data from events
     where session_id = ${sessionId} order by created_at, recorded_at, id`;
  return rows.map(toEvent);
}

/** The consent a participant already gave for this lesson's recording, if any. */
export async function findConsent(q: Queryable, sessionId: string, role: string, userId: string): Promise<DuetEvent | null> {
  const rows = await q<EventRow[]>`
    select id, type, session_id, created_at, data from events
     where session_id = ${sessionId} and type = 'recording.consent' and data->>'role' = ${role} and data->>'user_id' = ${userId}
     order by created_at limit 1`;
  return rows[0] ? toEvent(rows[0]) : null;
}
