// Idempotency for internal hooks: the event id is the primary key.
import type { Queryable } from '../db/connect.ts';
import type { DuetEvent } from '../events/event.ts';

/** Returns false when this event id was already received (a sender's retry). */
export async function recordHookReceipt(q: Queryable, event: DuetEvent): Promise<boolean> {
  const rows = await q`
    insert into hook_receipts (event_id, type, session_id) values (${event.id}, ${event.type}, ${event.session_id})
    on conflict (event_id) do nothing
    returning event_id`;
  return rows.length === 1;
}
