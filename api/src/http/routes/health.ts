import type { FastifyInstance } from 'fastify';
import { Healthz, withErrors } from '../response-schemas.ts';

export function registerHealthRoutes(app: FastifyInstance): void {
  app.get('/healthz', { schema: { response: withErrors({ 200: Healthz }) } }, async () => ({ ok: true }));
}
