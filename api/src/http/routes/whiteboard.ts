// Internal routes for the media node's whiteboard persistence (docs/whiteboard.md). Authenticated
// like the other /internal routes (the root secret or the node's own credential, which acts only
// for lessons placed on that node). Bodies are raw bytes (a Yjs update), bounded in size.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../../context.ts';
import { ApiError } from '../../errors.ts';
import { assertNodeMayAct, internalCaller } from '../../services/node-credentials.ts';
import { getSession } from '../../services/sessions-service.ts';
import { loadWhiteboard, MAX_STORED_BOARD_BYTES, saveWhiteboard } from '../../services/whiteboard-service.ts';
import { bearerOf } from '../bearer.ts';
import { SessionParams } from '../schemas.ts';
import { NoContent, withErrors } from '../response-schemas.ts';

const SaveQuery = Type.Object({ locked: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) }, { additionalProperties: false });
export const BOARD_LOCKED_HEADER = 'duet-board-locked';

export async function whiteboardRoutes(app: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: MAX_STORED_BOARD_BYTES }, (_req, body, done) => done(null, body));
  const callerOf = (req: FastifyRequest) => internalCaller(ctx.config, bearerOf(req));

  app.get<{ Params: SessionParams }>('/internal/sessions/:id/whiteboard', { schema: { params: SessionParams, response: withErrors({ 204: NoContent }) } }, async (req, reply) => {
    const caller = callerOf(req);
    const session = await getSession(ctx, req.params.id);
    assertNodeMayAct(caller, session.mediaNode, true);
    const board = await loadWhiteboard(ctx, session);
    if (!board) return reply.code(204).send();
    return reply.header(BOARD_LOCKED_HEADER, String(board.locked)).type('application/octet-stream').send(Buffer.from(board.state));
  });

  app.put<{ Params: SessionParams; Querystring: Static<typeof SaveQuery> }>(
    '/internal/sessions/:id/whiteboard',
    {
      schema: { params: SessionParams, querystring: SaveQuery, response: withErrors({ 204: NoContent }) },
      // Authenticated before the body is even looked at.
      onRequest: async (req) => void callerOf(req),
    },
    async (req, reply) => {
      if (!Buffer.isBuffer(req.body)) throw new ApiError(415, 'unsupported_media_type', 'send the whiteboard as application/octet-stream');
      const session = await getSession(ctx, req.params.id);
      assertNodeMayAct(callerOf(req), session.mediaNode, false);
      await saveWhiteboard(ctx, session, new Uint8Array(req.body), req.query.locked === 'true');
      return reply.code(204).send();
    },
  );
}
