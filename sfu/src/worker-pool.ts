// One mediasoup worker per core, each with a WebRtcServer (one UDP + one TCP port), so a media
// node needs a handful of open ports instead of a range. A worker that dies is replaced in its
// slot (same ports); routers on it are closed, and their rooms report it to their owner.
import { EventEmitter } from 'node:events';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import type { MediaConfig } from './config.ts';

export interface PooledWorker {
  slot: number;
  worker: types.Worker;
  webRtcServer: types.WebRtcServer;
  routers: number;
}

export interface WorkerPoolEvents {
  workerDied: [{ slot: number; pid: number; error: Error }];
  workerReplaced: [{ slot: number; pid: number }];
}

export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  private readonly slots: (PooledWorker | undefined)[];
  private closed = false;
  private readonly config: MediaConfig;

  private constructor(config: MediaConfig) {
    super();
    this.config = config;
    this.slots = new Array(config.numWorkers).fill(undefined);
  }

  static async create(config: MediaConfig): Promise<WorkerPool> {
    const pool = new WorkerPool(config);
    try {
      for (let slot = 0; slot < config.numWorkers; slot++) pool.slots[slot] = await pool.spawn(slot);
    } catch (err) {
      pool.close();
      throw err;
    }
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
        })),
      });
    } catch (err) {
      worker.close();
      throw new Error(`cannot listen for media on ${config.listenIp}:${port ?? '(ephemeral)'}: ${(err as Error).message}`);
    }
    const pooled: PooledWorker = { slot, worker, webRtcServer, routers: 0 };
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

  /** The live worker with the fewest routers (lessons). */
  leastLoaded(): PooledWorker {
    let best: PooledWorker | undefined;
    for (const w of this.slots) if (w && (!best || w.routers < best.routers)) best = w;
    if (!best) throw new Error('no mediasoup worker is available');
    return best;
  }

  workers(): readonly PooledWorker[] {
    return this.slots.filter((w): w is PooledWorker => w !== undefined);
  }

  close(): void {
    this.closed = true;
    for (const w of this.slots) w?.worker.close();
  }
}
