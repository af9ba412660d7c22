// Who is calling: the marketplace (API key), a participant (join token for this lesson) or the
// media node (internal secret). Secrets are compared as SHA-256 digests in constant time, so
// neither their length nor a matching prefix leaks through timing.
import { timingSafeEqual } from 'node:crypto';
import { sha256, type ApiConfig } from '../config.ts';
import { ApiError } from '../errors.ts';
import type { AppContext } from '../context.ts';
import { joinVerifySecrets } from './join-keys-service.ts';
import { JoinTokenError, verifyJoinToken, type JoinClaims } from '../tokens/join-token.ts';
import { assertSeatCurrent } from './seat-access-service.ts';
import type { KeyPrincipal } from './api-keys-service.ts';

/** `service`: an API key (resolved per request in http/caller.ts); `participant`: a join token. */
export type Caller = { kind: 'service'; key?: KeyPrincipal } | { kind: 'participant'; claims: JoinClaims };

function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function requireInternalSecret(config: ApiConfig, bearer: string | undefined): void {
  if (bearer === undefined || !sameDigest(sha256(bearer), sha256(config.internalHookSecret))) {
    throw new ApiError(401, 'unauthorized', 'the internal secret is missing or not valid');
  }
}

export async function requireJoinToken(config: ApiConfig, bearer: string | undefined, sessionId: string): Promise<JoinClaims> {
  try {
    return await verifyJoinToken(joinVerifySecrets(config), bearer, sessionId);
  } catch (err) {
    if (err instanceof JoinTokenError) {
      throw new ApiError(err.code === 'token_wrong_session' ? 403 : 401, err.code, err.message);
    }
    throw err;
  }
}

/**
 * A participant's credentials for every route but POST /join: a valid token for `sessionId` that
 * is still current for its seat (not superseded, not revoked; with JOIN_TOKEN_SINGLE_USE a used
 * token needs the seat ticket its join handed out).
 */
export async function requireCurrentToken(ctx: AppContext, bearer: string | undefined, ticket: string | undefined, sessionId: string): Promise<JoinClaims> {
  const claims = await requireJoinToken(ctx.config, bearer, sessionId);
  await assertSeatCurrent(ctx, claims, ticket);
  return claims;
}

