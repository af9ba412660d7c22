// What every /v1 route needs from an API key (issue 16 item 2), in one table: the root onRequest
// hook (http/security.ts) refuses a key without the scope before anything else runs, and a /v1
// route missing from this table fails the server's start (fail closed: a new route must be
// declared here). The OpenAPI document shows each operation's scope as `x-duet-scope`.
import type { RouteScope } from '../domain/api-key-scopes.ts';

export const ROUTE_SCOPES: Readonly<Record<string, RouteScope>> = {
  // Public: the keys join tokens verify with.
  'GET /v1/join-keys': 'public',

  // Lessons: reading.
  'GET /v1/sessions': 'read',
  'GET /v1/sessions/:id': 'read',
  'GET /v1/sessions/:id/attendance': 'read',
  'GET /v1/sessions/:id/notes': 'read',
  'GET /v1/sessions/:id/feedback': 'read',
  'GET /v1/sessions/:id/chat': 'read',
  'GET /v1/sessions/:id/analytics': 'read',
  'GET /v1/sessions/:id/quality': 'read',
  'GET /v1/sessions/:id/events': 'read',
  'GET /v1/sessions/:id/resources': 'read',
  'GET /v1/sessions/:id/resources/:rid/content': 'read',
  'GET /v1/sessions/:id/recordings': 'read',
  'GET /v1/sessions/:id/recordings/:recordingId/file': 'read',
  'GET /v1/sessions/:id/recordings/:recordingId/playback': 'read',
  'GET /v1/sessions/:id/recordings/:recordingId/playback/:track/:segment': 'read',
  'GET /v1/recordings': 'read',
  'GET /v1/recordings/:id': 'read',

  // Lessons: writing.
  'POST /v1/sessions': 'lessons',
  'PATCH /v1/sessions/:id': 'lessons',
  'POST /v1/sessions/:id/cancel': 'lessons',
  'POST /v1/sessions/:id/archive': 'lessons',
  'POST /v1/sessions/:id/extend': 'lessons',
  'POST /v1/sessions/:id/tokens': 'lessons',
  'PUT /v1/sessions/:id/participants/:role': 'lessons',
  'POST /v1/sessions/:id/participants/:role/revoke': 'lessons',
  'POST /v1/sessions/:id/resources': 'lessons',
  'DELETE /v1/sessions/:id/resources/:rid': 'lessons',
  'DELETE /v1/recordings/:id': 'lessons',
  'POST /v1/sessions/:id/erase': 'lessons',
  'POST /v1/users/:user_id/erase': 'lessons',

  // Participants only (join tokens): no API key calls these.
  'POST /v1/sessions/:id/join': 'participant',
  'PUT /v1/sessions/:id/notes': 'participant',
  'POST /v1/sessions/:id/feedback': 'participant',
  'POST /v1/sessions/:id/analytics': 'participant',
  'POST /v1/sessions/:id/quality': 'participant',
  'POST /v1/sessions/:id/recording-consent': 'participant',

  // Operators: media nodes, recordings' machinery, webhooks, API keys.
  'GET /v1/nodes': 'operator',
  'GET /v1/nodes/:id': 'operator',
  'POST /v1/nodes/:id/drain': 'operator',
  'POST /v1/nodes/:id/undrain': 'operator',
  'DELETE /v1/nodes/:id': 'operator',
  'POST /v1/recordings/:id/retry': 'operator',
  'GET /v1/webhooks/endpoints': 'operator',
  'GET /v1/webhooks/deliveries': 'operator',
  'POST /v1/webhooks/deliveries/:id/retry': 'operator',
  'POST /v1/webhook-endpoints': 'operator',
  'GET /v1/webhook-endpoints': 'operator',
  'GET /v1/webhook-endpoints/:id': 'operator',
  'PATCH /v1/webhook-endpoints/:id': 'operator',
  'DELETE /v1/webhook-endpoints/:id': 'operator',
  'POST /v1/webhook-endpoints/:id/roll-secret': 'operator',
  'POST /v1/webhook-endpoints/:id/test': 'operator',
  'POST /v1/api-keys': 'operator',
  'GET /v1/api-keys': 'operator',
  'GET /v1/api-keys/:id': 'operator',
  'POST /v1/api-keys/:id/rotate': 'operator',
  'POST /v1/api-keys/:id/revoke': 'operator',
};

/** HEAD is answered by the GET route (Fastify adds it): same scope. */
export function routeScope(method: string, url: string): RouteScope | undefined {
  return ROUTE_SCOPES[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}
