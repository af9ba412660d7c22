// Prometheus metrics of the API (prom-client, one registry per server). Request-driven figures
// are counted as they happen; lesson, webhook and node figures are read from the database at
// scrape time, so every API instance reports the same truth and nothing is lost on restart.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AppContext } from '../context.ts';
import { LESSON_STATUSES } from '../domain/lesson-status.ts';
import { nodesOverview, type NodeHealth } from '../services/node-registry-service.ts';
import { registerRecordingMetrics } from './recording-metrics.ts';

const NODE_HEALTHS: NodeHealth[] = ['healthy', 'draining', 'drained', 'unresponsive', 'lost'];

export interface ApiMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  joins: Counter<'result'>;
  internalHooks: Counter<'result'>;
  joinDuration: Histogram<'result'>;
  timeToFirstFrame: Histogram<'mode'>;
  /** Requests refused with a 4xx, by route template and error code (bad input, rate limits, quotas). */
  rejected: Counter<'route' | 'code'>;
  /** One consistent scrape (Prometheus text). */
  scrape(): Promise<string>;
}

export function createApiMetrics(getCtx: () => AppContext): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'duet_api_' });

  const httpRequests = new Counter({ name: 'duet_api_http_requests_total', help: 'HTTP requests answered, by route template and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const httpDuration = new Histogram({
    name: 'duet_api_http_request_duration_seconds',
    help: 'HTTP request duration by route template',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const joins = new Counter({ name: 'duet_joins_total', help: 'POST /v1/sessions/:id/join by result (ok, or the error code)', labelNames: ['result'], registers: [registry] });
  const internalHooks = new Counter({
    name: 'duet_api_internal_hooks_total',
    help: 'Hooks received from media nodes and recorders by result (ok, or the error code: signature_expired = clock skew)',
    labelNames: ['result'],
    registers: [registry],
  });
  const joinDuration = new Histogram({
    name: 'duet_join_duration_seconds',
    help: 'Join latency in the API (token, window, placement)',
    labelNames: ['result'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const timeToFirstFrame = new Histogram({
    name: 'duet_time_to_first_frame_seconds',
    help: 'Client-reported time from pressing join to the first remote video frame (analytics type first_frame, data {ms, mode})',
    labelNames: ['mode'],
    buckets: [0.25, 0.5, 1, 1.5, 2, 3, 5, 8, 13, 20, 30],
    registers: [registry],
  });

  const rejected = new Counter({
    name: 'duet_api_rejected_requests_total',
    help: 'Requests answered 4xx, by route template and error code (validation_failed, rate_limited, quota_exceeded, token_invalid, …)',
    labelNames: ['route', 'code'],
    registers: [registry],
  });

  const sql = () => getCtx().sql;
  new Gauge({
    name: 'duet_lessons',
    help: 'Lessons by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = await sql()<{ status: string; n: number }[]>`select status, count(*)::int as n from sessions group by status`;
      for (const s of LESSON_STATUSES) this.set({ status: s }, rows.find((r) => r.status === s)?.n ?? 0);
    },
  });
  new Gauge({
    name: 'duet_webhook_deliveries',
    help: 'Webhook deliveries by status (pending includes retrying)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = await sql()<{ status: string; n: number }[]>`select status, count(*)::int as n from webhook_deliveries group by status`;
      for (const s of ['pending', 'delivered', 'failed']) this.set({ status: s }, rows.find((r) => r.status === s)?.n ?? 0);
    },
  });
  new Gauge({
    name: 'duet_webhook_deliveries_retrying',
    help: 'Pending webhook deliveries that failed at least once',
    registers: [registry],
    async collect() {
      const rows = await sql()<{ n: number }[]>`select count(*)::int as n from webhook_deliveries where status = 'pending' and attempts > 0`;
      this.set(rows[0]?.n ?? 0);
    },
  });
  new Gauge({
    name: 'duet_webhook_failed_attempts',
    help: 'Failed webhook attempts over all deliveries (attempts that did not deliver)',
    registers: [registry],
    async collect() {
      const rows = await sql()<{ n: number }[]>`
        select coalesce(sum(case when status = 'delivered' then attempts - 1 else attempts end), 0)::int as n from webhook_deliveries`;
      this.set(rows[0]?.n ?? 0);
    },
  });
  new Gauge({
    name: 'duet_webhook_lag_seconds',
    help: 'Age of the oldest webhook not delivered yet (0 when none is pending)',
    registers: [registry],
    async collect() {
      const rows = await sql()<{ s: number | null }[]>`
        select extract(epoch from (now() - min(created_at)))::float8 as s from webhook_deliveries where status = 'pending'`;
      this.set(Math.max(0, rows[0]?.s ?? 0));
    },
  });

  new Gauge({
    name: 'duet_webhook_endpoints',
    help: 'Webhook endpoints managed through the API, by state (disabled = failing for WEBHOOK_DISABLE_AFTER_DAYS, or turned off)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const rows = await sql()<{ enabled: boolean; n: number }[]>`select enabled, count(*)::int as n from webhook_endpoints group by enabled`;
      this.set({ state: 'enabled' }, rows.find((r) => r.enabled)?.n ?? 0);
      this.set({ state: 'disabled' }, rows.find((r) => !r.enabled)?.n ?? 0);
    },
  });

  registerRecordingMetrics(registry, sql);

  // Media nodes as the registry sees them: one overview per scrape, shared by every node gauge
  // (prom-client collects the gauges concurrently).
  let overview: Promise<Awaited<ReturnType<typeof nodesOverview>>> | null = null;
  const views = () => (overview ??= nodesOverview(getCtx()));
  new Gauge({
    name: 'duet_media_nodes',
    help: 'Registered media nodes by health',
    labelNames: ['health'],
    registers: [registry],
    async collect() {
      const all = await views();
      for (const h of NODE_HEALTHS) this.set({ health: h }, all.filter((v) => v.health === h).length);
    },
  });
  const perNode: [string, string, (v: Awaited<ReturnType<typeof nodesOverview>>[number]) => number][] = [
    ['duet_media_node_lessons', 'Lessons the node reports hosting', (v) => v.node.load.lessons],
    ['duet_media_node_assigned_lessons', 'Open lessons the API placed on the node', (v) => v.assignedLessons],
    ['duet_media_node_participants', 'Participants connected to the node', (v) => v.node.load.participants],
    ['duet_media_node_consumers', 'mediasoup consumers on the node', (v) => v.node.load.consumers],
    ['duet_media_node_cpu_percent', 'mediasoup workers CPU on the node (100 = one core)', (v) => v.node.load.cpuPercent],
    ['duet_media_node_bitrate_bps', 'Media bitrate through the node', (v) => v.node.load.bitrateBps],
    ['duet_media_node_capacity', 'Lessons the node accepts at most', (v) => v.node.capacity],
    ['duet_media_node_heartbeat_age_seconds', 'Time since the node last reported', (v) => v.heartbeatAgeMs / 1000],
  ];
  for (const [name, help, pick] of perNode) {
    new Gauge({
      name,
      help,
      labelNames: ['node'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const v of await views()) this.set({ node: v.node.id }, pick(v));
      },
    });
  }

  return {
    registry,
    httpRequests,
    httpDuration,
    joins,
    internalHooks,
    joinDuration,
    timeToFirstFrame,
    rejected,
    async scrape() {
      overview = null;
      try {
        return await registry.metrics();
      } finally {
        overview = null;
      }
    },
  };
}
