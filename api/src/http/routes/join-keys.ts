// GET /v1/join-keys: public keys only, so no authentication; rate-limited like every anonymous /v1
// route (the global limiter in security.ts). Media nodes fetch it at start and on an unknown kid.
import type { FastifyInstance } from 'fastify';
import type { ApiConfig } from '../../config.ts';
import { joinKeySet } from '../../services/join-keys-service.ts';
import { JoinKeySet, withErrors } from '../response-schemas.ts';

export function registerJoinKeyRoutes(app: FastifyInstance, config: ApiConfig): void {
  app.get('/v1/join-keys', { schema: { summary: 'Public keys that verify join tokens (JWKS)', response: withErrors({ 200: JoinKeySet }) } }, async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=60');
    return joinKeySet(config);
  });
}
