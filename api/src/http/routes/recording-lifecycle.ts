// Recordings across lessons for the marketplace (API key): list with filters and a cursor, one
// recording with a fresh download link, and DELETE. Kept apart from routes/recordings.ts (the
// per-lesson list and the file itself).
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../../context.ts';
import { getRecording, listRecordingsAcross } from '../../services/recording-catalog-service.ts';
import { deleteRecording } from '../../services/recording-lifecycle-service.ts';
import { requireKey } from '../caller.ts';
import { bearerOf } from '../bearer.ts';
import { parseLimit } from '../schemas.ts';
import { NoContent, RecordingJson, RecordingPage, withErrors } from '../response-schemas.ts';

const RecordingParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
type RecordingParams = Static<typeof RecordingParams>;

const ListRecordingsQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    user_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    status: Type.Optional(Type.Union([Type.Literal('processing'), Type.Literal('ready'), Type.Literal('failed'), Type.Literal('deleted')])),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1..200, default 50' })),
  },
  { additionalProperties: false },
);
type ListRecordingsQuery = Static<typeof ListRecordingsQuery>;

export function registerRecordingLifecycleRoutes(app: FastifyInstance, ctx: AppContext): void {
  // The key is checked before the input, so anonymous callers learn nothing about the schema.
  const apiKeyFirst = async (req: Parameters<typeof bearerOf>[0]) => {
    requireKey(req);
  };

  app.get<{ Querystring: ListRecordingsQuery }>(
    '/v1/recordings',
    { schema: { querystring: ListRecordingsQuery, response: withErrors({ 200: RecordingPage }) }, preValidation: apiKeyFirst },
    async (req, reply) => {
      const q = req.query;
      reply.header('cache-control', 'no-store');
      return listRecordingsAcross(ctx, {
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        userId: q.user_id,
        status: q.status,
        cursor: q.cursor,
        limit: parseLimit(q.limit, 50, 200),
      });
    },
  );

  app.get<{ Params: RecordingParams }>(
    '/v1/recordings/:id',
    { schema: { params: RecordingParams, response: withErrors({ 200: RecordingJson }) }, preValidation: apiKeyFirst },
    async (req, reply) => {
      reply.header('cache-control', 'no-store');
      return getRecording(ctx, req.params.id);
    },
  );

  app.delete<{ Params: RecordingParams }>(
    '/v1/recordings/:id',
    { schema: { params: RecordingParams, response: withErrors({ 204: NoContent }) }, preValidation: apiKeyFirst },
    async (req, reply) => {
      await deleteRecording(ctx, req.params.id);
      return reply.code(204).send();
    },
  );
}
