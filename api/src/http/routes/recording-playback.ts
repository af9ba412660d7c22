// Watch a recording seconds after the lesson, before (and without) the composed MP4: the playback
// description (tracks, their segments on one lesson clock, each with a short-lived URL) and, on
// local storage, the segment bytes. Authenticated as recording downloads are: a signed URL alone
// (the `playback_url` in the recording list, for the post-session screen and the marketplace's
// link to the standalone page /session/:id/recording/:recordingId), or the session's Bearer
// credentials (API key, current join token).
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../../context.ts';
import { checkPlaybackUrl, getPlayback, openPlaybackSegment } from '../../services/recording-playback-service.ts';
import { getSessionFor } from '../../services/sessions-service.ts';
import type { ObjectStore } from '../../storage/index.ts';
import { bearerOf } from '../bearer.ts';
import { keyOrCurrentToken } from '../caller.ts';
import { Binary, withErrors } from '../response-schemas.ts';
import { SignedQuery } from '../schemas.ts';
import { seatFor, type SeatBinding } from '../../services/signed-urls.ts';
import { OBJECT_RESPONSE_HEADERS } from '../../domain/served-types.ts';

const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }), recordingId: Type.String({ minLength: 1, maxLength: 100 }) });
const SegmentParams = Type.Object({
  id: Params.properties.id,
  recordingId: Params.properties.recordingId,
  // Path segments are strings (no type coercion in this API): small decimal indexes only.
  track: Type.String({ pattern: '^(0|[1-9][0-9]?)$' }),
  segment: Type.String({ pattern: '^(0|[1-9][0-9]{0,5})$' }),
});
const Segment = Type.Object({ url: Type.String(), start: Type.Number(), duration: Type.Number() }, { additionalProperties: false });
const Track = Type.Object({ role: Type.String(), source: Type.String(), kind: Type.String(), mime_type: Type.String(), segments: Type.Array(Segment) }, { additionalProperties: false });
const Playback = Type.Object(
  {
    recording_id: Type.String(),
    mode: Type.Union([Type.Literal('segments'), Type.Literal('file')]),
    duration_seconds: Type.Union([Type.Number(), Type.Null()]),
    file_url: Type.Union([Type.String(), Type.Null()]),
    tracks: Type.Array(Track),
  },
  { additionalProperties: false },
);

export function registerRecordingPlaybackRoutes(app: FastifyInstance, ctx: AppContext, store: ObjectStore): void {
  /**
   * A signed URL for exactly this path, or the session's Bearer credentials. Returns the seat the
   * segment URLs handed out next are bound to (a participant's link; null for the API key).
   */
  const authorize = async (req: { query: SignedQuery; headers: Record<string, unknown> }, sessionId: string, recordingId: string, segment?: { track: number; segment: number }): Promise<SeatBinding | null> => {
    const bearer = bearerOf(req as never);
    if (req.query.sig !== undefined || bearer === undefined) return checkPlaybackUrl(ctx, sessionId, recordingId, req.query, segment);
    const caller = await keyOrCurrentToken(ctx, req as never, sessionId);
    await getSessionFor(ctx, sessionId, caller);
    return seatFor(caller);
  };

  app.get<{ Params: Static<typeof Params>; Querystring: SignedQuery }>(
    '/v1/sessions/:id/recordings/:recordingId/playback',
    { schema: { params: Params, querystring: SignedQuery, response: withErrors({ 200: Playback }) } },
    async (req, reply) => {
      const seat = await authorize(req, req.params.id, req.params.recordingId);
      reply.header('cache-control', 'no-store');
      return getPlayback(ctx, store, req.params.id, req.params.recordingId, seat);
    },
  );

  app.get<{ Params: Static<typeof SegmentParams>; Querystring: SignedQuery }>(
    '/v1/sessions/:id/recordings/:recordingId/playback/:track/:segment',
    { schema: { params: SegmentParams, querystring: SignedQuery, response: withErrors({ 200: Binary }) } },
    async (req, reply) => {
      const { id, recordingId } = req.params;
      const track = Number(req.params.track);
      const segment = Number(req.params.segment);
      await authorize(req, id, recordingId, { track, segment });
      const { read, contentType } = await openPlaybackSegment(ctx, store, id, recordingId, track, segment);
      reply
        .headers(OBJECT_RESPONSE_HEADERS)
        .header('content-type', contentType)
        .header('content-length', String(read.contentLength))
        .header('cache-control', 'private, max-age=300');
      return reply.send(read.body);
    },
  );
}
