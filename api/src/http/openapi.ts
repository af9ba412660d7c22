// OpenAPI 3.1 generated from the route schemas (@fastify/swagger), served at /docs (Swagger UI)
// and /docs/json. Registered before the routes so every route is seen.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { routeScope } from './route-scopes.ts';
import { derivedOperationId, OPERATIONS } from './openapi-operations.ts';
import { exampleFor, prune } from './openapi-examples.ts';
import { addWebhooks } from './openapi-webhooks.ts';

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head'];

/**
 * The finishing pass over the generated document: operationIds and summaries (route schema first,
 * else the operation table), an example on every request body and JSON answer, and the webhooks
 * section. The committed api/openapi.json is this document (npm run generate regenerates it).
 */
export function finishDocument(doc: Record<string, any>): Record<string, any> {
  const resolve = (ref: string) => ref.split('/').slice(1).reduce<any>((o, k) => o?.[k], doc);
  for (const [path, item] of Object.entries<Record<string, any>>(doc.paths ?? {})) {
    const fastifyPath = path.replace(/\{([^}]+)\}/g, ':$1');
    for (const method of METHODS) {
      if (!item[method]) continue;
      // GET and its automatic HEAD can share one operation object: give each its own.
      const op = (item[method] = { ...item[method] });
      const known = OPERATIONS[`${method.toUpperCase()} ${fastifyPath}`];
      op.operationId ??= known?.operationId ?? derivedOperationId(method, fastifyPath);
      op.summary ??= known?.summary;
      for (const [type, media] of Object.entries<any>(op.requestBody?.content ?? {})) {
        if (media.example !== undefined || !type.includes('json')) continue;
        media.example = known?.requestExample ?? prune(exampleFor(media.schema, resolve));
      }
      for (const [code, res] of Object.entries<any>(op.responses ?? {})) {
        if (!/^2\d\d$/.test(code)) continue;
        const media = res.content?.['application/json'];
        if (media && media.example === undefined) media.example = prune(exampleFor(media.schema, resolve));
      }
    }
  }
  addWebhooks(doc);
  return doc;
}

function tagFor(url: string): string | null {
  if (url.startsWith('/v1/webhooks') || url.startsWith('/v1/webhook-endpoints') || url.endsWith('/events')) return 'webhooks';
  if (url.startsWith('/v1/api-keys')) return 'api keys';
  if (/\/(resources)/.test(url)) return 'resources';
  if (/\/(notes|feedback|chat|analytics)$/.test(url)) return 'lesson content';
  if (/\/(tokens|join|join-keys)$/.test(url)) return 'joining';
  if (url.endsWith('/attendance')) return 'attendance';
  if (url.startsWith('/v1/sessions') || url.startsWith('/v1/recordings')) return 'lessons';
  return null;
}

export function registerOpenApi(app: FastifyInstance): void {
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Duet lesson API',
        version: '1',
        description:
          'Self-hosted 1-on-1 lessons. The marketplace calls /v1 with `Authorization: Bearer <DUET_API_KEY>`; ' +
          'participants use `Authorization: Bearer <join token>`. Errors are `{"error": {"code", "message", …}}`. ' +
          'Webhooks carry `duet-signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` and `duet-event-id`.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'an API key (DUET_API_KEY, or a named key duet_sk_… with scopes lessons / operator / read; see x-duet-scope on each operation)' },
          joinToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'a participant join token' },
        },
      },
    },
    transformObject: (documentObject) => finishDocument((documentObject as { openapiObject: Record<string, any> }).openapiObject) as never,
    transform: ({ schema, url, route }) => {
      // The media nodes' internal routes are not part of the public contract: the published
      // document would map them out for anyone who can reach /docs.
      const hidden = url === '/session/:id' || url === '/session/:id/recording/:recordingId' || url.startsWith('/assets') || url.startsWith('/docs') || url.startsWith('/internal');
      const tag = tagFor(url);
      const security = url.startsWith('/v1/') && url !== '/v1/join-keys' // public keys: no credential
          ? [{ apiKey: [] }, { joinToken: [] }]
          : [];
      // The API-key scope the operation needs (route-scopes.ts): read, lessons, operator, participant, public.
      const scope = routeScope([route.method].flat()[0] ?? 'GET', url);
      return {
        schema: { ...(schema ?? {}), hide: hidden || undefined, tags: (schema as { tags?: string[] } | undefined)?.tags ?? (tag ? [tag] : undefined), security, ...(scope ? { 'x-duet-scope': scope } : {}) } as never,
        url,
      };
    },
  });
  app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}
