// Lesson resources: multipart upload, list with signed URLs, streamed download with Range.
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../../context.ts';
import { ApiError } from '../../errors.ts';
import {
  getResource,
  listLessonResources,
  removeResource,
  resourceContentPath,
  uploadBudget,
  uploadResource,
} from '../../services/resources-service.ts';
import { getSessionFor, getSession } from '../../services/sessions-service.ts';
import { requireSignedPath } from '../../services/signed-urls.ts';
import { keyOrCurrentToken } from '../caller.ts';
import { bearerOf, seatTicketOf } from '../bearer.ts';
import { SessionParams, SignedQuery, Uuid } from '../schemas.ts';
import { sendObject } from '../send-object.ts';
import { Binary, ErrorBody, NoContent, ResourceCreated, ResourceList, withErrors } from '../response-schemas.ts';

/**
 * The upload is multipart/form-data with one part named "file" (streamed by @fastify/multipart, so
 * Fastify sees no parsed body: hence `null` passes). Other content types get 415 from the handler.
 */
const UploadBody = {
  content: {
    'multipart/form-data': {
      schema: Type.Unsafe<null>({
        type: ['object', 'null'],
        properties: { file: { type: 'string', format: 'binary', description: 'the file (size and type limits from config)' } },
        required: ['file'],
      }),
    },
  },
};

const ResourceParams = Type.Object({ id: SessionParams.properties.id, rid: Uuid });
type ResourceParams = Static<typeof ResourceParams>;

export async function resourceRoutes(app: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const { config } = ctx;
  await app.register(multipart, {
    limits: { fileSize: config.resourceMaxBytes, files: 1, fields: 5, fieldSize: 1024, parts: 6, headerPairs: 100 },
  });

  app.post<{ Params: SessionParams }>(
    '/v1/sessions/:id/resources',
    {
      schema: { params: SessionParams, body: UploadBody, response: withErrors({ 201: ResourceCreated }) },
      bodyLimit: config.resourceMaxBytes + 64 * 1024,
    },
    async (req, reply) => {
      const caller = await keyOrCurrentToken(ctx, req, req.params.id);
      const session = await getSessionFor(ctx, req.params.id, caller);
      if (!req.isMultipart()) {
        throw new ApiError(415, 'multipart_required', 'upload the file as multipart/form-data with a "file" field');
      }
      const maxBytes = await uploadBudget(ctx, session, caller);
      const part = await req.file({ limits: { fileSize: maxBytes } });
      if (!part) throw new ApiError(400, 'file_missing', 'the form has no file part');
      if (part.fieldname !== 'file') {
        part.file.resume();
        throw new ApiError(400, 'file_missing', 'the file must be sent in a field named "file"');
      }
      const result = await uploadResource(ctx, session, caller, {
        filename: part.filename,
        contentType: part.mimetype,
        stream: part.file,
        truncated: () => part.file.truncated,
        maxBytes,
      });
      return reply.code(201).send(result);
    },
  );

  app.get<{ Params: SessionParams }>('/v1/sessions/:id/resources', { schema: { params: SessionParams, response: withErrors({ 200: ResourceList }) } }, async (req) => {
    const caller = await keyOrCurrentToken(ctx, req, req.params.id);
    return listLessonResources(ctx, await getSessionFor(ctx, req.params.id, caller), caller);
  });

  app.delete<{ Params: ResourceParams }>('/v1/sessions/:id/resources/:rid', { schema: { params: ResourceParams, response: withErrors({ 204: NoContent }) } }, async (req, reply) => {
    const caller = await keyOrCurrentToken(ctx, req, req.params.id);
    const session = await getSessionFor(ctx, req.params.id, caller);
    await removeResource(ctx, session, caller, req.params.rid);
    return reply.code(204).send();
  });

  // The download: a signed URL (no headers needed) or the API key / a participant's token.
  app.route<{ Params: ResourceParams; Querystring: SignedQuery }>({
    method: ['GET', 'HEAD'],
    url: '/v1/sessions/:id/resources/:rid/content',
    schema: { params: ResourceParams, querystring: SignedQuery, response: withErrors({ 200: Binary, 206: Binary, 416: ErrorBody }) },
    handler: async (req, reply) => {
      const { id, rid } = req.params;
      const bearer = bearerOf(req);
      let session;
      if (bearer !== undefined && req.query.sig === undefined) {
        session = await getSessionFor(ctx, id, await keyOrCurrentToken(ctx, req as never, id));
      } else {
        await requireSignedPath(ctx, id, resourceContentPath(id, rid), req.query);
        session = await getSession(ctx, id);
      }
      const r = await getResource(ctx, session, rid);
      return sendObject(req, reply, ctx.objects, r.storage_key, {
        filename: r.filename,
        contentType: r.content_type,
        size: Number(r.size_bytes),
      });
    },
  });
}
