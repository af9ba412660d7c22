// Redeemed join tokens (by jti).
import type { Queryable } from '../db/connect.ts';
import type { Role } from '../tokens/join-token.ts';

/**
 * The join's one write, in one round trip: refuses (superseded) when a newer token already joined
 * this seat, otherwise records this use (`uses` counts every use of the jti, this one included);
 * plus, when `placeOn` is given, sticky placement of
 * a lesson that has no node yet (only if the redemption is accepted: not superseded and at most
 * `maxUses` uses). `mediaNode` is the lesson's node afterwards (null when nothing was placed, e.g.
 * a refused redemption or a concurrent placement this statement could not see).
 */
export async function redeemAndPlace(
  q: Queryable,
  r: { jti: string; sessionId: string; role: Role; userId: string; issuedAt: Date },
  placeOn: string | null,
  maxUses: number,
): Promise<{ superseded: boolean; uses: number; mediaNode: string | null }> {
  const rows = await q<{ superseded: boolean; uses: number | null; media_node: string | null }[]>`
    with newer as (
      select 1 from join_redemptions
       where session_id = ${r.sessionId} and role = ${r.role} and issued_at > ${r.issuedAt}
       limit 1
    ), used as (
      insert into join_redemptions (jti, session_id, role, user_id, issued_at)
      select ${r.jti}, ${r.sessionId}, ${r.role}, ${r.userId}, ${r.issuedAt}
       where not exists (select 1 from newer)
      on conflict (jti) do update set uses = join_redemptions.uses + 1, last_used_at = now()
      returning uses
    ), placed as (
      update sessions set media_node = coalesce(media_node, ${placeOn}::text)
       where id = ${r.sessionId} and ${placeOn}::text is not null
         and exists (select 1 from used where uses <= ${maxUses})
      returning media_node
    )
    select exists (select 1 from newer) as superseded, (select uses from used) as uses,
           (select media_node from placed) as media_node`;
  const row = rows[0]!;
  return { superseded: row.superseded, uses: row.uses ?? 0, mediaNode: row.media_node };
}
