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
import type { types } from 'mediasoup';

/**
 * `repeatMs`: once a producer has been capped, its current cap is said again this often, so a
 * message lost while its owner's socket was reconnecting does not leave encodings off for good
 * (the client ignores a repeat: mediasoup-client's setMaxSpatialLayer returns on the same layer).
 */
export const SENDER_CAP = { everyMs: 1_000, holdMs: 4_000, repeatMs: 10_000 };

/** The highest spatial layer one consumer needs from the sender. */
export function consumerDemand(c: { paused: boolean; producerPaused: boolean; preferredSpatial?: number; currentSpatial?: number; onWebRtc: boolean }, top: number): number {
  if (!c.onWebRtc) return top;
  if (c.paused || c.producerPaused) return 0;
  const cap = Math.min(top, c.preferredSpatial ?? top);
  // No layer flowing yet (just created, or a layer switch in progress): do not hold anything back.
  if (c.currentSpatial === undefined) return cap;
  return Math.max(0, Math.min(cap, c.currentSpatial + 1));
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
  update(demand: number, now: number): number | undefined {
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
    if (now - this.lowSince < this.holdMs) return undefined;
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
 * Watches one simulcast video producer until it closes; `onCap(maxSpatialLayer)` when the
 * decision changes. `consumersOf()` lists every consumer of the producer right now.
 */
export function capSender(producer: types.Producer, consumersOf: () => Array<{ consumer: types.Consumer; onWebRtc: boolean }>, onCap: (maxSpatialLayer: number) => void): void {
  if (producer.kind !== 'video' || producer.type !== 'simulcast') return;
  const top = spatialTop(producer);
  if (top === 0) return;
  const decider = new CapDecider(top);
  let lastSentAt: number | undefined;
  const timer = setInterval(() => {
    if (producer.closed) return;
    const list = consumersOf().filter((c) => !c.consumer.closed);
    // Nobody watching: keep every layer (the next receiver should not wait for a layer to start).
    const demand = list.length === 0 ? top : Math.max(...list.map(({ consumer: c, onWebRtc }) => consumerDemand({ paused: c.paused, producerPaused: c.producerPaused, preferredSpatial: c.preferredLayers?.spatialLayer, currentSpatial: c.currentLayers?.spatialLayer, onWebRtc }, top)));
    const now = Date.now();
    const next = decider.update(demand, now);
    if (next !== undefined || (lastSentAt !== undefined && now - lastSentAt >= SENDER_CAP.repeatMs)) {
      lastSentAt = now;
      onCap(decider.value);
    }
  }, SENDER_CAP.everyMs);
  timer.unref?.();
  producer.observer.once('close', () => clearInterval(timer));
}
