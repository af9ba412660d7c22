// Webhook endpoints managed through the API (migration 0082).
import type { Queryable } from '../db/connect.ts';

export interface EndpointRow {
  id: string;
  url: string;
  description: string | null;
  types: string[] | null;
  enabled: boolean;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  failing_since: Date | null;
  disabled_at: Date | null;
  disabled_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

export async function insertEndpoint(q: Queryable, e: { id: string; url: string; description: string | null; types: string[] | null; secret: string }): Promise<EndpointRow> {
  const rows = await q<EndpointRow[]>`
    insert into webhook_endpoints (id, url, description, types, secret)
    values (${e.id}, ${e.url}, ${e.description}, ${e.types}, ${e.secret})
    returning *`;
  return rows[0]!;
}

export async function listEndpoints(q: Queryable): Promise<EndpointRow[]> {
  return q<EndpointRow[]>`select * from webhook_endpoints order by created_at, id`;
}

export async function findEndpoint(q: Queryable, id: string): Promise<EndpointRow | null> {
  const rows = await q<EndpointRow[]>`select * from webhook_endpoints where id = ${id}`;
  return rows[0] ?? null;
}

export async function findEndpoints(q: Queryable, ids: string[]): Promise<EndpointRow[]> {
  if (ids.length === 0) return [];
  return q<EndpointRow[]>`select * from webhook_endpoints where id in ${q(ids)}`;
}

export async function updateEndpoint(
  q: Queryable,
  id: string,
  p: { url?: string; description?: string | null; types?: string[] | null; enabled?: boolean },
): Promise<EndpointRow | null> {
  const rows = await q<EndpointRow[]>`
    update webhook_endpoints
       set url = coalesce(${p.url ?? null}, url),
           description = ${p.description === undefined ? q`description` : q`${p.description}`},
           types = ${p.types === undefined ? q`types` : q`${p.types}`},
           enabled = coalesce(${p.enabled ?? null}, enabled),
           -- Turned back on: its failure streak starts over.
           failing_since = case when ${p.enabled ?? null}::boolean then null else failing_since end,
           disabled_at = case when ${p.enabled ?? null}::boolean then null when ${p.enabled ?? null}::boolean = false then coalesce(disabled_at, now()) else disabled_at end,
           disabled_reason = case when ${p.enabled ?? null}::boolean then null when ${p.enabled ?? null}::boolean = false then coalesce(disabled_reason, 'api') else disabled_reason end,
           updated_at = now()
     where id = ${id}
    returning *`;
  return rows[0] ?? null;
}

export async function deleteEndpoint(q: Queryable, id: string): Promise<boolean> {
  const rows = await q`delete from webhook_endpoints where id = ${id} returning 1`;
  return rows.length === 1;
}

/** A new secret; the current one keeps signing (as a second v1=) until `previousUntil`. */
export async function rollEndpointSecret(q: Queryable, id: string, secret: string, previousUntil: Date): Promise<EndpointRow | null> {
  const rows = await q<EndpointRow[]>`
    update webhook_endpoints
       set previous_secret = secret, previous_secret_expires_at = ${previousUntil}, secret = ${secret}, updated_at = now()
     where id = ${id}
    returning *`;
  return rows[0] ?? null;
}

export async function markEndpointHealthy(q: Queryable, id: string): Promise<void> {
  await q`update webhook_endpoints set failing_since = null where id = ${id} and failing_since is not null`;
}

/** Starts (or keeps) the failure streak; returns when it started. */
export async function markEndpointFailing(q: Queryable, id: string, now: Date): Promise<Date | null> {
  const rows = await q<{ failing_since: Date }[]>`
    update webhook_endpoints set failing_since = coalesce(failing_since, ${now}) where id = ${id} returning failing_since`;
  return rows[0]?.failing_since ?? null;
}

/** Disables an enabled endpoint; false when it was not enabled (another process got there first). */
export async function disableEndpoint(q: Queryable, id: string, reason: string, now: Date): Promise<boolean> {
  const rows = await q`
    update webhook_endpoints set enabled = false, disabled_at = ${now}, disabled_reason = ${reason}, updated_at = now()
     where id = ${id} and enabled returning 1`;
  return rows.length === 1;
}

/** Outbox rows for every enabled endpoint that takes this event type (one statement); returns how many. */
export async function insertEndpointDeliveries(q: Queryable, eventId: string, type: string): Promise<number> {
  const { count } = await q`
    insert into webhook_deliveries (event_id, endpoint_url, endpoint_id)
    select ${eventId}, url, id from webhook_endpoints
     where enabled and (types is null or ${type} = any(types))
    on conflict (event_id, endpoint_url) do nothing`;
  return count;
}

/** Pending deliveries of a disabled or deleted endpoint are given up (failed, with the reason). */
export async function failPendingDeliveries(q: Queryable, endpointId: string, reason: string): Promise<void> {
  await q`
    update webhook_deliveries set status = 'failed', last_error = ${reason}, updated_at = now()
     where endpoint_id = ${endpointId} and status = 'pending'`;
}
