// Writes a lifecycle event and one webhook delivery per configured endpoint, in the caller's
// transaction: the event exists if and only if the fact it reports was committed.
import type { AppContext } from '../context.ts';
import type { Tx } from '../db/connect.ts';
import type { AccountEvent, DuetEvent } from '../events/event.ts';
import { insertDeliveries, insertEvent } from '../repositories/events-repo.ts';
import { insertEndpointDeliveries } from '../repositories/webhook-endpoints-repo.ts';

/** Deliveries written in each open transaction (see deliveriesWritten). */
const written = new WeakMap<Tx, number>();

/**
 * Endpoints from WEBHOOK_ENDPOINTS (env) and those managed through the API (webhook_endpoints).
 * The three inserts are pipelined on the transaction's connection (one write, run in order: the
 * event exists before its deliveries reference it); a hook's transaction is mostly such writes.
 */
export async function recordEvent(ctx: AppContext, tx: Tx, event: DuetEvent | AccountEvent): Promise<void> {
  const [, env, endpoints] = await Promise.all([
    insertEvent(tx, event),
    insertDeliveries(
      tx,
      event.id,
      ctx.config.webhookEndpoints.filter((e) => e.types === null || e.types.includes(event.type)).map((e) => e.url),
    ),
    insertEndpointDeliveries(tx, event.id, event.type),
  ]);
  if (env + endpoints > 0) written.set(tx, (written.get(tx) ?? 0) + env + endpoints);
}

/**
 * How many webhook deliveries `tx` has written so far: a transaction that wrote none (no endpoint
 * takes its events) has nothing for the delivery loop, which then is not woken after its commit
 * (the hooks of every join and leave; at 200 joins/s that wake-up was one claim query per hook).
 */
export function deliveriesWritten(tx: Tx): number {
  return written.get(tx) ?? 0;
}
