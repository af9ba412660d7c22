// Media quality of a lesson: the rooms report (join token), the marketplace reads (API key).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import { requireCurrentToken } from '../../services/auth-service.ts';
import { requireKey } from '../caller.ts';
import { lessonQuality, recordQuality, type FinalQuality } from '../../services/quality-service.ts';
import { assertParticipant, getSession } from '../../services/sessions-service.ts';
import { bearerOf, seatTicketOf } from '../bearer.ts';
import { LessonQuality, QualityReport } from '../quality-schemas.ts';
import { Accepted, withErrors } from '../response-schemas.ts';
import { SessionParams } from '../schemas.ts';

/** Set on the reply when a seat's first final report arrived (ops.ts observes the histograms). */
export type QualityReply = FastifyReply & { duetFinalQuality?: FinalQuality };

export function registerQualityRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Params: SessionParams; Body: QualityReport }>(
    '/v1/sessions/:id/quality',
    {
      schema: { params: SessionParams, body: QualityReport, response: withErrors({ 202: Accepted }) },
      bodyLimit: 4 * 1024,
      // Authentication before body validation: anonymous callers learn nothing about the schema.
      preValidation: async (req: FastifyRequest) => {
        (req as { claims?: unknown }).claims = await requireCurrentToken(ctx, bearerOf(req), seatTicketOf(req), (req.params as SessionParams).id);
      },
    },
    async (req, reply) => {
      const claims = (req as unknown as { claims: Awaited<ReturnType<typeof requireCurrentToken>> }).claims;
      const session = await getSession(ctx, req.params.id);
      assertParticipant(session, claims);
      const final = await recordQuality(ctx, session, claims, req.body);
      if (final) (reply as QualityReply).duetFinalQuality = final;
      return reply.code(202).send({ ok: true });
    },
  );

  app.get<{ Params: SessionParams }>(
    '/v1/sessions/:id/quality',
    {
      schema: { params: SessionParams, response: withErrors({ 200: LessonQuality }) },
      preValidation: async (req) => {
        requireKey(req);
      },
    },
    async (req) => {
      const session = await getSession(ctx, req.params.id);
      return lessonQuality(ctx.sql, session.id);
    },
  );
}
