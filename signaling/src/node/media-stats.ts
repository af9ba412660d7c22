// Packet counters of every live producer and consumer on this node, found through mediasoup's
// observer events (workers -> routers -> transports -> producers/consumers), so the SFU code
// needs no bookkeeping of its own. Read at scrape time with getStats().
import type { types } from 'mediasoup';
import type { WorkerPool } from '@duet/sfu';

export interface PacketTotals {
  packets: number;
  lost: number;
  /** Mean RTCP fraction lost (0..1) over the streams, 0 when none. */
  lossRatio: number;
  streams: number;
}

export class MediaStatsTracker {
  private readonly producers = new Set<types.Producer>();
  private readonly consumers = new Set<types.Consumer>();
  private readonly watched = new WeakSet<types.Worker>();

  constructor(pool: WorkerPool) {
    for (const w of pool.workers()) this.watch(w.worker);
    // A replaced worker is a new object: follow it too.
    pool.on('workerReplaced', () => {
      for (const w of pool.workers()) this.watch(w.worker);
    });
  }

  private watch(worker: types.Worker): void {
    if (this.watched.has(worker)) return;
    this.watched.add(worker);
    worker.observer.on('newrouter', (router) =>
      router.observer.on('newtransport', (transport) => {
        transport.observer.on('newproducer', (p) => {
          this.producers.add(p);
          p.observer.once('close', () => this.producers.delete(p));
        });
        transport.observer.on('newconsumer', (c) => {
          this.consumers.add(c);
          c.observer.once('close', () => this.consumers.delete(c));
        });
      }),
    );
  }

  get counts(): { producers: number; consumers: number } {
    return { producers: this.producers.size, consumers: this.consumers.size };
  }

  /** Inbound (what participants send us, loss on their uplink) and outbound (loss reported by receivers). */
  async totals(): Promise<{ inbound: PacketTotals; outbound: PacketTotals }> {
    const sum = async (items: Iterable<{ getStats(): Promise<{ type: string; packetCount?: number; packetsLost: number; fractionLost: number }[]> }>, type: string) => {
      const t: PacketTotals = { packets: 0, lost: 0, lossRatio: 0, streams: 0 };
      let fraction = 0;
      const all = await Promise.all([...items].map((i) => i.getStats().catch(() => [])));
      for (const stats of all) {
        for (const s of stats) {
          if (s.type !== type) continue;
          t.streams++;
          t.packets += s.packetCount ?? 0;
          t.lost += Math.max(0, s.packetsLost);
          fraction += s.fractionLost;
        }
      }
      // RTCP "fraction lost" is an 8-bit fixed-point value (n/256).
      t.lossRatio = t.streams === 0 ? 0 : fraction / t.streams / 256;
      return t;
    };
    const [inbound, outbound] = await Promise.all([sum(this.producers, 'inbound-rtp'), sum(this.consumers, 'outbound-rtp')]);
    return { inbound, outbound };
  }
}
