// With two people in a lesson a simulcast camera has one real receiver (plus the recorder, when
// there is one). Encoding 720p for a receiver that only takes 180p wastes the sender's uplink and
// CPU. This watches a simulcast video producer's consumers and decides the highest spatial layer
// worth encoding: the highest one any consumer takes, plus one above a layer the bandwidth
// estimate picked (so mediasoup can still climb into it), never above the layer adapter's cap
// (layer-adapter.ts, the receiver's loss). A consumer that is not on a WebRTC transport (the
// recorder's plain transport) takes the top layer. Lowering waits `holdMs` of steady demand;
// raising is immediate. Decisions are checked once per `everyMs`, so at most one message a second
// per producer reaches the sender, plus a repeat every `repeatMs` once capped (signaling
// `sfu.senderLayers`, then RTCRtpSender encodings `active` in the browser).
// The "plus one" is only kept while the sender can send that layer. On a thin *uplink* the
// browser itself stops sending a layer it cannot afford but keeps it active, and then pads its
// uplink with probing traffic up to that layer's start bitrate: in the network lab (`mobile`,
// 300 kbit/s up) the student's browser kept the uplink full that way and lost 10-25 % of its
// video packets, and the tutor's picture froze 0.7-3.6 s per 20 s. A layer allowed but silent
// for `silentMs` while the one below flows is sender-limited: it is no longer asked for, and is
// offered again after `retryMs` (doubling up to `retryMaxMs` while it stays silent).
import type { types } from 'mediasoup';

/**
 * `repeatMs`: once a producer has been capped, its current cap is said again this often, so a
 * message lost while its owner's socket was reconnecting does not leave encodings off for good
 * (the client ignores a repeat: mediasoup-client's setMaxSpatialLayer returns on the same layer).
 */
export const SENDER_CAP = { everyMs: 1_000, holdMs: 4_000, repeatMs: 10_000, silentMs: 8_000, retryMs: 20_000, youngMs: 8_000, retryMaxMs: 120_000, flowingPackets: 3 };

/**
 * The highest spatial layer one consumer needs from the sender. `senderTop`: the highest layer
 * the sender can send now (SenderLimit); no room to climb is kept above it.
 */
export function consumerDemand(c: { paused: boolean; producerPaused: boolean; preferredSpatial?: number; currentSpatial?: number; onWebRtc: boolean }, top: number, senderTop = top): number {
  if (!c.onWebRtc) return top;
  if (c.paused || c.producerPaused) return 0;
  const cap = Math.min(top, c.preferredSpatial ?? top);
  // No layer flowing yet (just created, or a layer switch in progress): do not hold anything back.
  if (c.currentSpatial === undefined) return cap;
  const climb = c.currentSpatial + 1 <= senderTop ? 1 : 0;
  return Math.max(0, Math.min(cap, c.currentSpatial + climb));
}

/**
 * Which layers the sender actually sends: fed each layer's packet count once per interval, with
 * the layers it is allowed to send; answers the highest layer worth keeping room for.
 */
export class SenderLimit {
  private readonly top: number;
  private readonly last: number[] = [];
  /** Per layer: when it last flowed, or when it was last allowed again (the start of its chance). */
  private readonly since: number[] = [];
  private limit: number;
  private retryAt: number | undefined;
  private retryMs: number = SENDER_CAP.retryMs;
  /** The layer offered again by the last retry, until it holds or is given up. */
  private retrying: number | undefined;
  private flowRun = 0;
  constructor(top: number, now: number) {
    this.top = top;
    this.limit = top;
    for (let i = 0; i <= top; i++) this.since[i] = now;
  }

  get value(): number {
    return this.limit;
  }

  /** `packets[i]`: layer i's packet count so far; `allowed`: the cap the sender was last told. */
  update(packets: number[], allowed: number, now: number): number {
    const sent = packets.map((p, i) => p - (this.last[i] ?? p));
    packets.forEach((p, i) => (this.last[i] = p));
    // A layer above the bottom flows when it carries at least half the packets of the one below
    // (a higher layer is larger): a browser probing a layer it cannot afford sends a few.
    const flowing = sent.map((n, i) => n >= Math.max(SENDER_CAP.flowingPackets, i > 0 ? sent[i - 1]! / 2 : 0));
    for (let i = 0; i <= this.top; i++) {
      if (flowing[i] || i > allowed) this.since[i] = now;
    }
    if (this.retryAt !== undefined && now >= this.retryAt) {
      // Offer the layer again: the sender gets `silentMs` to start it.
      this.retryAt = undefined;
      this.retrying = this.limit + 1;
      this.flowRun = 0;
      this.since[this.retrying] = now;
      this.limit = this.top;
    }
    if (this.retrying !== undefined) {
      // A browser probing a layer sends it for a second or two, then drops it: only a layer
      // that keeps flowing for `silentMs` shows the sender has room again (retries start short).
      this.flowRun = flowing[this.retrying] ? this.flowRun + 1 : 0;
      if (this.flowRun * SENDER_CAP.everyMs >= SENDER_CAP.silentMs) {
        this.retrying = undefined;
        this.retryMs = SENDER_CAP.retryMs;
      }
    }
    // The lowest layer that is allowed and silent while the one below it flows.
    for (let i = 1; i <= Math.min(allowed, this.limit); i++) {
      if (flowing[i - 1] && !flowing[i] && now - this.since[i]! >= SENDER_CAP.silentMs) {
        this.limit = i - 1;
        this.retrying = undefined;
        this.retryAt = now + this.retryMs;
        this.retryMs = Math.min(SENDER_CAP.retryMaxMs, this.retryMs * 2);
        break;
      }
    }
    return this.limit;
  }
}

/** Hysteresis over the demand: down only after it stayed lower for holdMs, up at once. */
export class CapDecider {
  private current: number;
  private lowSince: number | undefined;
  private readonly top: number;
  private readonly holdMs: number;
  constructor(top: number, holdMs = SENDER_CAP.holdMs) {
    this.top = top;
    this.current = top;
    this.holdMs = holdMs;
  }

  get value(): number {
    return this.current;
  }

  /** The new cap when it changes, else undefined. */
  update(demand: number, now: number, holdMs = this.holdMs): number | undefined {
    const want = Math.max(0, Math.min(this.top, demand));
    if (want > this.current) {
      this.lowSince = undefined;
      this.current = want;
      return want;
    }
    if (want === this.current) {
      this.lowSince = undefined;
      return undefined;
    }
    this.lowSince ??= now;
    if (now - this.lowSince < holdMs) return undefined;
    this.lowSince = undefined;
    this.current = want;
    return want;
  }
}

/** The number of spatial layers a simulcast producer sends (its encodings). */
function spatialTop(producer: types.Producer): number {
  return Math.max(0, (producer.rtpParameters.encodings?.length ?? 1) - 1);
}

/**
 * Each spatial layer's received packet count (by rid; a layer never received yet has no stats
 * entry: 0), or undefined when the encodings have no rids or the stats could not be read.
 */
async function layerPackets(producer: types.Producer, rids: Array<string | undefined>): Promise<number[] | undefined> {
  if (rids.some((rid) => rid === undefined)) return undefined;
  const stats = await producer.getStats().catch(() => undefined);
  if (!stats) return undefined;
  const byRid = new Map(stats.filter((st) => st.type === 'inbound-rtp').map((st) => [st.rid, st.packetCount ?? 0]));
  return rids.map((rid) => byRid.get(rid) ?? 0);
}

/**
 * Watches one simulcast video producer until it closes; `onCap(maxSpatialLayer)` when the
 * decision changes. `consumersOf()` lists every consumer of the producer right now.
 */
export function capSender(producer: types.Producer, consumersOf: () => Array<{ consumer: types.Consumer; onWebRtc: boolean }>, onCap: (maxSpatialLayer: number) => void): void {
  if (producer.kind !== 'video' || producer.type !== 'simulcast') return;
  const top = spatialTop(producer);
  if (top === 0) return;
  const decider = new CapDecider(top);
  const sender = new SenderLimit(top, Date.now());
  // A consumer's first seconds say little: the layer adapter starts it low while the receiver's
  // estimate is unknown (layer-adapter.ts), and a layer turned off now takes seconds to ramp back.
  const firstSeen = new WeakMap<types.Consumer, number>();
  const rids = (producer.rtpParameters.encodings ?? []).map((e) => e.rid);
  let lastSentAt: number | undefined;
  const timer = setInterval(() => {
    void layerPackets(producer, rids).then((packets) => {
      if (producer.closed) return;
      const now = Date.now();
      const senderTop = packets ? sender.update(packets, decider.value, now) : sender.value;
      const list = consumersOf().filter((c) => !c.consumer.closed);
      // Nobody watching: keep every layer (the next receiver should not wait for a layer to start).
      const demandWith = (limit: number) =>
        list.length === 0
          ? top
          : Math.max(...list.map(({ consumer: c, onWebRtc }) => {
              if (!firstSeen.has(c)) firstSeen.set(c, now);
              if (now - firstSeen.get(c)! < SENDER_CAP.youngMs && !c.paused) return top;
              return consumerDemand({ paused: c.paused, producerPaused: c.producerPaused, preferredSpatial: c.preferredLayers?.spatialLayer, currentSpatial: c.currentLayers?.spatialLayer, onWebRtc }, top, limit);
            }));
      const demand = demandWith(senderTop);
      // Lowered by the sender's own limit: that was already silent for `silentMs`; no second wait.
      const next = decider.update(demand, now, demand < demandWith(top) ? 0 : SENDER_CAP.holdMs);
      if (next !== undefined || (lastSentAt !== undefined && now - lastSentAt >= SENDER_CAP.repeatMs)) {
        lastSentAt = now;
        onCap(decider.value);
      }
    });
  }, SENDER_CAP.everyMs);
  timer.unref?.();
  producer.observer.once('close', () => clearInterval(timer));
}
