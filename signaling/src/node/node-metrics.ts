// Prometheus metrics of a media node (prom-client, one registry per node): lessons, participants,
// capacity and drain state, each mediasoup worker's CPU (getResourceUsage), routers, transports,
// producers, consumers, bitrate, and packets / loss from getStats. Read at scrape time.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { WorkerPool } from '@duet/sfu';
import type { RoomRegistry } from '../room/registry.ts';
import type { MediaNodeRuntime } from './media-node.ts';
import { MediaStatsTracker } from './media-stats.ts';

export interface NodeMetrics {
  contentType: string;
  render(): Promise<string>;
}

export function createNodeMetrics(o: {
  nodeId: string;
  capacity: number | null;
  pool: WorkerPool;
  registry: RoomRegistry;
  runtime: MediaNodeRuntime;
  connections(): number;
  stats(): { badFrames: number; pendingHooks: number; hooksSetAside?: number; hookClockSkew?: number };
  /** Refusals by reason (transport/rejections.ts), since start. */
  rejections?(): [string, number][];
  /** Pre-join route probes (sfu.probe): open now, made and ICE-connected since start. */
  probes?(): { open: number; opened: number; connected: number };
}): NodeMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ node: o.nodeId });
  collectDefaultMetrics({ register: registry, prefix: 'duet_node_process_' });
  const tracker = new MediaStatsTracker(o.pool);
  const g = (name: string, help: string, value: () => number) =>
    new Gauge({ name, help, registers: [registry], collect() { this.set(value()); } });

  g('duet_node_lessons', 'Lesson rooms open on this node', () => o.registry.all().length);
  g('duet_node_participants', 'Participants connected (WebSockets)', () => o.connections());
  if (o.capacity !== null) g('duet_node_capacity', 'Lessons this node accepts at most (NODE_CAPACITY)', () => o.capacity!);
  g('duet_node_draining', '1 while the node is draining or shutting down', () => (o.runtime.draining ? 1 : 0));
  g('duet_node_relocated_lessons', 'Lessons moved to another node by a drain deadline or shutdown (since start)', () => o.runtime.relocatedRooms);
  g('duet_node_bad_frames', 'Signaling frames rejected (since start)', () => o.stats().badFrames);
  g('duet_node_pending_hooks', 'Lifecycle hooks not yet acknowledged by the API', () => o.stats().pendingHooks);
  g('duet_node_hooks_set_aside', 'Hooks the API refused as malformed, moved to the spool\'s rejected/ (since start)', () => o.stats().hooksSetAside ?? 0);
  g('duet_node_hook_clock_skew', 'Hook answers signature_expired: clock skew with the API beyond the signature window (since start)', () => o.stats().hookClockSkew ?? 0);
  new Counter({
    name: 'duet_node_rejections_total',
    help: 'Frames, messages, sockets and SFU requests refused to protect the node or a lesson, by reason',
    labelNames: ['reason'],
    registers: [registry],
    // Set from the node's running totals at scrape time (reset + inc keeps it a counter type).
    collect() {
      this.reset();
      for (const [reason, n] of o.rejections?.() ?? []) this.inc({ reason }, n);
    },
  });
  if (o.probes) {
    const p = o.probes;
    g('duet_node_route_probes_open', 'Pre-join route probe transports open now (sfu.probe)', () => p().open);
    g('duet_node_route_probes', 'Pre-join route probe transports made (since start)', () => p().opened);
    g('duet_node_route_probes_connected', 'Route probes a browser reached over ICE (since start)', () => p().connected);
  }
  g('duet_mediasoup_workers', 'Live mediasoup workers', () => o.pool.workers().length);

  // Worker figures come from one sample per scrape (CPU from getResourceUsage).
  let sample: ReturnType<WorkerPool['sample']> | null = null;
  const workers = () => (sample ??= o.pool.sample());
  const perWorker = (name: string, help: string, pick: (w: Awaited<ReturnType<WorkerPool['sample']>>[number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['worker'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const w of await workers()) this.set({ worker: String(w.slot) }, pick(w));
      },
    });
  perWorker('duet_mediasoup_worker_cpu_percent', 'Worker CPU over the last sample (100 = one core)', (w) => w.cpuPercent);
  perWorker('duet_mediasoup_worker_routers', 'Routers (lessons in SFU mode) on the worker', (w) => w.routers);
  perWorker('duet_mediasoup_worker_transports', 'WebRTC transports on the worker', (w) => w.transports);
  perWorker('duet_mediasoup_worker_producers', 'Producers on the worker', (w) => w.producers);
  perWorker('duet_mediasoup_worker_consumers', 'Consumers on the worker', (w) => w.consumers);
  perWorker('duet_mediasoup_worker_bitrate_bps', 'Send+receive bitrate of the worker\'s transports', (w) => w.bitrateBps);
  new Gauge({
    name: 'duet_mediasoup_worker_cpu_seconds',
    help: 'CPU time used by the worker process (user+system)',
    labelNames: ['worker'],
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        o.pool.workers().map(async (w) => {
          const ru = await w.worker.getResourceUsage().catch(() => null);
          if (ru) this.set({ worker: String(w.slot) }, (ru.ru_utime + ru.ru_stime) / 1000);
        }),
      );
    },
  });

  let totals: ReturnType<MediaStatsTracker['totals']> | null = null;
  const packets = () => (totals ??= tracker.totals());
  const perDirection = (name: string, help: string, pick: (t: Awaited<ReturnType<MediaStatsTracker['totals']>>['inbound']) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['direction'],
      registers: [registry],
      async collect() {
        const t = await packets();
        this.set({ direction: 'inbound' }, pick(t.inbound));
        this.set({ direction: 'outbound' }, pick(t.outbound));
      },
    });
  perDirection('duet_media_rtp_packets', 'RTP packets of the live streams (inbound: from participants; outbound: to them)', (t) => t.packets);
  perDirection('duet_media_rtp_packets_lost', 'RTP packets lost on the live streams (RTCP)', (t) => t.lost);
  perDirection('duet_media_packet_loss_ratio', 'Mean RTCP fraction lost over the live streams (0..1)', (t) => t.lossRatio);
  perDirection('duet_media_streams', 'Live RTP streams', (t) => t.streams);

  return {
    contentType: registry.contentType,
    async render() {
      sample = null;
      totals = null;
      try {
        return await registry.metrics();
      } finally {
        sample = null;
        totals = null;
      }
    },
  };
}
