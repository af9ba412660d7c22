// Media-node registry over HTTP. Nodes (Bearer INTERNAL_HOOK_SECRET): register, heartbeat with
// load, deregister. Operators (Bearer DUET_API_KEY): list, show, drain, undrain, forget.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../../context.ts';
import { assertSameNode, internalCaller } from '../../services/node-credentials.ts';
import {
  deregisterNode,
  drainNode,
  heartbeat,
  nodeOverview,
  nodesOverview,
  registerNode,
  selfDrain,
  sweepNodes,
  undrainNode,
  type NodeDirective,
  type NodeView,
} from '../../services/node-registry-service.ts';
import type { NodeLoad } from '../../repositories/media-nodes-repo.ts';
import { requireKey } from '../caller.ts';
import { bearerOf } from '../bearer.ts';
import { NoBody } from '../schemas.ts';
import { NodeDirectiveJson, NodeJson, NodeList, NodeRegistered, NoContent, withErrors } from '../response-schemas.ts';

const NodeId = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' });
const NodeParams = Type.Object({ id: NodeId });
type NodeParams = Static<typeof NodeParams>;

const Count = Type.Integer({ minimum: 0, maximum: 10_000_000 });
const LoadBody = Type.Object(
  {
    lessons: Count,
    participants: Type.Optional(Count),
    consumers: Type.Optional(Count),
    cpu_percent: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000_000 })),
    bitrate_bps: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e15 })),
    workers: Type.Optional(Count),
  },
  { additionalProperties: false },
);
type LoadBody = Static<typeof LoadBody>;

const RegisterBody = Type.Object(
  {
    id: NodeId,
    signaling_url: Type.String({ pattern: '^wss?://[^\\s]+$', maxLength: 2000 }),
    internal_url: Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2000 }),
    media_address: Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\s]+$' }),
    capacity: Type.Integer({ minimum: 1, maximum: 100_000 }),
    heartbeat_interval_ms: Type.Integer({ minimum: 100, maximum: 600_000 }),
    boot_id: Type.String({ minLength: 1, maxLength: 100 }),
    version: Type.Optional(Type.String({ maxLength: 100 })),
    load: Type.Optional(LoadBody),
  },
  { additionalProperties: false },
);
type RegisterBody = Static<typeof RegisterBody>;

const HeartbeatBody = Type.Object({ boot_id: Type.String({ minLength: 1, maxLength: 100 }), load: LoadBody }, { additionalProperties: false });
type HeartbeatBody = Static<typeof HeartbeatBody>;

const DrainBody = Type.Object(
  {
    /** Seconds from now; null = no deadline (running lessons end on their own). */
    deadline_seconds: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 7 * 86400 }), Type.Null()])),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  { additionalProperties: false },
);
type DrainBody = Static<typeof DrainBody>;
/** The drain options are optional: no body at all drains without a deadline. */
const DrainBodyOrNothing = Type.Unsafe<DrainBody | null>({ ...DrainBody, type: ['object', 'null'] });

function loadOf(b: LoadBody | undefined): NodeLoad {
  return {
    lessons: b?.lessons ?? 0,
    participants: b?.participants ?? 0,
    consumers: b?.consumers ?? 0,
    cpuPercent: b?.cpu_percent ?? 0,
    bitrateBps: b?.bitrate_bps ?? 0,
    workers: b?.workers ?? 0,
  };
}

function directiveJson(d: NodeDirective) {
  return { state: d.state, drain_deadline: d.drainDeadline?.toISOString() ?? null, heartbeat_timeout_ms: d.heartbeatTimeoutMs };
}

export function nodeJson(v: NodeView) {
  const n = v.node;
  return {
    id: n.id,
    signaling_url: n.signalingUrl,
    internal_url: n.internalUrl,
    media_address: n.mediaAddress,
    capacity: n.capacity,
    state: n.state,
    health: v.health,
    drain_deadline: n.drainDeadline?.toISOString() ?? null,
    drain_reason: n.drainReason,
    version: n.version,
    registered_at: n.registeredAt.toISOString(),
    last_heartbeat_at: n.lastHeartbeatAt.toISOString(),
    heartbeat_age_ms: v.heartbeatAgeMs,
    lost_at: n.lostAt?.toISOString() ?? null,
    assigned_lessons: v.assignedLessons,
    load: {
      lessons: n.load.lessons,
      participants: n.load.participants,
      consumers: n.load.consumers,
      cpu_percent: n.load.cpuPercent,
      bitrate_bps: n.load.bitrateBps,
      workers: n.load.workers,
    },
  };
}

export async function nodeRoutes(app: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const { config } = ctx;
  // Authenticate before validating, so anonymous callers learn nothing about the schema.
  // The root secret, or the node's own credential for its own entry (register: the body's id).
  const internalFirst = async (req: Parameters<typeof bearerOf>[0]) => {
    const caller = internalCaller(config, bearerOf(req));
    const params = req.params as { id?: string };
    if (params.id !== undefined) assertSameNode(caller, params.id);
    (req as unknown as { internalCaller: typeof caller }).internalCaller = caller;
  };
  const apiKeyFirst = async (req: Parameters<typeof bearerOf>[0]) => {
    requireKey(req);
  };

  app.post<{ Body: RegisterBody }>('/internal/nodes/register', { schema: { body: RegisterBody, response: withErrors({ 200: NodeRegistered }) }, preValidation: internalFirst }, async (req) => {
    const b = req.body;
    assertSameNode((req as unknown as { internalCaller: Parameters<typeof assertSameNode>[0] }).internalCaller, b.id);
    const { node, directive } = await registerNode(ctx, {
      id: b.id,
      signalingUrl: b.signaling_url,
      internalUrl: b.internal_url.replace(/\/+$/, ''),
      mediaAddress: b.media_address,
      capacity: b.capacity,
      heartbeatIntervalMs: b.heartbeat_interval_ms,
      version: b.version ?? null,
      bootId: b.boot_id,
      load: loadOf(b.load),
    });
    return { node: nodeJson(await nodeOverview(ctx, node.id)), ...directiveJson(directive) };
  });

  app.post<{ Params: NodeParams; Body: HeartbeatBody }>(
    '/internal/nodes/:id/heartbeat',
    { schema: { params: NodeParams, body: HeartbeatBody, response: withErrors({ 200: NodeDirectiveJson }) }, preValidation: internalFirst, logLevel: 'warn' },
    async (req) => directiveJson(await heartbeat(ctx, req.params.id, req.body.boot_id, loadOf(req.body.load))),
  );

  const SelfDrainBody = Type.Object(
    { boot_id: Type.String({ minLength: 1, maxLength: 100 }), deadline_seconds: Type.Integer({ minimum: 0, maximum: 86400 }), reason: Type.String({ minLength: 1, maxLength: 500 }) },
    { additionalProperties: false },
  );
  app.post<{ Params: NodeParams; Body: Static<typeof SelfDrainBody> }>(
    '/internal/nodes/:id/drain',
    { schema: { params: NodeParams, body: SelfDrainBody, response: withErrors({ 200: NodeDirectiveJson }) }, preValidation: internalFirst },
    async (req) => directiveJson(await selfDrain(ctx, req.params.id, req.body.boot_id, req.body.deadline_seconds, req.body.reason)),
  );

  app.delete<{ Params: NodeParams }>('/internal/nodes/:id', { schema: { params: NodeParams, response: withErrors({ 204: NoContent }) }, preValidation: internalFirst }, async (req, reply) => {
    await deregisterNode(ctx, req.params.id);
    return reply.code(204).send();
  });

  app.get('/v1/nodes', { schema: { response: withErrors({ 200: NodeList }) }, preValidation: apiKeyFirst }, async () => ({ nodes: (await nodesOverview(ctx)).map(nodeJson) }));

  app.get<{ Params: NodeParams }>('/v1/nodes/:id', { schema: { params: NodeParams, response: withErrors({ 200: NodeJson }) }, preValidation: apiKeyFirst }, async (req) =>
    nodeJson(await nodeOverview(ctx, req.params.id)),
  );

  app.post<{ Params: NodeParams; Body: DrainBody | undefined }>(
    '/v1/nodes/:id/drain',
    { schema: { params: NodeParams, body: DrainBodyOrNothing, response: withErrors({ 200: NodeJson }) }, preValidation: apiKeyFirst },
    async (req) => nodeJson(await drainNode(ctx, req.params.id, { deadlineSeconds: req.body?.deadline_seconds, reason: req.body?.reason ?? null })),
  );

  app.post<{ Params: NodeParams }>('/v1/nodes/:id/undrain', { schema: { params: NodeParams, body: NoBody, response: withErrors({ 200: NodeJson }) }, preValidation: apiKeyFirst }, async (req) =>
    nodeJson(await undrainNode(ctx, req.params.id)),
  );

  app.delete<{ Params: NodeParams }>('/v1/nodes/:id', { schema: { params: NodeParams, response: withErrors({ 204: NoContent }) }, preValidation: apiKeyFirst }, async (req, reply) => {
    await deregisterNode(ctx, req.params.id);
    return reply.code(204).send();
  });

  // Silent nodes are declared lost even when nobody joins (attendance gaps, /v1/nodes health).
  let sweeper: ReturnType<typeof setInterval> | undefined;
  let sweeping: Promise<void> | null = null;
  app.addHook('onReady', async () => {
    sweeper = setInterval(() => {
      sweeping ??= sweepNodes(ctx)
        .catch((err: unknown) => ctx.log.error({ err }, 'node sweep failed'))
        .finally(() => (sweeping = null));
    }, Math.max(100, Math.floor(config.nodes.heartbeatTimeoutMs / 2)));
    sweeper.unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(sweeper);
    await sweeping;
  });
}
