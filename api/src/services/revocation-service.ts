// The marketplace removes a participant (POST /v1/sessions/:id/participants/:role/revoke): every
// token of the seat issued so far stops working everywhere (see seat-access-service), the media
// node hosting the lesson closes the seat at once, and a `participant.revoked` webhook says so.
// Tokens minted for the seat afterwards work again: the marketplace decides who sits there.
import type { AppContext } from '../context.ts';
import { seat } from '../domain/session.ts';
import { newEvent } from '../events/event.ts';
import { findNode } from '../repositories/media-nodes-repo.ts';
import { revokeSeat } from '../repositories/join-redemptions-repo.ts';
import type { Role } from '../tokens/join-token.ts';
import { nodeCredential } from './node-credentials.ts';
import { recordEvent } from './outbox-service.ts';
import { getSession } from './sessions-service.ts';

export interface Revoked {
  role: Role;
  user_id: string;
  revoked_at: string;
  node_notified: boolean;
}

/** The node's HTTP base for a lesson: its registration, else the static configuration. */
async function nodeUrlOf(ctx: AppContext, mediaNode: string | null): Promise<{ id: string; url: string } | null> {
  if (mediaNode !== null) {
    const registered = await findNode(ctx.sql, mediaNode);
    if (registered) return { id: registered.id, url: registered.internalUrl };
  }
  const nodes = ctx.config.mediaNodes;
  const configured = mediaNode !== null ? nodes.find((n) => n.id === mediaNode) : nodes.length === 1 ? nodes[0] : undefined;
  return configured && configured.internalUrl ? { id: configured.id, url: configured.internalUrl } : null;
}

/** Tells the lesson's node to close the seat now. Best effort: refused tokens stay refused anyway. */
async function notifyNode(ctx: AppContext, sessionId: string, mediaNode: string | null, role: Role): Promise<boolean> {
  const node = await nodeUrlOf(ctx, mediaNode);
  if (!node) return false;
  try {
    const res = await fetch(`${node.url}/internal/sessions/${encodeURIComponent(sessionId)}/participants/${role}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${nodeCredential(ctx.config, node.id)}` },
      signal: AbortSignal.timeout(ctx.config.nodes.probeTimeoutMs * 2),
    });
    if (!res.ok) ctx.log.warn({ sessionId, nodeId: node.id, status: res.status }, 'media node did not take the revocation');
    return res.ok;
  } catch (err) {
    ctx.log.warn({ sessionId, nodeId: node.id, error: (err as Error).message }, 'media node unreachable for a revocation');
    return false;
  }
}

export async function revokeParticipant(ctx: AppContext, sessionId: string, role: Role, reason: string | null): Promise<Revoked> {
  const session = await getSession(ctx, sessionId);
  // Wall-clock time, like the tokens' own iat: every token minted until now is covered.
  const at = new Date();
  const person = seat(session, role);
  await revokeSeat(ctx.sql, { sessionId, role, at, reason });
  const nodeNotified = await notifyNode(ctx, sessionId, session.mediaNode, role);
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
