// The marketplace removes a participant (POST /v1/sessions/:id/participants/:role/revoke): every
// token of the seat issued so far stops working everywhere (see seat-access-service), the media
// node hosting the lesson closes the seat at once, and a `participant.revoked` webhook says so.
// Tokens minted for the seat afterwards work again: the marketplace decides who sits there.
import type { AppContext } from '../context.ts';
import { seat } from '../domain/session.ts';
import { newEvent } from '../events/event.ts';
import { revokeSeat } from '../repositories/join-redemptions-repo.ts';
import type { Role } from '../tokens/join-token.ts';
import { notifyNodeOfRevocation } from './node-notify.ts';
import { recordEvent } from './outbox-service.ts';
import { getSession } from './sessions-service.ts';

export interface Revoked {
  role: Role;
  user_id: string;
  revoked_at: string;
  node_notified: boolean;
}

export async function revokeParticipant(ctx: AppContext, sessionId: string, role: Role, reason: string | null): Promise<Revoked> {
  const session = await getSession(ctx, sessionId);
  // Wall-clock time, like the tokens' own iat: every token minted until now is covered.
  const at = new Date();
  const person = seat(session, role);
  await revokeSeat(ctx.sql, { sessionId, role, at, reason });
  const nodeNotified = await notifyNodeOfRevocation(ctx, sessionId, session.mediaNode, role);
  await ctx.sql.begin(async (tx) => {
    await recordEvent(
      ctx,
      tx,
      newEvent('participant.revoked', sessionId, { role, user_id: person.userId, reason, revoked_at: at.toISOString(), node_notified: nodeNotified }, at),
    );
  });
  ctx.eventsCommitted();
  ctx.log.info({ sessionId, role, nodeNotified }, 'participant revoked');
  return { role, user_id: person.userId, revoked_at: at.toISOString(), node_notified: nodeNotified };
}
