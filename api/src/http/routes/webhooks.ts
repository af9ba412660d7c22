// The webhook side for the marketplace: configured endpoints (no secrets), the delivery log, a
// lesson's event log, and re-queueing a delivery that was given up on.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../../context.ts';
import { ApiError } from '../../errors.ts';
import { getSession } from '../../services/sessions-service.ts';
import { listSessionEvents } from '../../repositories/events-repo.ts';
import { deliveryLog, findDelivery, requeueDelivery, type DeliveryLogRow } from '../../repositories/webhook-deliveries-repo.ts';
import { requireKey } from '../caller.ts';
import { bearerOf } from '../bearer.ts';
import { NoBody, SessionParams, parseLimit } from '../schemas.ts';
import { DeliveryList, DeliveryRequeued, EventList, WebhookEndpoints, withErrors } from '../response-schemas.ts';

const DeliveriesQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')])),
    session_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    event_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    endpoint_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    before: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
  },
  { additionalProperties: false },
);
type DeliveriesQuery = Static<typeof DeliveriesQuery>;
const DeliveryParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,18}$' }) });
type DeliveryParams = Static<typeof DeliveryParams>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);
function deliveryJson(r: DeliveryLogRow) {
  return {
    id: r.id,
    event_id: r.event_id,
    event_type: r.event_type,
    session_id: r.session_id,
    endpoint_url: r.endpoint_url,
    status: r.status,
    attempts: r.attempts,
    last_error: r.last_error,
    last_status_code: r.last_status_code,
    next_attempt_at: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
    delivered_at: iso(r.delivered_at),
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

export function registerWebhookRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { config } = ctx;
  const apiKeyFirst = async (req: Parameters<typeof bearerOf>[0]) => {
    requireKey(req);
  };

  app.get('/v1/webhooks/endpoints', { schema: { response: withErrors({ 200: WebhookEndpoints }) }, preValidation: apiKeyFirst }, async () => ({
    endpoints: config.webhookEndpoints.map((e) => ({ url: e.url, types: e.types })),
    max_age_seconds: config.webhookMaxAgeSeconds,
    max_attempts: config.webhookMaxAttempts,
  }));

  app.get<{ Querystring: DeliveriesQuery }>(
    '/v1/webhooks/deliveries',
    { schema: { querystring: DeliveriesQuery, response: withErrors({ 200: DeliveryList }) }, preValidation: apiKeyFirst },
    async (req) => {
      const q = req.query;
      const limit = parseLimit(q.limit, 100, 1000);
      const rows = await deliveryLog(ctx.sql, {
        status: q.status,
        sessionId: q.session_id,
        eventId: q.event_id,
        endpointUrl: q.endpoint_url,
        before: q.before,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      return { deliveries: page.map(deliveryJson), next_before: rows.length > limit ? page[page.length - 1]!.id : null };
    },
  );

  app.post<{ Params: DeliveryParams }>(
    '/v1/webhooks/deliveries/:id/retry',
    { schema: { params: DeliveryParams, body: NoBody, response: withErrors({ 200: DeliveryRequeued }) }, preValidation: apiKeyFirst },
    async (req) => {
      // Requeue first, then look only on failure: the loop may send the row as soon as it is pending.
      const requeued = await requeueDelivery(ctx.sql, req.params.id);
      if (!requeued) {
        const existing = await findDelivery(ctx.sql, req.params.id);
        if (!existing) throw new ApiError(404, 'delivery_not_found', 'delivery not found');
        throw new ApiError(409, 'delivery_not_failed', `only failed deliveries can be retried (this one is ${existing.status})`);
      }
      ctx.eventsCommitted();
      return { delivery: deliveryJson(requeued) };
    },
  );

  app.get<{ Params: SessionParams }>(
    '/v1/sessions/:id/events',
    { schema: { params: SessionParams, response: withErrors({ 200: EventList }) }, preValidation: apiKeyFirst },
    async (req) => {
      const session = await getSession(ctx, req.params.id);
      return { events: await listSessionEvents(ctx.sql, session.id) };
    },
  );
}
