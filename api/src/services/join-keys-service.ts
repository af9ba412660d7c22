// The public half of the join-token keys: what media nodes (and anyone) verify join tokens with.
import type { ApiConfig } from '../config.ts';
import { joinKeyOf, publicJwkOf, type JoinPublicJwk } from '../tokens/join-token.ts';

/** Every secret whose key verifies a join token: the signing one first, then JOIN_TOKEN_VERIFY_SECRETS. */
export function joinVerifySecrets(config: Pick<ApiConfig, 'joinTokenSecret' | 'joinTokenVerifySecrets'>): string[] {
  return [config.joinTokenSecret, ...config.joinTokenVerifySecrets];
}

export function joinKeySet(config: Pick<ApiConfig, 'joinTokenSecret' | 'joinTokenVerifySecrets'>): { keys: JoinPublicJwk[] } {
  return { keys: joinVerifySecrets(config).map((s) => publicJwkOf(joinKeyOf(s))) };
}
