// Where a lesson's room lives when media nodes register with the API: sticky to the node chosen
// at the first join, re-placed at a join when that node is gone (lost, deregistered) or drained
// past its deadline. New placements go to a healthy, active node below capacity, chosen by
// PLACEMENT_POLICY. With no registered node at all, the caller keeps the static configuration.
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import type { Session } from '../domain/session.ts';
import { listNodes, markPlaced, type MediaNodeRow } from '../repositories/media-nodes-repo.ts';
import { assignMediaNode, openLessonsPerNode, reassignMediaNode } from '../repositories/sessions-repo.ts';
import { drainExpired, isAlive, stillServing } from './node-registry-service.ts';
import type { PlacementPolicy } from '../nodes/node-config.ts';

export interface PlacedNode {
  id: string;
  signalingUrl: string;
}

/** null = no node has ever registered: the static MEDIA_NODES / SIGNALING_PUBLIC_URL placement applies. */
export async function placeOnRegisteredNode(ctx: AppContext, session: Session): Promise<PlacedNode | null> {
  const nodes = await listNodes(ctx.sql);
  if (nodes.length === 0) return null;
  const current = session.mediaNode === null ? undefined : nodes.find((n) => n.id === session.mediaNode);
  if (current && !drainExpired(current, ctx.now()) && (await stillServing(ctx, current))) return view(current);

  const now = ctx.now();
  const assigned = await openLessonsPerNode(ctx.sql);
  const candidates = nodes.filter((n) => n.state === 'active' && isAlive(ctx, n, now) && (assigned.get(n.id) ?? 0) < n.capacity);
  const pick = choose(ctx.config.nodes.placementPolicy, candidates, assigned);
  if (!pick) {
    throw new ApiError(503, 'no_media_node_available', 'no media node can take this lesson right now (all are full, draining or unreachable)', {
      nodes: nodes.length,
    });
  }
  // Compare-and-set, so two participants joining at once end up on the same node.
  const chosen =
    session.mediaNode === null
      ? await assignMediaNode(ctx.sql, session.id, pick.id)
      : await reassignMediaNode(ctx.sql, session.id, session.mediaNode, pick.id);
  if (chosen === pick.id) {
    await markPlaced(ctx.sql, pick.id, now);
    ctx.log.info({ session_id: session.id, nodeId: pick.id, from: session.mediaNode }, session.mediaNode === null ? 'lesson placed' : 'lesson re-placed');
    return view(pick);
  }
  const winner = nodes.find((n) => n.id === chosen);
  if (!winner) throw new ApiError(503, 'no_media_node_available', `the lesson's media node ${chosen} is not registered`);
  return view(winner);
}

function view(n: MediaNodeRow): PlacedNode {
  return { id: n.id, signalingUrl: n.signalingUrl };
}

/** Fill as a share of capacity: what the API placed there, or what the node reports, whichever is more. */
function fill(n: MediaNodeRow, assigned: Map<string, number>): number {
  return Math.max(assigned.get(n.id) ?? 0, n.load.lessons) / n.capacity;
}

export function choose(policy: PlacementPolicy, candidates: MediaNodeRow[], assigned: Map<string, number>): MediaNodeRow | undefined {
  const sorted = [...candidates];
  if (policy === 'round_robin') {
    // The node that got a lesson least recently (never first): fair across several API instances.
    sorted.sort((a, b) => (a.lastPlacedAt?.getTime() ?? -1) - (b.lastPlacedAt?.getTime() ?? -1) || a.id.localeCompare(b.id));
  } else {
    sorted.sort(
      (a, b) =>
        fill(a, assigned) - fill(b, assigned) ||
        a.load.cpuPercent / Math.max(1, a.load.workers) - b.load.cpuPercent / Math.max(1, b.load.workers) ||
        a.load.consumers - b.load.consumers ||
        a.id.localeCompare(b.id),
    );
  }
  return sorted[0];
}
