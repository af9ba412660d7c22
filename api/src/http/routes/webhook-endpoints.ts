// Webhook endpoints through the API (operator scope): create (secret shown once), list, read,
// update, delete, roll the secret, and a test ping delivered now.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../../context.ts';
import {
  changeEndpoint,
  createEndpoint,
  endpointJson,
  getEndpoint,
  listAllEndpoints,
  MAX_ROLL_OVERLAP_SECONDS,
  pingEndpoint,
  removeEndpoint,
  rollSecret,
} from '../../services/webhook-endpoints-service.ts';
import { requireKey } from '../caller.ts';
import { NoBody } from '../schemas.ts';
import { NoContent, withErrors } from '../response-schemas.ts';

const Url = Type.String({ minLength: 1, maxLength: 2000, description: 'https URL that receives POSTed events (http allowed outside production)' });
const Types = Type.Union([Type.Array(Type.String({ maxLength: 100 }), { minItems: 1, maxItems: 50, uniqueItems: true }), Type.Null()], {
  description: 'event types to send (see docs/events.md); null or absent = all',
});
const Description = Type.Union([Type.String({ maxLength: 500 }), Type.Null()]);
const CreateBody = Type.Object(
  { url: Url, description: Type.Optional(Description), types: Type.Optional(Types) },
  { additionalProperties: false, examples: [{ url: 'https://school.example/duet/webhooks', description: 'production receiver', types: null }] },
);
const UpdateBody = Type.Object(
  { url: Type.Optional(Url), description: Type.Optional(Description), types: Type.Optional(Types), enabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1, examples: [{ enabled: true }] },
);
const RollBody = Type.Union([
  Type.Object(
    { overlap_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_ROLL_OVERLAP_SECONDS, description: 'how long the old secret also signs (default 86400)' })) },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
const EndpointParams = Type.Object({ id: Type.String({ pattern: '^we_[0-9a-f]{16}$' }) });

const NullableDateTime = Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' });
const EndpointJson = Type.Object(
  {
    id: Type.String(),
    url: Type.String(),
    description: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
    types: Type.Unsafe<string[] | null>({ type: ['array', 'null'], items: { type: 'string' } }),
    enabled: Type.Boolean(),
    secret_rolling_until: Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time', description: 'while set, deliveries carry two v1= signatures (new and old secret)' }),
    failing_since: NullableDateTime,
    disabled_at: NullableDateTime,
    disabled_reason: Type.Unsafe<string | null>({ type: ['string', 'null'], description: 'failing (WEBHOOK_DISABLE_AFTER_DAYS) or api' }),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  {
    additionalProperties: false,
    examples: [
      {
        id: 'we_5d1c0a9e8b7f6a51',
        url: 'https://school.example/duet/webhooks',
        description: 'production receiver',
        types: null,
        enabled: true,
        secret_rolling_until: null,
        failing_since: null,
        disabled_at: null,
        disabled_reason: null,
        created_at: '2026-12-01T10:00:00.000Z',
        updated_at: '2026-12-01T10:00:00.000Z',
      },
    ],
  },
);
const WithSecret = Type.Object(
  { endpoint: EndpointJson, secret: Type.String({ description: 'the signing secret (whsec_…), shown once: store it now' }) },
  { additionalProperties: false },
);
const EndpointOnly = Type.Object({ endpoint: EndpointJson }, { additionalProperties: false });
const EndpointList = Type.Object({ endpoints: Type.Array(EndpointJson) }, { additionalProperties: false });
const PingResult = Type.Object(
  {
    event_id: Type.String(),
    delivered: Type.Boolean(),
    status_code: Type.Unsafe<number | null>({ type: ['integer', 'null'] }),
    error: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
  },
  { additionalProperties: false, examples: [{ event_id: 'evt_0b6f…', delivered: true, status_code: 200, error: null }] },
);

type Params = Static<typeof EndpointParams>;

export function registerWebhookEndpointRoutes(app: FastifyInstance, ctx: AppContext): void {
  const keyFirst = async (req: Parameters<typeof requireKey>[0]) => void requireKey(req);

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/v1/webhook-endpoints',
    {
      schema: { operationId: 'createWebhookEndpoint', summary: 'Add a webhook endpoint (the signing secret is shown once)', body: CreateBody, response: withErrors({ 201: WithSecret }) },
      preValidation: keyFirst,
    },
    async (req, reply) => {
      const { endpoint, secret } = await createEndpoint(ctx, { url: req.body.url, description: req.body.description ?? null, types: req.body.types ?? null });
      return reply.code(201).header('cache-control', 'no-store').send({ endpoint: endpointJson(endpoint), secret });
    },
  );

  app.get('/v1/webhook-endpoints', { schema: { operationId: 'listWebhookEndpoints', summary: 'Webhook endpoints managed through the API (never their secrets)', response: withErrors({ 200: EndpointList }) }, preValidation: keyFirst }, async () => ({
    endpoints: (await listAllEndpoints(ctx)).map(endpointJson),
  }));

  app.get<{ Params: Params }>(
    '/v1/webhook-endpoints/:id',
    { schema: { operationId: 'getWebhookEndpoint', summary: 'One webhook endpoint', params: EndpointParams, response: withErrors({ 200: EndpointOnly }) }, preValidation: keyFirst },
    async (req) => ({ endpoint: endpointJson(await getEndpoint(ctx, req.params.id)) }),
  );

  app.patch<{ Params: Params; Body: Static<typeof UpdateBody> }>(
    '/v1/webhook-endpoints/:id',
    {
      schema: { operationId: 'updateWebhookEndpoint', summary: 'Change URL, description, types, or enable/disable (enabling clears a failure streak)', params: EndpointParams, body: UpdateBody, response: withErrors({ 200: EndpointOnly }) },
      preValidation: keyFirst,
    },
    async (req) => ({ endpoint: endpointJson(await changeEndpoint(ctx, req.params.id, req.body)) }),
  );

  app.delete<{ Params: Params }>(
    '/v1/webhook-endpoints/:id',
    { schema: { operationId: 'deleteWebhookEndpoint', summary: 'Remove a webhook endpoint (its pending deliveries are given up)', params: EndpointParams, response: withErrors({ 204: NoContent }) }, preValidation: keyFirst },
    async (req, reply) => {
      await removeEndpoint(ctx, req.params.id);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: Params; Body: Static<typeof RollBody> }>(
    '/v1/webhook-endpoints/:id/roll-secret',
    {
      schema: {
        operationId: 'rollWebhookSecret',
        summary: 'New signing secret (shown once); the old one also signs for overlap_seconds (two v1= in duet-signature)',
        params: EndpointParams,
        body: RollBody,
        response: withErrors({ 200: WithSecret }),
      },
      preValidation: keyFirst,
    },
    async (req, reply) => {
      const { endpoint, secret } = await rollSecret(ctx, req.params.id, req.body?.overlap_seconds ?? 86_400);
      return reply.header('cache-control', 'no-store').send({ endpoint: endpointJson(endpoint), secret });
    },
  );

  app.post<{ Params: Params }>(
    '/v1/webhook-endpoints/:id/test',
    {
      schema: { operationId: 'testWebhookEndpoint', summary: 'Deliver a signed `ping` event to the endpoint now and report the answer', params: EndpointParams, body: NoBody, response: withErrors({ 200: PingResult }) },
      preValidation: keyFirst,
    },
    async (req) => {
      const { event_id, outcome } = await pingEndpoint(ctx, req.params.id);
      return { event_id, delivered: outcome.ok, status_code: outcome.status, error: outcome.ok ? null : outcome.error };
    },
  );
}
