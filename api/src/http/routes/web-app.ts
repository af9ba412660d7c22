// Serves the built web app (Vite output in WEB_DIST_DIR): the room page for /session/:id and its
// hashed assets. Checked per request, so building the app later needs no API restart.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../../context.ts';
import { errorBody } from '../error-handling.ts';
import { SessionParams } from '../schemas.ts';
import { Binary, Html, withErrors } from '../response-schemas.ts';

const RecordingPageParams = Type.Object({ id: SessionParams.properties.id, recordingId: Type.String({ minLength: 1, maxLength: 100 }) });
type RecordingPageParams = Static<typeof RecordingPageParams>;

export async function webAppRoutes(app: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const dist = opts.ctx.config.webDistDir;
  const indexHtml = join(dist, 'index.html');
  const notBuilt = (reply: FastifyReply) =>
    reply
      .code(503)
      .send(errorBody('web_app_not_built', `the web app is not built (no ${indexHtml}); build the web workspace first`));

  await app.register(fastifyStatic, {
    root: join(dist, 'assets'),
    serve: false, // routes below, so a missing build answers 503 rather than 404
    suppressWarning: true,
    // Vite names assets by content hash, so they never change under one URL.
    immutable: true,
    // The build writes .br and .gz copies (web/build/precompress.ts): sent to browsers that take them.
    preCompressed: true,
    maxAge: '365d',
    index: false,
  });

  app.get<{ Params: { '*': string } }>('/assets/*', { schema: { response: withErrors({ 200: Binary }) } }, async (req, reply) => {
    if (!existsSync(indexHtml)) return notBuilt(reply);
    return reply.sendFile(req.params['*']);
  });

  // The embedding origins (FRAME_ANCESTORS) are written into the page: the room posts its events
  // only to, and takes @duet/embed commands only from, these (web/src/lib/embed-bridge.ts).
  const escape = (s: string) => s.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
  const embedMeta = `<meta name="duet-embed-origins" content="${escape(opts.ctx.config.frameAncestors.join(' '))}" />`;
  let cached: { mtimeMs: number; html: string } | null = null;
  const page = (): string => {
    const mtimeMs = statSync(indexHtml).mtimeMs;
    if (cached?.mtimeMs !== mtimeMs) cached = { mtimeMs, html: readFileSync(indexHtml, 'utf8').replace('<head>', `<head>\n    ${embedMeta}`) };
    return cached.html;
  };

  const servePage = async (_req: unknown, reply: FastifyReply) => {
    if (!existsSync(indexHtml)) return notBuilt(reply);
    // The page must be revalidated so a new build's asset names are picked up.
    reply.header('cache-control', 'no-cache').header('referrer-policy', 'no-referrer').type('text/html; charset=utf-8');
    return page();
  };
  app.get<{ Params: SessionParams }>('/session/:id', { schema: { params: SessionParams, response: withErrors({ 200: Html }) } }, servePage);
  // The standalone recording player the marketplace links (with the signed playback_url's exp/sig).
  app.get<{ Params: RecordingPageParams }>('/session/:id/recording/:recordingId', { schema: { params: RecordingPageParams, response: withErrors({ 200: Html }) } }, servePage);
}
