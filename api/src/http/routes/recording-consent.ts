// POST /v1/sessions/:id/recording-consent: the participant (join token) acknowledges that the
// lesson is recorded; the web room sends it when the person ticks the notice and joins.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AppContext } from '../../context.ts';
import { requireJoinToken } from '../../services/auth-service.ts';
import { recordConsent } from '../../services/recording-consent-service.ts';
import { bearerOf } from '../bearer.ts';
import { NoBody, SessionParams } from '../schemas.ts';
import { withErrors } from '../response-schemas.ts';

const ConsentJson = Type.Object(
  { role: Type.String(), user_id: Type.String(), at: Type.String({ format: 'date-time' }), duplicate: Type.Boolean() },
  { additionalProperties: false },
);

export function registerRecordingConsentRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Params: SessionParams }>(
    '/v1/sessions/:id/recording-consent',
    {
      schema: { params: SessionParams, body: NoBody, response: withErrors({ 200: ConsentJson }) },
      bodyLimit: 1024,
      // Authentication runs before body validation, like the other participant routes.
      preValidation: async (req: FastifyRequest) => {
        (req as { claims?: unknown }).claims = await requireJoinToken(ctx.config, bearerOf(req), (req.params as SessionParams).id);
      },
    },
    async (req) => {
      const claims = (req as unknown as { claims: Awaited<ReturnType<typeof requireJoinToken>> }).claims;
      return recordConsent(ctx, req.params.id, claims);
    },
  );
}
