// Redeemed join tokens (by jti), seat tickets and seat revocations.
import type { Queryable } from '../db/connect.ts';
import type { Role } from '../tokens/join-token.ts';

/**
 * The join's one write, in one round trip: refuses (superseded) when a newer token already joined
 * this seat, or (revoked) when the seat was revoked after this token was issued; otherwise records
 * this use (`uses` counts every use of the jti, this one included) and the digest of the seat
 * ticket handed out with it; plus, when `placeOn` is given, sticky placement of
 * a lesson that has no node yet (only if the redemption is accepted: not superseded and at most
 * `maxUses` uses). `mediaNode` is the lesson's node afterwards (null when nothing was placed, e.g.
 * a refused redemption or a concurrent placement this statement could not see).
 */
export async function redeemAndPlace(
  q: Queryable,
  r: { jti: string; sessionId: string; role: Role; userId: string; issuedAt: Date; ticketSha256: string },
  placeOn: string | null,
  maxUses: number,
): Promise<{ superseded: boolean; revoked: boolean; uses: number; mediaNode: string | null }> {
  const rows = await q<{ superseded: boolean; revoked: boolean; uses: number | null; media_node: string | null }[]>`
    with newer as (
      select 1 from join_redemptions
       where session_id = ${r.sessionId} and role = ${r.role} and issued_at > ${r.issuedAt}
       limit 1
    ), revoked as (
      select 1 from seat_revocations
       where session_id = ${r.sessionId} and role = ${r.role} and revoked_at >= ${r.issuedAt}
    ), used as (
      insert into join_redemptions (jti, session_id, role, user_id, issued_at, ticket_sha256)
      select ${r.jti}, ${r.sessionId}, ${r.role}, ${r.userId}, ${r.issuedAt}, ${r.ticketSha256}
       where not exists (select 1 from newer) and not exists (select 1 from revoked)
      on conflict (jti) do update set uses = join_redemptions.uses + 1, last_used_at = now(),
        ticket_sha256 = case when join_redemptions.uses + 1 <= ${maxUses} then excluded.ticket_sha256 else join_redemptions.ticket_sha256 end
      returning uses
    ), placed as (
      update sessions set media_node = coalesce(media_node, ${placeOn}::text)
       where id = ${r.sessionId} and ${placeOn}::text is not null
         and exists (select 1 from used where uses <= ${maxUses})
      returning media_node
    )
    select exists (select 1 from newer) as superseded, exists (select 1 from revoked) as revoked,
           (select uses from used) as uses, (select media_node from placed) as media_node`;
  const row = rows[0]!;
  return { superseded: row.superseded, revoked: row.revoked, uses: row.uses ?? 0, mediaNode: row.media_node };
}

export interface SeatStanding {
  /** A newer token of this seat has joined. */
  superseded: boolean;
  /** The seat was revoked at or after this token was issued. */
  revoked: boolean;
  /** This jti joined (POST /join) at least once. */
  redeemed: boolean;
  ticketSha256: string | null;
  mediaNode: string | null;
}

/** Where one token stands for its seat, in one round trip (every participant request asks). */
export async function seatStanding(q: Queryable, r: { jti: string; sessionId: string; role: Role; issuedAt: Date }): Promise<SeatStanding> {
  const rows = await q<{ superseded: boolean; revoked: boolean; redeemed: boolean; ticket_sha256: string | null; media_node: string | null }[]>`
    select exists (select 1 from join_redemptions
                    where session_id = ${r.sessionId} and role = ${r.role} and issued_at > ${r.issuedAt}) as superseded,
           exists (select 1 from seat_revocations
                    where session_id = ${r.sessionId} and role = ${r.role} and revoked_at >= ${r.issuedAt}) as revoked,
           exists (select 1 from join_redemptions where jti = ${r.jti}) as redeemed,
           (select ticket_sha256 from join_redemptions where jti = ${r.jti}) as ticket_sha256,
           (select media_node from sessions where id = ${r.sessionId}) as media_node`;
  const row = rows[0]!;
  return {
    superseded: row.superseded,
    revoked: row.revoked,
    redeemed: row.redeemed,
    ticketSha256: row.ticket_sha256,
    mediaNode: row.media_node,
  };
}

/** Revokes every token of the seat issued up to `at` (a later revocation moves the mark forward). */
export async function revokeSeat(q: Queryable, r: { sessionId: string; role: Role; at: Date; reason: string | null }): Promise<void> {
  await q`
    insert into seat_revocations (session_id, role, revoked_at, reason)
    values (${r.sessionId}, ${r.role}, ${r.at}, ${r.reason})
    on conflict (session_id, role) do update set revoked_at = greatest(seat_revocations.revoked_at, excluded.revoked_at), reason = excluded.reason`;
}
