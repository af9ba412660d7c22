// One mediasoup worker per core, each with a WebRtcServer (one UDP + one TCP port), so a media
// node needs a handful of open ports instead of a range. A worker that dies is replaced in its
// slot (same ports); routers on it are closed, and their rooms report it to their owner.
import { EventEmitter } from 'node:events';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import type { MediaConfig } from './config.ts';
import { probeAudioRed, setAudioRed } from './codecs.ts';

/** What a worker's rooms report for placement and the operator's load view. */
export interface LoadSource {
  stats(): { transports: number; producers: number; consumers: number };
  bitrateBps(): Promise<number>;
}

export interface PooledWorker {
  slot: number;
  worker: types.Worker;
  webRtcServer: types.WebRtcServer;
  routers: number;
  rooms: Set<LoadSource>;
  /** CPU share of one core (0..100+) over the last sampling interval. */
  cpuPercent: number;
  /** Send+receive bitrate of its transports at the last sample (bits/s). */
  bitrateBps: number;
  lastCpuMs: number;
  lastSampleAt: number;
}

export interface WorkerLoad {
  slot: number;
  pid: number;
  routers: number;
  transports: number;
  producers: number;
  consumers: number;
  bitrateBps: number;
  cpuPercent: number;
}

export interface WorkerPoolEvents {
  workerDied: [{ slot: number; pid: number; error: Error }];
  workerReplaced: [{ slot: number; pid: number }];
}

export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  private readonly slots: (PooledWorker | undefined)[];
  private closed = false;
  private readonly config: MediaConfig;
  private sampler: ReturnType<typeof setInterval> | undefined;

  private constructor(config: MediaConfig) {
    super();
    this.config = config;
    this.slots = new Array(config.numWorkers).fill(undefined);
  }

  static async create(config: MediaConfig): Promise<WorkerPool> {
    const pool = new WorkerPool(config);
    try {
      for (let slot = 0; slot < config.numWorkers; slot++) pool.slots[slot] = await pool.spawn(slot);
      // Every worker runs the same binary: the first one says whether the routers offer Opus RED.
      setAudioRed(await probeAudioRed(pool.slots[0]!.worker));
    } catch (err) {
      pool.close();
      throw err;
    }
    pool.sampler = setInterval(() => void pool.sample().catch(() => undefined), 5_000);
    pool.sampler.unref();
    return pool;
  }

  private async spawn(slot: number): Promise<PooledWorker> {
    const { config } = this;
    const worker = await mediasoup.createWorker({
      logLevel: config.logLevel,
      ...(config.workerBin ? { workerBin: config.workerBin } : {}),
    });
    const port = config.portBase === 0 ? undefined : config.portBase + slot;
    let webRtcServer: types.WebRtcServer;
    try {
      webRtcServer = await worker.createWebRtcServer({
        listenInfos: (['udp', 'tcp'] as const).map((protocol) => ({
          protocol,
          ip: config.listenIp,
          announcedAddress: config.announcedAddress,
          ...(port === undefined ? {} : { port }),
          // UDP: one socket carries every lesson of this worker (see MediaConfig.socketBufferBytes).
          ...(protocol === 'udp' ? { recvBufferSize: config.socketBufferBytes, sendBufferSize: config.socketBufferBytes } : {}),
        })),
      });
    } catch (err) {
      worker.close();
      throw new Error(`cannot listen for media on ${config.listenIp}:${port ?? '(ephemeral)'}: ${(err as Error).message}`);
    }
    const pooled: PooledWorker = { slot, worker, webRtcServer, routers: 0, rooms: new Set(), cpuPercent: 0, bitrateBps: 0, lastCpuMs: 0, lastSampleAt: Date.now() };
    worker.on('died', (error) => this.onDied(pooled, error));
    return pooled;
  }

  private onDied(pooled: PooledWorker, error: Error): void {
    this.emit('workerDied', { slot: pooled.slot, pid: pooled.worker.pid, error });
    this.slots[pooled.slot] = undefined;
    if (this.closed) return;
    const retry = (attempt: number) => {
      this.spawn(pooled.slot).then(
        (fresh) => {
          if (this.closed) return fresh.worker.close();
          this.slots[pooled.slot] = fresh;
          this.emit('workerReplaced', { slot: pooled.slot, pid: fresh.worker.pid });
        },
        () => setTimeout(() => !this.closed && retry(attempt + 1), Math.min(5000, 250 * 2 ** attempt)).unref(),
      );
    };
    retry(0);
  }

  /**
   * The live worker with the least load: consumers (each one is forwarding work), lessons, and
   * the CPU it used over the last sample, so a worker busy with a heavy lesson is avoided.
   */
  leastLoaded(): PooledWorker {
    let best: PooledWorker | undefined;
    let bestScore = Infinity;
    for (const w of this.slots) {
      if (!w) continue;
      const score = placementScore(w);
      if (score < bestScore) [best, bestScore] = [w, score];
    }
    if (!best) throw new Error('no mediasoup worker is available');
    return best;
  }

  /** Like leastLoaded, but waits (bounded) for a replacement when every worker just died. */
  async acquire(timeoutMs = 10_000): Promise<PooledWorker> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.workers().length > 0) return this.leastLoaded();
      if (this.closed || Date.now() > deadline) throw new Error('no mediasoup worker is available');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 250);
        this.once('workerReplaced', () => (clearTimeout(t), resolve()));
      });
    }
  }

  /** Samples CPU (from the worker's rusage) and bitrate; called periodically and on demand. */
  async sample(): Promise<WorkerLoad[]> {
    const out: WorkerLoad[] = [];
    for (const w of this.workers()) {
      const now = Date.now();
      try {
        const ru = await w.worker.getResourceUsage();
        const cpuMs = ru.ru_utime + ru.ru_stime;
        const elapsed = now - w.lastSampleAt;
        if (w.lastCpuMs > 0 && elapsed > 0) w.cpuPercent = Math.round(((cpuMs - w.lastCpuMs) / elapsed) * 1000) / 10;
        w.lastCpuMs = cpuMs;
        w.lastSampleAt = now;
      } catch {
        // a worker dying mid-sample is reported by the pool's own events
      }
      let bitrate = 0;
      for (const room of w.rooms) bitrate += await room.bitrateBps().catch(() => 0);
      w.bitrateBps = bitrate;
      out.push(loadOf(w));
    }
    return out;
  }

  /** The last sampled load of each live worker. */
  load(): WorkerLoad[] {
    return this.workers().map(loadOf);
  }

  workers(): readonly PooledWorker[] {
    return this.slots.filter((w): w is PooledWorker => w !== undefined);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sampler);
    for (const w of this.slots) w?.worker.close();
  }
}

function loadOf(w: PooledWorker): WorkerLoad {
  let transports = 0;
  let producers = 0;
  let consumers = 0;
  for (const room of w.rooms) {
    const s = room.stats();
    transports += s.transports;
    producers += s.producers;
    consumers += s.consumers;
  }
  return { slot: w.slot, pid: w.worker.pid, routers: w.routers, transports, producers, consumers, bitrateBps: w.bitrateBps, cpuPercent: w.cpuPercent };
}

function placementScore(w: PooledWorker): number {
  const { routers, consumers } = loadOf(w);
  return routers * 4 + consumers + w.cpuPercent / 5;
}
