// Outbox deliveries. A claim is a short transaction that leases due rows (FOR UPDATE SKIP LOCKED,
// so several API processes never send the same row at once) by pushing next_attempt_at past the
// HTTP timeout; the request itself runs outside any transaction. A crash mid-request leaves the
// lease to expire, and the row is sent again: receivers dedupe by event id.
import type { Queryable } from '../db/connect.ts';
import type { DuetEvent, EventType } from '../events/event.ts';
import { toEvent } from './events-repo.ts';

export interface ClaimedDelivery {
  id: string;
  endpointUrl: string;
  /** Set for endpoints managed through the API; null for WEBHOOK_ENDPOINTS (matched by URL). */
  endpointId: string | null;
  /** The lesson's metadata now (null for an event without a lesson). */
  metadata: Record<string, unknown> | null;
  attempts: number;
  /** When the row was written (the outbox commit): the maximum age counts from here. */
  createdAt: Date;
  event: DuetEvent;
}

export async function claimDueDeliveries(q: Queryable, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const rows = await q<
    {
      id: string;
      endpoint_url: string;
      endpoint_id: string | null;
      metadata: Record<string, unknown> | null;
      attempts: number;
      queued_at: Date;
      event_id: string;
      type: EventType;
      session_id: string;
      created_at: Date;
      data: Record<string, unknown>;
    }[]
  >`
    with due as (
      select id from webhook_deliveries
       where status = 'pending' and next_attempt_at <= now()
       order by next_attempt_at, id
       limit ${limit}
       for update skip locked
    ), leased as (
      update webhook_deliveries d
         set next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000}), updated_at = now()
        from due where d.id = due.id
      returning d.id, d.endpoint_url, d.endpoint_id, d.attempts, d.event_id, d.created_at
    )
    select l.id, l.endpoint_url, l.endpoint_id, s.metadata, l.attempts, l.created_at as queued_at, l.event_id, e.type, e.session_id,
           e.created_at, e.data
      from leased l join events e on e.id = l.event_id left join sessions s on s.id = e.session_id
     order by e.created_at, l.id`;
  return rows.map((r) => ({
    id: r.id,
    endpointUrl: r.endpoint_url,
    endpointId: r.endpoint_id,
    metadata: r.metadata,
    attempts: r.attempts,
    createdAt: r.queued_at,
    event: toEvent({ id: r.event_id, type: r.type, session_id: r.session_id, created_at: r.created_at, data: r.data }),
  }));
}

/** last_error is kept: it tells why earlier attempts of a now delivered row failed. */
export async function markDelivered(q: Queryable, id: string, statusCode: number): Promise<void> {
  await q`
    update webhook_deliveries
       set status = 'delivered', attempts = attempts + 1, delivered_at = now(), last_status_code = ${statusCode},
           updated_at = now()
     where id = ${id}`;
}

/** Records a failed attempt: retried after `retryInMs`, or given up (`failed`) when null. */
export async function markAttemptFailed(
  q: Queryable,
  id: string,
  error: string,
  statusCode: number | null,
  retryInMs: number | null,
  countAttempt = true,
): Promise<void> {
  await q`
    update webhook_deliveries
       set attempts = attempts + ${countAttempt ? 1 : 0},
           last_error = ${error.slice(0, 1000)},
           last_status_code = ${statusCode},
           status = ${retryInMs === null ? 'failed' : 'pending'},
           next_attempt_at = now() + make_interval(secs => ${(retryInMs ?? 0) / 1000}),
           updated_at = now()
     where id = ${id}`;
}

/** Gives a lease back without counting an attempt (the server is shutting down). */
export async function releaseDelivery(q: Queryable, id: string): Promise<void> {
  await q`update webhook_deliveries set next_attempt_at = now(), updated_at = now() where id = ${id}`;
}

export interface DeliveryRow {
  event_id: string;
  endpoint_url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_error: string | null;
  last_status_code: number | null;
  delivered_at: Date | null;
}

export async function listDeliveries(q: Queryable, eventId?: string): Promise<DeliveryRow[]> {
  return q<DeliveryRow[]>`
    select event_id, endpoint_url, status, attempts, last_error, last_status_code, delivered_at
      from webhook_deliveries ${eventId === undefined ? q`` : q`where event_id = ${eventId}`}
     order by id`;
}

export interface DeliveryLogRow {
  id: string;
  event_id: string;
  event_type: string;
  session_id: string;
  endpoint_url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_error: string | null;
  last_status_code: number | null;
  next_attempt_at: Date;
  delivered_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** The delivery log, newest first, keyset-paged by id. */
export async function deliveryLog(
  q: Queryable,
  f: { status?: string; sessionId?: string; eventId?: string; endpointUrl?: string; before?: string; limit: number },
): Promise<DeliveryLogRow[]> {
  const conds = [q`true`];
  if (f.status) conds.push(q`d.status = ${f.status}`);
  if (f.sessionId) conds.push(q`e.session_id = ${f.sessionId}`);
  if (f.eventId) conds.push(q`d.event_id = ${f.eventId}`);
  if (f.endpointUrl) conds.push(q`d.endpoint_url = ${f.endpointUrl}`);
  if (f.before) conds.push(q`d.id < ${f.before}`);
  const where = conds.reduce((a, c) => q`${a} and ${c}`);
  return q<DeliveryLogRow[]>`
    select d.id::text, d.event_id, e.type as event_type, e.session_id, d.endpoint_url, d.status, d.attempts, d.last_error,
           d.last_status_code, d.next_attempt_at, d.delivered_at, d.created_at, d.updated_at
      from webhook_deliveries d join events e on e.id = d.event_id
     where ${where}
     order by d.id desc
     limit ${f.limit}`;
}

/**
 * Puts a failed delivery back in the queue (an operator fixed the receiver) and returns the row as
 * this update left it; null if it is not failed. The row comes from the update itself, not a second
 * read: the delivery loop may claim and send it the moment the update commits.
 */
export async function requeueDelivery(q: Queryable, id: string): Promise<DeliveryLogRow | null> {
  const rows = await q<DeliveryLogRow[]>`
    with requeued as (
      update webhook_deliveries
         set status = 'pending', next_attempt_at = now(), created_at = now(), updated_at = now()
       where id = ${id} and status = 'failed'
      returning *
    )
    select d.id::text, d.event_id, e.type as event_type, e.session_id, d.endpoint_url, d.status, d.attempts, d.last_error,
           d.last_status_code, d.next_attempt_at, d.delivered_at, d.created_at, d.updated_at
      from requeued d join events e on e.id = d.event_id`;
  return rows[0] ?? null;
}

export async function findDelivery(q: Queryable, id: string): Promise<DeliveryLogRow | null> {
  const rows = await deliveryLogById(q, id);
  return rows[0] ?? null;
}

async function deliveryLogById(q: Queryable, id: string): Promise<DeliveryLogRow[]> {
  return q<DeliveryLogRow[]>`
    select d.id::text, d.event_id, e.type as event_type, e.session_id, d.endpoint_url, d.status, d.attempts, d.last_error,
           d.last_status_code, d.next_attempt_at, d.delivered_at, d.created_at, d.updated_at
      from webhook_deliveries d join events e on e.id = d.event_id
     where d.id = ${id}`;
}
