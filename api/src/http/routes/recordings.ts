// Lesson recordings: the list (participants or the API key) and the file itself, streamed with
// HTTP Range so players can seek. The file URL works with its signature alone (for <video src>)
// or with the same Bearer credentials as the list.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../../context.ts';
import { retryRecording } from '../../services/recording-retry-service.ts';
import { getSessionFor } from '../../services/sessions-service.ts';
import { checkRecordingUrl, listRecordingsFor, openRecordingFile } from '../../services/recordings-service.ts';
import { RangeNotSatisfiableError, type ObjectStore } from '../../storage/index.ts';
import { requireKey, keyOrCurrentToken } from '../caller.ts';
import { bearerOf, seatTicketOf } from '../bearer.ts';
import { NoBody, SessionParams, SignedQuery } from '../schemas.ts';
import { Binary, ErrorBody, RecordingList, RecordingRetryStarted, withErrors } from '../response-schemas.ts';
import { OBJECT_RESPONSE_HEADERS, isRecordingContentType } from '../../domain/served-types.ts';

const FileParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }), recordingId: Type.String({ minLength: 1, maxLength: 100 }) });
type FileParams = Static<typeof FileParams>;
const RecordingIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

function extensionOf(type: string): string {
  const sub = type.split('/')[1]!;
  return sub === 'mpeg' ? 'mp3' : sub === 'mp4' && type.startsWith('audio') ? 'm4a' : sub;
}

export function registerRecordingRoutes(app: FastifyInstance, ctx: AppContext, store: ObjectStore): void {
  app.get<{ Params: SessionParams }>('/v1/sessions/:id/recordings', { schema: { params: SessionParams, response: withErrors({ 200: RecordingList }) } }, async (req, reply) => {
    const caller = await keyOrCurrentToken(ctx, req, req.params.id);
    reply.header('cache-control', 'no-store');
    return listRecordingsFor(ctx, req.params.id, caller);
  });

  const serveFile = async (req: { params: FileParams; query: SignedQuery; headers: Record<string, string | string[] | undefined> }, reply: FastifyReply) => {
    const { id, recordingId } = req.params;
    const bearer = bearerOf(req as never);
    if (req.query.sig !== undefined || bearer === undefined) await checkRecordingUrl(ctx, id, recordingId, req.query);
    else await getSessionFor(ctx, id, await keyOrCurrentToken(ctx, req as never, id));
    const rangeHeader = typeof req.headers.range === 'string' ? req.headers.range : undefined;
    let opened;
    try {
      opened = await openRecordingFile(ctx, store, id, recordingId, rangeHeader);
    } catch (err) {
      if (err instanceof RangeNotSatisfiableError) {
        return reply.code(416).header('content-range', `bytes */${err.size}`).send({ error: { code: 'range_not_satisfiable', message: err.message } });
      }
      throw err;
    }
    const { read, contentType } = opened;
    // Rows written before the allow-list may hold anything: those are bytes to save, not to open.
    const playable = isRecordingContentType(contentType);
    reply
      .headers(OBJECT_RESPONSE_HEADERS)
      .header('accept-ranges', 'bytes')
      .header('content-type', playable ? contentType : 'application/octet-stream')
      .header('content-length', String(read.contentLength))
      .header('cache-control', 'private, max-age=300')
      .header('content-disposition', `${playable ? 'inline' : 'attachment'}; filename="lesson-${id}-recording.${playable ? extensionOf(contentType) : 'bin'}"`);
    if (read.range) reply.code(206).header('content-range', `bytes ${read.range.start}-${read.range.end}/${read.size}`);
    return reply.send(read.body); // for HEAD, Fastify keeps these headers and drops the body
  };
  const opts = {
    schema: { params: FileParams, querystring: SignedQuery, response: withErrors({ 200: Binary, 206: Binary, 416: ErrorBody }) },
  };
  // A failed recording finalized again by the recorder holding its files (operator, API key).
  app.post<{ Params: Static<typeof RecordingIdParams> }>(
    '/v1/recordings/:id/retry',
    {
      schema: { params: RecordingIdParams, body: NoBody, response: withErrors({ 202: RecordingRetryStarted }) },
      preValidation: async (req) => void requireKey(req),
    },
    async (req, reply) => reply.code(202).send(await retryRecording(ctx, req.params.id)),
  );

  // Fastify answers HEAD from this GET route (headers only).
  app.get<{ Params: FileParams; Querystring: SignedQuery }>('/v1/sessions/:id/recordings/:recordingId/file', opts, (req, reply) => serveFile(req, reply));
}
