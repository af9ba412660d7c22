// Webhook endpoints managed through the API (issue 16 item 3): create (the signing secret is shown
// once), list, update, delete, roll the secret (both sign during the roll), send a test `ping`, and
// disable an endpoint that has failed for WEBHOOK_DISABLE_AFTER_DAYS (event
// `webhook_endpoint.disabled` to the other endpoints, gauge duet_webhook_endpoints{state}).
// Endpoints from WEBHOOK_ENDPOINTS (env) keep working beside these and are managed in env.
import { randomBytes, randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { EVENT_TYPES, WEBHOOK_API_VERSION, isEventType, type AccountEvent, type DuetEvent, type WebhookPayload } from '../events/event.ts';
import { webhookUrlProblem } from '../domain/webhook-url.ts';
import {
  deleteEndpoint,
  disableEndpoint,
  failPendingDeliveries,
  findEndpoint,
  insertEndpoint,
  listEndpoints,
  markEndpointFailing,
  rollEndpointSecret,
  updateEndpoint,
  type EndpointRow,
} from '../repositories/webhook-endpoints-repo.ts';
import { sendWebhook, type SendOutcome } from './webhook-sender.ts';
import { recordEvent } from './outbox-service.ts';

export const MAX_ROLL_OVERLAP_SECONDS = 7 * 86400;
const newSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

/** The body an endpoint receives for an event (metadata: the lesson's, as it is now). */
export function webhookPayload(event: DuetEvent | AccountEvent, metadata: Record<string, unknown> | null): WebhookPayload {
  return {
    id: event.id,
    type: event.type,
    api_version: WEBHOOK_API_VERSION,
    created_at: event.created_at,
    session_id: event.session_id,
    ...(event.session_id !== null ? { metadata: metadata ?? {} } : {}),
    data: event.data,
  };
}

export function endpointJson(e: EndpointRow) {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    types: e.types,
    enabled: e.enabled,
    secret_rolling_until: e.previous_secret && e.previous_secret_expires_at ? iso(e.previous_secret_expires_at) : null,
    failing_since: iso(e.failing_since),
    disabled_at: iso(e.disabled_at),
    disabled_reason: e.disabled_reason,
    created_at: e.created_at.toISOString(),
    updated_at: e.updated_at.toISOString(),
  };
}

function checkUrl(ctx: AppContext, url: string): string {
  const problem = webhookUrlProblem(url, { allowPrivate: ctx.config.webhookApi.allowPrivateUrls, requireHttps: ctx.config.webhookApi.requireHttps });
  if (problem) throw new ApiError(400, 'webhook_url_not_allowed', problem);
  if (ctx.config.webhookEndpoints.some((e) => e.url === url)) throw new ApiError(409, 'webhook_url_exists', 'this URL is already an endpoint (WEBHOOK_ENDPOINTS)');
  return url;
}

function checkTypes(types: readonly string[] | null | undefined): string[] | null | undefined {
  if (types === undefined || types === null) return types;
  const bad = types.filter((t) => !isEventType(t) || t === 'ping');
  if (bad.length > 0 || types.length === 0) {
    throw new ApiError(400, 'validation_failed', `types must be a non-empty list of event types (${EVENT_TYPES.filter((t) => t !== 'ping').join(', ')}) or null for all`);
  }
  return [...new Set(types)];
}

const urlTaken = (err: unknown) => (err as { constraint_name?: string }).constraint_name === 'webhook_endpoints_url_key';

export async function createEndpoint(ctx: AppContext, input: { url: string; description: string | null; types: string[] | null }): Promise<{ endpoint: EndpointRow; secret: string }> {
  const secret = newSecret();
  try {
    const endpoint = await insertEndpoint(ctx.sql, { id: `we_${randomBytes(8).toString('hex')}`, url: checkUrl(ctx, input.url), description: input.description, types: checkTypes(input.types) ?? null, secret });
    ctx.log.info({ endpointId: endpoint.id }, 'webhook endpoint created');
    return { endpoint, secret };
  } catch (err) {
    if (urlTaken(err)) throw new ApiError(409, 'webhook_url_exists', 'an endpoint with this URL exists');
    throw err;
  }
}

export async function getEndpoint(ctx: AppContext, id: string): Promise<EndpointRow> {
  const e = await findEndpoint(ctx.sql, id);
  if (!e) throw new ApiError(404, 'webhook_endpoint_not_found', 'no such webhook endpoint');
  return e;
}

export const listAllEndpoints = (ctx: AppContext) => listEndpoints(ctx.sql);

export async function changeEndpoint(
  ctx: AppContext,
  id: string,
  p: { url?: string; description?: string | null; types?: string[] | null; enabled?: boolean },
): Promise<EndpointRow> {
  try {
    const e = await updateEndpoint(ctx.sql, id, { ...p, url: p.url === undefined ? undefined : checkUrl(ctx, p.url), types: checkTypes(p.types) });
    if (!e) throw new ApiError(404, 'webhook_endpoint_not_found', 'no such webhook endpoint');
    if (p.enabled === false) await failPendingDeliveries(ctx.sql, id, 'endpoint was disabled');
    return e;
  } catch (err) {
    if (urlTaken(err)) throw new ApiError(409, 'webhook_url_exists', 'an endpoint with this URL exists');
    throw err;
  }
}

export async function removeEndpoint(ctx: AppContext, id: string): Promise<void> {
  await failPendingDeliveries(ctx.sql, id, 'endpoint was deleted');
  if (!(await deleteEndpoint(ctx.sql, id))) throw new ApiError(404, 'webhook_endpoint_not_found', 'no such webhook endpoint');
}

/** A new secret (shown once); the old one keeps signing beside it for `overlapSeconds`. */
export async function rollSecret(ctx: AppContext, id: string, overlapSeconds: number): Promise<{ endpoint: EndpointRow; secret: string }> {
  const secret = newSecret();
  const e = await rollEndpointSecret(ctx.sql, id, secret, new Date(ctx.now().getTime() + overlapSeconds * 1000));
  if (!e) throw new ApiError(404, 'webhook_endpoint_not_found', 'no such webhook endpoint');
  ctx.log.info({ endpointId: id, overlapSeconds }, 'webhook endpoint secret rolled');
  return { endpoint: e, secret };
}

/** Sends a `ping` to the endpoint now and says how it went (nothing is stored or retried). */
export async function pingEndpoint(ctx: AppContext, id: string): Promise<{ event_id: string; outcome: SendOutcome }> {
  const endpoint = await getEndpoint(ctx, id);
  const event: AccountEvent = { id: `evt_${randomUUID()}`, type: 'ping', created_at: ctx.now().toISOString(), session_id: null, data: { endpoint_id: id } };
  const outcome = await sendWebhook(ctx, { kind: 'api', endpoint }, webhookPayload(event, null), new AbortController().signal);
  return { event_id: event.id, outcome };
}

/**
 * After a failed attempt: starts the endpoint's failure streak, or, when it has lasted
 * WEBHOOK_DISABLE_AFTER_DAYS, disables it, gives up its pending deliveries and tells the others.
 */
export async function noteEndpointFailure(ctx: AppContext, endpoint: EndpointRow): Promise<void> {
  const now = ctx.now();
  const since = await markEndpointFailing(ctx.sql, endpoint.id, now);
  if (!since || now.getTime() - since.getTime() < ctx.config.webhookApi.disableAfterDays * 86_400_000) return;
  const disabled = await ctx.sql.begin(async (tx) => {
    if (!(await disableEndpoint(tx, endpoint.id, 'failing', now))) return false;
    await failPendingDeliveries(tx, endpoint.id, 'endpoint was disabled (failing)');
    const event: AccountEvent = {
      id: `evt_${randomUUID()}`,
      type: 'webhook_endpoint.disabled',
      created_at: now.toISOString(),
      session_id: null,
      data: { endpoint_id: endpoint.id, url: endpoint.url, failing_since: since.toISOString(), reason: 'failing', disable_after_days: ctx.config.webhookApi.disableAfterDays },
    };
    await recordEvent(ctx, tx, event);
    return true;
  });
  if (disabled) {
    ctx.eventsCommitted();
    ctx.log.error({ endpointId: endpoint.id, failingSince: since.toISOString() }, 'webhook endpoint disabled: failing for too long');
  }
}
