// Token bucket per connection: bursts for SDP/ICE exchanges, a cap on floods.
export class RateLimiter {
  private tokens: number;
  private last = Date.now();
  private readonly ratePerSecond: number;
  private readonly burst: number;

  constructor(ratePerSecond: number, burst: number) {
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.tokens = burst;
  }

  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Tighter buckets for message kinds that cost more than a frame: each `chat.send` is a write
 * to the API, each `app.data` a relay to the other participant, each SFU request work on the
 * mediasoup worker. These apply on top of the per-connection bucket.
 */
export const KIND_RATES: Partial<Record<string, { perSecond: number; burst: number; group: string }>> = {
  'chat.send': { perSecond: 3, burst: 10, group: 'chat' },
  'app.data': { perSecond: 30, burst: 60, group: 'app' },
  // A drawing client coalesces its changes and sends at most every 40 ms (≤ 25/s).
  'board.update': { perSecond: 30, burst: 60, group: 'board' },
  'board.sync': { perSecond: 2, burst: 10, group: 'board.sync' },
  'board.lock': { perSecond: 2, burst: 10, group: 'board.lock' },
  'sfu.createTransport': { perSecond: 10, burst: 20, group: 'sfu' },
  'sfu.preconnect': { perSecond: 10, burst: 20, group: 'sfu' },
  // Pre-join route probes: a person may press "measure again", nobody needs more (see also the
  // one-open-per-socket and per-socket caps in handlers.ts).
  'sfu.probe': { perSecond: 0.2, burst: 3, group: 'probe' },
  'sfu.connectTransport': { perSecond: 10, burst: 20, group: 'sfu' },
  'sfu.restartIce': { perSecond: 10, burst: 20, group: 'sfu' },
  'sfu.produce': { perSecond: 10, burst: 20, group: 'sfu' },
  'sfu.consume': { perSecond: 10, burst: 20, group: 'sfu' },
  'sfu.resumeConsumer': { perSecond: 10, burst: 20, group: 'sfu' },
  'sfu.closeProducer': { perSecond: 10, burst: 20, group: 'sfu' },
};

/** The per-kind buckets of one connection (created on first use). */
export class KindLimiter {
  private readonly buckets = new Map<string, RateLimiter>();
  private readonly scale: number;

  /** `scale` multiplies every kind's rate and burst (tests, or operators with unusual clients). */
  constructor(scale = 1) {
    this.scale = scale;
  }

  take(kind: string): boolean {
    const rate = KIND_RATES[kind];
    if (!rate) return true;
    let bucket = this.buckets.get(rate.group);
    if (!bucket) this.buckets.set(rate.group, (bucket = new RateLimiter(rate.perSecond * this.scale, rate.burst * this.scale)));
    return bucket.take();
  }
}
