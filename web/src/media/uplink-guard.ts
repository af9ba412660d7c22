// A cap on what the camera sends through the SFU when this side's own uplink is overfilled.
//
// Why: on a thin uplink (the lab's `mobile`, 300 kbit/s) Chromium's send-side estimate over the
// media node's transport-wide feedback settles near 1.5x what gets through (~500 kbit/s) and
// stays there, so the browser keeps the link's queue full: round trip 350-600 ms instead of
// ~130, 15-35 % of the video lost at the node, the other side's picture freezing. The same
// browser against another browser (P2P) tracks the link (~230 kbit/s). Capping the camera below
// the link empties the queue at once (docs/network-lab.md, "The SFU uplink guard").
//
// The signal is the one a full queue gives and random loss does not: the far end reports loss
// *and* the round trip has grown well above the lowest seen. On a lossy link with no queue
// (`lossy`, `loss20`) the round trip stays at its floor and nothing is capped. A queue that was
// full from the first sample has no lower round trip to compare with: loss with a long round
// trip (>= 250 ms) is then tested by a decrease; if the round trip falls by a quarter the cap
// stays (and the floor is learnt), else it is lifted and not tried again for 30 s.
//
// One sample a second: decrease to 70 % of what the camera sent after two congested samples
// (then wait 3 s for the queue to drain), increase by 15 % after five clear ones, remove the cap
// once it is above what the camera may send anyway.
import { selectedPair } from '../quality/selected-pair.ts';

export interface UplinkSample {
  /** The selected candidate pair's current round trip, ms. */
  rttMs: number | null;
  /** The worst fraction lost the far end reports for the camera's streams, percent. */
  lossPct: number | null;
  /** What the camera sent in the last second, bits/s (retransmissions excluded). */
  sentBps: number;
}

export const UPLINK_GUARD = {
  /** Never below this: a 180p picture still moves. */
  floorBps: 64_000,
  /** Loss that counts as congestion, with a grown round trip. */
  congestedLossPct: 5,
  /** Round trip that counts as grown: above both factor x lowest and lowest + margin. */
  rttFactor: 1.6,
  rttMarginMs: 60,
  /** Loss with a round trip this long but not grown (no floor known): tested by a decrease. */
  suspectRttMs: 250,
  suspectToTest: 3,
  /** A test decrease is confirmed when the round trip falls to this share of what it was. */
  testConfirmShare: 0.75,
  /** Samples between two tests that were not confirmed. */
  retestAfter: 30,
  /** Clear: loss below this and the round trip back near its floor. */
  clearLossPct: 2,
  clearRttFactor: 1.3,
  clearRttMarginMs: 30,
  decreaseTo: 0.7,
  increaseBy: 1.15,
  congestedToDecrease: 2,
  clearToIncrease: 5,
  /** Samples after a decrease before the next one (the queue drains first). */
  holdAfterDecrease: 3,
  /** How many samples the lowest round trip is taken over. */
  rttWindow: 60,
} as const;

export class UplinkGuard {
  /** The current cap, bits/s; null: none. */
  cap: number | null = null;
  private readonly ceilingBps: number;
  private rtts: number[] = [];
  private congested = 0;
  private suspect = 0;
  private clear = 0;
  private hold = 0;
  /** A test decrease in flight: the round trip before it, and samples left until it is judged. */
  private test: { rttBefore: number; left: number } | undefined;
  private sinceTest = Infinity;

  /** `ceilingBps`: the most the camera may send anyway (its encodings' maxBitrate summed). */
  constructor(ceilingBps: number) {
    this.ceilingBps = ceilingBps;
  }

  /** Feeds one sample; returns the new cap when it changed (null: removed), else undefined. */
  update(s: UplinkSample): number | null | undefined {
    const g = UPLINK_GUARD;
    if (s.rttMs === null || !Number.isFinite(s.rttMs)) return undefined;
    this.sinceTest++;
    if (this.test && --this.test.left <= 0) {
      const confirmed = s.rttMs <= this.test.rttBefore * g.testConfirmShare;
      this.test = undefined;
      if (!confirmed) {
        this.rtts.push(s.rttMs);
        this.cap = null;
        return null;
      }
    }
    this.rtts.push(s.rttMs);
    if (this.rtts.length > g.rttWindow) this.rtts.shift();
    const floor = Math.min(...this.rtts);
    const loss = s.lossPct ?? 0;
    const grown = s.rttMs >= Math.max(floor * g.rttFactor, floor + g.rttMarginMs);
    const settled = s.rttMs <= Math.max(floor * g.clearRttFactor, floor + g.clearRttMarginMs);
    if (this.hold > 0) this.hold--;
    if (this.test) return undefined;
    if (loss >= g.congestedLossPct && (grown || s.rttMs >= g.suspectRttMs)) {
      this.clear = 0;
      if (!grown) {
        // No lower round trip to compare with: try a decrease and watch the round trip.
        this.congested = 0;
        if (this.cap !== null || ++this.suspect < g.suspectToTest || this.sinceTest < g.retestAfter || s.sentBps <= 0) return undefined;
        this.suspect = 0;
        this.sinceTest = 0;
        this.test = { rttBefore: s.rttMs, left: g.holdAfterDecrease };
        return this.decrease(s.sentBps);
      }
      this.suspect = 0;
      // While the queue drains after a decrease, its seconds are no evidence either way.
      if (this.hold > 0) return void (this.congested = 0);
      if (++this.congested < g.congestedToDecrease) return undefined;
      this.congested = 0;
      if (this.cap === null && s.sentBps <= 0) return undefined; // nothing sent: nothing to go by
      return this.decrease(s.sentBps);
    }
    this.congested = 0;
    this.suspect = 0;
    if (this.cap === null || loss >= g.clearLossPct || !settled) {
      this.clear = 0;
      return undefined;
    }
    if (++this.clear < g.clearToIncrease) return undefined;
    this.clear = 0;
    const next = Math.round(this.cap * g.increaseBy);
    this.cap = next >= this.ceilingBps ? null : next;
    return this.cap;
  }

  private decrease(sentBps: number): number | undefined {
    const g = UPLINK_GUARD;
    this.hold = g.holdAfterDecrease;
    const base = this.cap === null ? sentBps : Math.min(this.cap, sentBps > 0 ? sentBps : this.cap);
    const next = Math.max(g.floorBps, Math.round(base * g.decreaseTo));
    if (next === this.cap) return undefined;
    this.cap = next;
    return next;
  }
}

/** One encoding's send limits: whether it is sent, and its bitrate ceiling. */
export interface EncodingLimit {
  active: boolean;
  maxBitrate: number | undefined;
}

/** Below this share of its own ceiling, a layer above the lowest is not worth sending. */
const MIN_LAYER_SHARE = 0.3;

/**
 * The camera's encodings under the node's layer cap (`maxSpatialLayer`, sender-cap.ts) and this
 * side's bitrate cap: the cap is given out lowest layer first (Chromium fills layers in that
 * order); a higher layer left with less than 30 % of its ceiling is turned off, and the lowest
 * always stays on.
 */
export function limitEncodings(ceilings: Array<number | undefined>, maxSpatialLayer: number, capBps: number | null): EncodingLimit[] {
  let left = capBps ?? Infinity;
  let on = true;
  return ceilings.map((ceiling, i) => {
    if (i > 0 && (i > maxSpatialLayer || !on)) return { active: false, maxBitrate: ceiling };
    if (capBps === null) return { active: true, maxBitrate: ceiling };
    const share = Math.min(ceiling ?? Infinity, left);
    if (i > 0 && share < (ceiling ?? capBps) * MIN_LAYER_SHARE) {
      on = false;
      return { active: false, maxBitrate: ceiling };
    }
    left -= share;
    return { active: true, maxBitrate: Math.round(share) };
  });
}

/** The guard's sample from the send transport's getStats(), given the previous one (for rates). */
export function uplinkSample(report: RTCStatsReport, previous: { at: number; bytes: number } | undefined, at: number): { sample: UplinkSample; bytes: number } {
  let rtt: number | null = null;
  let loss: number | null = null;
  let bytes = 0;
  const entries: Record<string, unknown>[] = [];
  report.forEach((s: Record<string, unknown>) => entries.push(s));
  const pair = selectedPair(entries);
  if (typeof pair?.currentRoundTripTime === 'number') rtt = pair.currentRoundTripTime * 1000;
  entries.forEach((s) => {
    if (s.type === 'remote-inbound-rtp' && s.kind === 'video' && typeof s.fractionLost === 'number') loss = Math.max(loss ?? 0, s.fractionLost * 100);
    if (s.type === 'outbound-rtp' && s.kind === 'video') bytes += Number(s.bytesSent ?? 0) - Number(s.retransmittedBytesSent ?? 0);
  });
  const dt = previous ? (at - previous.at) / 1000 : 0;
  const sentBps = previous && dt > 0 ? Math.max(0, ((bytes - previous.bytes) * 8) / dt) : 0;
  return { sample: { rttMs: rtt, lossPct: loss, sentBps }, bytes };
}
