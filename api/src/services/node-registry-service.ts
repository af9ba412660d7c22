// The media-node registry: nodes register and send load; the API judges their health (missed
// heartbeats, then a direct probe), declares silent ones lost (their lessons' participants get a
// drop fact at the node's last heartbeat, so attendance shows the gap), and operators drain them.
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { newEvent } from '../events/event.ts';
import { presentRoles } from '../repositories/attendance-repo.ts';
import {
  deleteNode,
  findNode,
  listNodes,
  markLost,
  recordHeartbeat,
  setDrain,
  upsertNode,
  type MediaNodeRow,
  type NodeLoad,
  type Registration,
} from '../repositories/media-nodes-repo.ts';
import { openLessonsPerNode } from '../repositories/sessions-repo.ts';
import { openLessonsOnNode } from '../repositories/node-lessons-repo.ts';
import { applyHook } from './hooks-service.ts';
import { seat } from '../domain/session.ts';

export type NodeHealth = 'healthy' | 'draining' | 'drained' | 'unresponsive' | 'lost';

const notRegistered = (id: string) =>
  new ApiError(404, 'node_not_registered', `media node ${id} is not registered (or restarted): register again`);

/** What a node learns from the API on register and on every heartbeat. */
export interface NodeDirective {
  state: MediaNodeRow['state'];
  drainDeadline: Date | null;
  heartbeatTimeoutMs: number;
}

function directive(ctx: AppContext, n: MediaNodeRow): NodeDirective {
  return { state: n.state, drainDeadline: n.drainDeadline, heartbeatTimeoutMs: ctx.config.nodes.heartbeatTimeoutMs };
}

export async function registerNode(ctx: AppContext, r: Registration): Promise<{ node: MediaNodeRow; directive: NodeDirective }> {
  const node = await upsertNode(ctx.sql, r, ctx.now());
  ctx.log.info({ nodeId: node.id, signalingUrl: node.signalingUrl, capacity: node.capacity, state: node.state }, 'media node registered');
  return { node, directive: directive(ctx, node) };
}

export async function heartbeat(ctx: AppContext, id: string, bootId: string, load: NodeLoad): Promise<NodeDirective> {
  const node = await recordHeartbeat(ctx.sql, id, bootId, load, ctx.now());
  if (!node) throw notRegistered(id);
  return directive(ctx, node);
}

/** Silent for longer than the timeout, or declared lost after a failed probe. */
export function heartbeatAgeMs(n: MediaNodeRow, now: Date): number {
  return now.getTime() - n.lastHeartbeatAt.getTime();
}

export function isAlive(ctx: AppContext, n: MediaNodeRow, now: Date): boolean {
  return n.lostAt === null && heartbeatAgeMs(n, now) <= ctx.config.nodes.heartbeatTimeoutMs;
}

export function drainExpired(n: MediaNodeRow, now: Date): boolean {
  return n.state === 'draining' && n.drainDeadline !== null && now >= n.drainDeadline;
}

export function healthOf(ctx: AppContext, n: MediaNodeRow, now: Date): NodeHealth {
  if (n.lostAt !== null) return 'lost';
  if (!isAlive(ctx, n, now)) return 'unresponsive';
  if (n.state === 'draining') return drainExpired(n, now) ? 'drained' : 'draining';
  return 'healthy';
}

/** Asks the node itself; true when it answers /healthz in time. */
export async function probeNode(ctx: AppContext, n: MediaNodeRow): Promise<boolean> {
  try {
    const res = await fetch(`${n.internalUrl}/healthz`, { signal: AbortSignal.timeout(ctx.config.nodes.probeTimeoutMs) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Whether a node still holds its lessons. A node that skipped a heartbeat is probed at once (a
 * dead node's participants are waiting), so failover does not wait for the full timeout.
 */
export async function stillServing(ctx: AppContext, n: MediaNodeRow): Promise<boolean> {
  const now = ctx.now();
  if (n.lostAt !== null) return false;
  if (!isAlive(ctx, n, now)) {
    await declareLost(ctx, n);
    return false;
  }
  if (heartbeatAgeMs(n, now) > n.heartbeatIntervalMs * 1.2 && !(await probeNode(ctx, n))) {
    await declareLost(ctx, n);
    return false;
  }
  return true;
}

/**
 * Marks the node lost (once per silence) and closes its lessons' attendance at its last heartbeat:
 * each present participant gets a `participant.reconnecting` fact (reason node_lost), so a live
 * lesson shows as reconnecting and attendance shows the gap until they are back on another node.
 */
export async function declareLost(ctx: AppContext, n: MediaNodeRow): Promise<boolean> {
  if (!(await markLost(ctx.sql, n.id, n.lastHeartbeatAt, ctx.now()))) return false;
  const lessons = await openLessonsOnNode(ctx.sql, n.id);
  ctx.log.warn({ nodeId: n.id, lastHeartbeatAt: n.lastHeartbeatAt, lessons: lessons.length }, 'media node lost');
  for (const session of lessons) {
    for (const role of await presentRoles(ctx.sql, session.id)) {
      const event = newEvent(
        'participant.reconnecting',
        session.id,
        { role, user_id: seat(session, role).userId, reason: 'node_lost', media_node: n.id },
        n.lastHeartbeatAt,
      );
      await applyHook(ctx, event).catch((err: unknown) =>
        ctx.log.error({ err, session_id: session.id, nodeId: n.id }, 'could not record the drop of a lost node'),
      );
    }
  }
  return true;
}

/** Periodic sweep: nodes that went silent are declared lost even if nobody tries to join. */
export async function sweepNodes(ctx: AppContext): Promise<void> {
  const now = ctx.now();
  for (const n of await listNodes(ctx.sql)) {
    if (n.lostAt === null && !isAlive(ctx, n, now)) await declareLost(ctx, n);
  }
}

export interface NodeView {
  node: MediaNodeRow;
  health: NodeHealth;
  /** Lessons the API placed there that are not over. */
  assignedLessons: number;
  heartbeatAgeMs: number;
}

export async function nodesOverview(ctx: AppContext): Promise<NodeView[]> {
  const now = ctx.now();
  const [nodes, assigned] = await Promise.all([listNodes(ctx.sql), openLessonsPerNode(ctx.sql)]);
  return nodes.map((node) => ({ node, health: healthOf(ctx, node, now), assignedLessons: assigned.get(node.id) ?? 0, heartbeatAgeMs: heartbeatAgeMs(node, now) }));
}

export async function nodeOverview(ctx: AppContext, id: string): Promise<NodeView> {
  const view = (await nodesOverview(ctx)).find((v) => v.node.id === id);
  if (!view) throw new ApiError(404, 'node_not_found', `media node ${id} is not registered`);
  return view;
}

/** No new lessons there; running ones finish, or move at the deadline (the node tells its participants). */
export async function drainNode(ctx: AppContext, id: string, opts: { deadlineSeconds?: number | null; reason?: string | null }): Promise<NodeView> {
  const seconds = opts.deadlineSeconds === undefined ? ctx.config.nodes.defaultDrainDeadlineSeconds : opts.deadlineSeconds;
  const deadline = seconds === null ? null : new Date(ctx.now().getTime() + seconds * 1000);
  const node = await setDrain(ctx.sql, id, { state: 'draining', deadline, reason: opts.reason ?? null });
  if (!node) throw new ApiError(404, 'node_not_found', `media node ${id} is not registered`);
  ctx.log.info({ nodeId: id, deadline, reason: opts.reason }, 'media node draining');
  return nodeOverview(ctx, id);
}

export async function undrainNode(ctx: AppContext, id: string): Promise<NodeView> {
  const node = await setDrain(ctx.sql, id, { state: 'active', deadline: null, reason: null });
  if (!node) throw new ApiError(404, 'node_not_found', `media node ${id} is not registered`);
  ctx.log.info({ nodeId: id }, 'media node active again');
  return nodeOverview(ctx, id);
}

/** The node drains itself (SIGTERM); an earlier deadline set by an operator stays. */
export async function selfDrain(ctx: AppContext, id: string, bootId: string, deadlineSeconds: number, reason: string): Promise<NodeDirective> {
  const node = await findNode(ctx.sql, id);
  if (!node || node.bootId !== bootId) throw notRegistered(id);
  let deadline = new Date(ctx.now().getTime() + deadlineSeconds * 1000);
  if (node.state === 'draining' && node.drainDeadline && node.drainDeadline < deadline) deadline = node.drainDeadline;
  const updated = await setDrain(ctx.sql, id, { state: 'draining', deadline, reason });
  if (!updated) throw notRegistered(id);
  ctx.log.info({ nodeId: id, deadline, reason }, 'media node draining itself');
  return directive(ctx, updated);
}

/** A node leaving for good (its own shutdown, or the operator): lessons there re-place at the next join. */
export async function deregisterNode(ctx: AppContext, id: string): Promise<void> {
  if (!(await deleteNode(ctx.sql, id))) throw new ApiError(404, 'node_not_found', `media node ${id} is not registered`);
  ctx.log.info({ nodeId: id }, 'media node deregistered');
}

export { findNode };
