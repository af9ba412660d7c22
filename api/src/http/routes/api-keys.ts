// Named API keys through the API (operator scope; route-scopes.ts). The secret is in the answer
// to create and rotate only.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../../context.ts';
import { API_KEY_SCOPES } from '../../domain/api-key-scopes.ts';
import { apiKeyJson, createApiKey, getKey, listKeys, MAX_ROTATION_OVERLAP_SECONDS, revokeKey, rotateKey } from '../../services/api-keys-service.ts';
import { apiKeyOf, requireKey } from '../caller.ts';
import { NoBody } from '../schemas.ts';
import { withErrors } from '../response-schemas.ts';

const ScopeEnum = Type.Unsafe<(typeof API_KEY_SCOPES)[number]>({ type: 'string', enum: [...API_KEY_SCOPES] });
const CreateKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }),
    scopes: Type.Array(ScopeEnum, { minItems: 1, maxItems: 3, uniqueItems: true }),
  },
  { additionalProperties: false, examples: [{ name: 'booking service', scopes: ['lessons'] }] },
);
const RotateBody = Type.Union([
  Type.Object(
    { overlap_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_ROTATION_OVERLAP_SECONDS, description: 'how long the old secret keeps working (default 86400)' })) },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
const KeyParams = Type.Object({ id: Type.String({ pattern: '^key_[0-9a-f]{16}$' }) });

const DateTime = Type.String({ format: 'date-time' });
const NullableDateTime = Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' });
export const ApiKeyJson = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    scopes: Type.Array(ScopeEnum),
    prefix: Type.String({ description: 'the first characters of the secret, to recognise it' }),
    status: Type.Unsafe<'active' | 'revoked'>({ type: 'string', enum: ['active', 'revoked'] }),
    previous_secret_expires_at: NullableDateTime,
    created_at: DateTime,
    rotated_at: NullableDateTime,
    revoked_at: NullableDateTime,
    last_used_at: NullableDateTime,
  },
  {
    additionalProperties: false,
    examples: [
      {
        id: 'key_3f2a9c0b1d4e5f60',
        name: 'booking service',
        scopes: ['lessons'],
        prefix: 'duet_sk_Ab3x',
        status: 'active',
        previous_secret_expires_at: null,
        created_at: '2026-12-01T10:00:00.000Z',
        rotated_at: null,
        revoked_at: null,
        last_used_at: null,
      },
    ],
  },
);
const ApiKeyWithSecret = Type.Object(
  { key: ApiKeyJson, secret: Type.String({ description: 'shown once: store it now (only its SHA-256 is kept)' }) },
  { additionalProperties: false },
);
const ApiKeyList = Type.Object({ keys: Type.Array(ApiKeyJson) }, { additionalProperties: false });
const KeyOnly = Type.Object({ key: ApiKeyJson }, { additionalProperties: false });

export function registerApiKeyRoutes(app: FastifyInstance, ctx: AppContext): void {
  const keyFirst = async (req: Parameters<typeof requireKey>[0]) => void requireKey(req);

  app.post<{ Body: Static<typeof CreateKeyBody> }>(
    '/v1/api-keys',
    {
      schema: {
        operationId: 'createApiKey',
        summary: 'Create a named API key (the secret is shown once)',
        body: CreateKeyBody,
        response: withErrors({ 201: ApiKeyWithSecret }),
      },
      preValidation: keyFirst,
    },
    async (req, reply) => {
      const { key, secret } = await createApiKey(ctx, req.body.name, req.body.scopes);
      return reply.code(201).header('cache-control', 'no-store').send({ key: apiKeyJson(key), secret });
    },
  );

  app.get('/v1/api-keys', { schema: { operationId: 'listApiKeys', summary: 'List API keys (never their secrets)', response: withErrors({ 200: ApiKeyList }) }, preValidation: keyFirst }, async () => ({
    keys: (await listKeys(ctx)).map(apiKeyJson),
  }));

  app.get<{ Params: Static<typeof KeyParams> }>(
    '/v1/api-keys/:id',
    { schema: { operationId: 'getApiKey', summary: 'One API key', params: KeyParams, response: withErrors({ 200: KeyOnly }) }, preValidation: keyFirst },
    async (req) => ({ key: apiKeyJson(await getKey(ctx, req.params.id)) }),
  );

  app.post<{ Params: Static<typeof KeyParams>; Body: Static<typeof RotateBody> }>(
    '/v1/api-keys/:id/rotate',
    {
      schema: {
        operationId: 'rotateApiKey',
        summary: 'Rotate a key: a new secret (shown once); the old one keeps working for overlap_seconds',
        params: KeyParams,
        body: RotateBody,
        response: withErrors({ 200: ApiKeyWithSecret }),
      },
      preValidation: keyFirst,
    },
    async (req, reply) => {
      const { key, secret } = await rotateKey(ctx, req.params.id, req.body?.overlap_seconds ?? 86_400);
      return reply.header('cache-control', 'no-store').send({ key: apiKeyJson(key), secret });
    },
  );

  app.post<{ Params: Static<typeof KeyParams> }>(
    '/v1/api-keys/:id/revoke',
    {
      schema: { operationId: 'revokeApiKey', summary: 'Revoke a key at once (its previous secret too)', params: KeyParams, body: NoBody, response: withErrors({ 200: KeyOnly }) },
      preValidation: keyFirst,
    },
    async (req) => ({ key: apiKeyJson(await revokeKey(ctx, req.params.id, apiKeyOf(req))) }),
  );
}
