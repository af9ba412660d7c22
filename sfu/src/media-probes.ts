// Pre-join route probes (docs/network-lab.md "Pre-join probe"): a throwaway WebRtcTransport on the
// node's real media ports (the worker's WebRtcServer: its one UDP and one ICE-TCP port), so the
// browser learns, before the person joins, which of them its network lets through.
// Why it is safe to hand one to a pre-join socket: the transport only ever answers ICE (STUN
// binding requests). No DTLS parameters are ever given to it, so DTLS never starts — no SRTP, no
// data channel, no producer, no consumer, nothing reaches a lesson. It closes after `lifetimeMs`
// whatever happens, at most one is open per key (socket) and at most `maxOpen` on the node.
// The probe routers are separate from the lessons' (one per worker, made on first use, no codecs):
// a probe never touches a lesson's router, its counts, or the worker placement score.
import type { types } from 'mediasoup';
import { MediaLimitError } from './peer-media.ts';
import type { PooledWorker, WorkerPool } from './worker-pool.ts';

export interface ProbeParams {
  iceParameters: Record<string, unknown>;
  iceCandidates: Record<string, unknown>[];
  dtlsParameters: Record<string, unknown>;
  /** The transport is closed this long after it was made. */
  lifetimeMs: number;
}

export interface ProbeLimits {
  /** How long a probe transport lives (the browser's check must finish within it). */
  lifetimeMs: number;
  /** Probe transports open at once on this node. */
  maxOpen: number;
}

export const DEFAULT_PROBE_LIMITS: ProbeLimits = { lifetimeMs: 8_000, maxOpen: 64 };

interface OpenProbe {
  transport: types.WebRtcTransport | undefined;
  timer: ReturnType<typeof setTimeout>;
}

export class MediaProbes {
  private readonly pool: WorkerPool;
  private readonly limits: ProbeLimits;
  private readonly routers = new Map<PooledWorker, Promise<types.Router>>();
  private readonly open = new Map<string, OpenProbe>();
  /** Probes made since start, and the transports' ICE successes (node metrics). */
  opened = 0;
  connected = 0;

  constructor(pool: WorkerPool, limits: Partial<ProbeLimits> = {}) {
    this.pool = pool;
    this.limits = { ...DEFAULT_PROBE_LIMITS, ...limits };
  }

  /** Probe transports open now. */
  get size(): number {
    return this.open.size;
  }

  /** A probe transport for `key` (one socket); refused while `key` has one, or the node is full. */
  async create(key: string): Promise<ProbeParams> {
    if (this.open.has(key)) throw new MediaLimitError('a route probe is already open on this connection');
    if (this.open.size >= this.limits.maxOpen) throw new MediaLimitError('too many route probes on this node, try again shortly');
    // Reserved before the first await: concurrent requests see it.
    const entry: OpenProbe = { transport: undefined, timer: setTimeout(() => this.close(key), this.limits.lifetimeMs) };
    entry.timer.unref();
    this.open.set(key, entry);
    try {
      const host = await this.pool.acquire();
      const router = await this.routerOn(host);
      const transport = await router.createWebRtcTransport({
        webRtcServer: host.webRtcServer,
        enableUdp: true,
        enableTcp: true,
        preferUdp: true,
        enableSctp: false,
        appData: { probe: true },
      });
      if (this.open.get(key) !== entry) {
        // Closed (socket gone, lifetime over) while the worker made it.
        transport.close();
        throw new MediaLimitError('the route probe was closed meanwhile');
      }
      entry.transport = transport;
      this.opened++;
      transport.on('icestatechange', (state) => state === 'connected' && this.connected++);
      return {
        iceParameters: transport.iceParameters as unknown as Record<string, unknown>,
        iceCandidates: transport.iceCandidates as unknown as Record<string, unknown>[],
        dtlsParameters: transport.dtlsParameters as unknown as Record<string, unknown>,
        lifetimeMs: this.limits.lifetimeMs,
      };
    } catch (err) {
      this.close(key);
      throw err;
    }
  }

  /** Closes `key`'s probe (its lifetime ended, or its socket closed or joined). */
  close(key: string): void {
    const entry = this.open.get(key);
    if (!entry) return;
    this.open.delete(key);
    clearTimeout(entry.timer);
    if (entry.transport && !entry.transport.closed) entry.transport.close();
  }

  closeAll(): void {
    for (const key of [...this.open.keys()]) this.close(key);
  }

  private routerOn(host: PooledWorker): Promise<types.Router> {
    let router = this.routers.get(host);
    if (!router) {
      router = host.worker.createRouter({ mediaCodecs: [], appData: { probe: true } });
      this.routers.set(host, router);
      const made = router;
      made.then(
        (r) => r.observer.once('close', () => this.routers.get(host) === made && this.routers.delete(host)),
        () => this.routers.get(host) === made && this.routers.delete(host),
      );
    }
    return router;
  }
}
