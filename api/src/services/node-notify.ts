// Telling the media node hosting a lesson about a decision the API made (a seat revoked, a running
// lesson cancelled). Best effort: the API refuses the tokens and the lesson anyway; this only makes
// the node act at once instead of at the next check.
import type { AppContext } from '../context.ts';
import { findNode } from '../repositories/media-nodes-repo.ts';
import type { Role } from '../tokens/join-token.ts';
import { nodeCredential } from './node-credentials.ts';

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

async function post(ctx: AppContext, sessionId: string, mediaNode: string | null, path: string, what: string): Promise<boolean> {
  const node = await nodeUrlOf(ctx, mediaNode);
  if (!node) return false;
  try {
    const res = await fetch(`${node.url}/internal/sessions/${encodeURIComponent(sessionId)}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${nodeCredential(ctx.config, node.id)}` },
      signal: AbortSignal.timeout(ctx.config.nodes.probeTimeoutMs * 2),
    });
    await res.body?.cancel().catch(() => {});
    if (!res.ok) ctx.log.warn({ sessionId, nodeId: node.id, status: res.status }, `media node did not take the ${what}`);
    return res.ok;
  } catch (err) {
    ctx.log.warn({ sessionId, nodeId: node.id, error: (err as Error).message }, `media node unreachable for the ${what}`);
    return false;
  }
}

/** Closes the seat (and its pre-join sockets) on the node now. */
export function notifyNodeOfRevocation(ctx: AppContext, sessionId: string, mediaNode: string | null, role: Role): Promise<boolean> {
  return post(ctx, sessionId, mediaNode, `/participants/${role}/revoke`, 'revocation');
}

/** Ends a cancelled lesson's room for both (and its pre-join sockets) on the node now. */
export function tellNodeCancelled(ctx: AppContext, sessionId: string, mediaNode: string | null): Promise<boolean> {
  return post(ctx, sessionId, mediaNode, '/cancel', 'cancellation');
}
