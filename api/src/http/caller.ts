// The API key a request carries, resolved once per /v1 request by the root onRequest hook
// (http/security.ts), and the route-side checks built on it.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { requireCurrentToken, type Caller } from '../services/auth-service.ts';
import type { KeyPrincipal } from '../services/api-keys-service.ts';
import { bearerOf, seatTicketOf } from './bearer.ts';

const principals = new WeakMap<FastifyRequest, KeyPrincipal>();

export function setApiKeyOf(req: FastifyRequest, key: KeyPrincipal): void {
  principals.set(req, key);
}

export function apiKeyOf(req: FastifyRequest): KeyPrincipal | null {
  return principals.get(req) ?? null;
}

/** An API key (its scope was checked for this route before the route ran). */
export function requireKey(req: FastifyRequest): KeyPrincipal {
  const key = apiKeyOf(req);
  if (key) return key;
  if (bearerOf(req) === undefined) throw new ApiError(401, 'api_key_missing', 'Authorization: Bearer <API key> is required');
  throw new ApiError(401, 'api_key_invalid', 'the API key is not valid');
}

/** An API key, or a current join token for lesson `sessionId`. */
export async function keyOrCurrentToken(ctx: AppContext, req: FastifyRequest, sessionId: string): Promise<Caller> {
  const key = apiKeyOf(req);
  if (key) return { kind: 'service', key };
  return { kind: 'participant', claims: await requireCurrentToken(ctx, bearerOf(req), seatTicketOf(req), sessionId) };
}
