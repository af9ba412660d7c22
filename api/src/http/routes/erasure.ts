// GDPR erasure for the marketplace (API key): POST /v1/sessions/:id/erase and
// POST /v1/users/:user_id/erase. See services/erasure-service.ts for what goes and what stays.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../../context.ts';
import { eraseLesson, eraseUser } from '../../services/erasure-service.ts';
import { requireKey } from '../caller.ts';
import { bearerOf } from '../bearer.ts';
import { SessionParams } from '../schemas.ts';
import { withErrors } from '../response-schemas.ts';

const EraseBody = Type.Union([
  Type.Object(
    { requested_by: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'who asked (an operator or ticket id), kept in the audit event' })) },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
type EraseBody = Static<typeof EraseBody>;
const UserParams = Type.Object({ user_id: Type.String({ minLength: 1, maxLength: 200 }) });
type UserParams = Static<typeof UserParams>;

const Counts = Type.Record(Type.String(), Type.Integer());
const LessonErased = Type.Object(
  {
    erase_id: Type.String(),
    session_id: Type.String(),
    erased_at: Type.String({ format: 'date-time' }),
    counts: Counts,
    kept: Type.Object({}, { additionalProperties: true, description: 'the billing facts the lesson keeps (times, status, attended seconds)' }),
  },
  { additionalProperties: false },
);
const UserErased = Type.Object(
  {
    erase_id: Type.String(),
    user_id: Type.String(),
    erased_at: Type.String({ format: 'date-time' }),
    sessions: Type.Array(Type.Object({ session_id: Type.String(), role: Type.String(), counts: Counts }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export function registerErasureRoutes(app: FastifyInstance, ctx: AppContext): void {
  const apiKeyFirst = async (req: Parameters<typeof bearerOf>[0]) => {
    requireKey(req);
  };

  app.post<{ Params: SessionParams; Body: EraseBody }>(
    '/v1/sessions/:id/erase',
    { schema: { params: SessionParams, body: EraseBody, response: withErrors({ 200: LessonErased }) }, bodyLimit: 4096, preValidation: apiKeyFirst },
    async (req) => eraseLesson(ctx, req.params.id, req.body?.requested_by ?? null),
  );

  app.post<{ Params: UserParams; Body: EraseBody }>(
    '/v1/users/:user_id/erase',
    { schema: { params: UserParams, body: EraseBody, response: withErrors({ 200: UserErased }) }, bodyLimit: 4096, preValidation: apiKeyFirst },
    async (req) => eraseUser(ctx, req.params.user_id, req.body?.requested_by ?? null),
  );
}
