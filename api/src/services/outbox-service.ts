// Writes a lifecycle event and one webhook delivery per configured endpoint, in the caller's
// transaction: the event exists if and only if the fact it reports was committed.
import type { AppContext } from '../context.ts';
import type { Queryable } from '../db/connect.ts';
import type { AccountEvent, DuetEvent } from '../events/event.ts';
import { insertDeliveries, insertEvent } from '../repositories/events-repo.ts';
import { insertEndpointDeliveries } from '../repositories/webhook-endpoints-repo.ts';

/** Endpoints from WEBHOOK_ENDPOINTS (env) and those managed through the API (webhook_endpoints). */
export async function recordEvent(ctx: AppContext, tx: Queryable, event: DuetEvent | AccountEvent): Promise<void> {
  await insertEvent(tx, event);
  await insertDeliveries(
    tx,
    event.id,
    ctx.config.webhookEndpoints.filter((e) => e.types === null || e.types.includes(event.type)).map((e) => e.url),
  );
  await insertEndpointDeliveries(tx, event.id, event.type);
}
