// `Authorization: Bearer <credential>`; undefined when absent or not a bearer credential.
import type { FastifyRequest } from 'fastify';

export function bearerOf(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
