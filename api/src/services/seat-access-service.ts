// Whether a join token still opens its seat (issue 12, item 1). A token is refused everywhere —
// participant routes, the media node's standby/hello/join — once
//  - a newer token of the same seat has joined (superseded: the marketplace replaced the link),
//  - the marketplace revoked the seat at or after the token was issued, or
//  - with JOIN_TOKEN_SINGLE_USE, the token has joined and the caller does not hold the seat
//    ticket that join handed out (the link was used; only the page that used it goes on).
// POST /join makes its own decision in the same statement that redeems the token.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { seatStanding, type SeatStanding } from '../repositories/join-redemptions-repo.ts';
import type { JoinClaims } from '../tokens/join-token.ts';

export const sha256Hex = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

/** A fresh seat ticket and the digest kept of it. */
export function newSeatTicket(): { ticket: string; sha256: string } {
  const ticket = randomBytes(32).toString('base64url');
  return { ticket, sha256: sha256Hex(ticket) };
}

function ticketMatches(ticket: string | undefined, expectedHex: string | null): boolean {
  if (ticket === undefined || expectedHex === null) return false;
  const a = Buffer.from(sha256Hex(ticket), 'hex');
  const b = Buffer.from(expectedHex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export const revokedError = () => new ApiError(403, 'participant_revoked', 'you were removed from this lesson');
export const supersededError = () => new ApiError(409, 'token_superseded', 'a newer join link for this seat was used; ask for a fresh link');
export const usedError = () => new ApiError(409, 'token_already_used', 'this join link was already used; ask for a fresh link');

/**
 * Throws unless `claims` may still act for its seat. `signaling`: the media node asks before it
 * seats someone; with JOIN_TOKEN_SINGLE_USE a token that never went through POST /join is refused
 * there (`token_not_redeemed`), so the one use of a link is the join.
 */
export async function assertSeatCurrent(ctx: AppContext, claims: JoinClaims, ticket: string | undefined, signaling = false): Promise<SeatStanding> {
  const standing = await seatStanding(ctx.sql, { jti: claims.jti, sessionId: claims.sessionId, role: claims.role, issuedAt: claims.issuedAt });
  if (standing.revoked) throw revokedError();
  if (standing.superseded) throw supersededError();
  if (ctx.config.joinTokenSingleUse) {
    if (standing.redeemed && !ticketMatches(ticket, standing.ticketSha256)) throw usedError();
    if (!standing.redeemed && signaling) throw new ApiError(409, 'token_not_redeemed', 'join the lesson through the lesson page first');
  }
  return standing;
}
