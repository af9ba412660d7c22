// The SFU uplink guard's decisions (web/src/media/uplink-guard.ts), fed the per-second samples the
// lab's traces showed (deploy/bench/results/network-ab-trace): a full queue on a thin uplink,
// random loss without a queue, a long link without loss, and a queue full from the first second.
import { describe, expect, it } from 'vitest';
import { limitEncodings, UPLINK_GUARD, UplinkGuard, uplinkSample, type UplinkSample } from '../src/media/uplink-guard.ts';

const CEILING = 2_150_000;
const feed = (g: UplinkGuard, samples: UplinkSample[]) => samples.map((s) => g.update(s));
const repeat = (n: number, s: UplinkSample) => Array.from({ length: n }, () => ({ ...s }));

describe('UplinkGuard', () => {
  it('a queue that fills after the link was seen empty: decreases to 70 % of what was sent, holds, then climbs back and lets go', () => {
    const g = new UplinkGuard(CEILING);
    expect(feed(g, repeat(5, { rttMs: 120, lossPct: 0, sentBps: 250_000 }))).toEqual(Array(5).fill(undefined));
    // One congested second is not enough; the second one decreases.
    expect(g.update({ rttMs: 400, lossPct: 20, sentBps: 240_000 })).toBeUndefined();
    expect(g.update({ rttMs: 420, lossPct: 25, sentBps: 240_000 })).toBe(168_000);
    // Held while the queue drains, even if still congested.
    expect(feed(g, repeat(2, { rttMs: 400, lossPct: 20, sentBps: 200_000 }))).toEqual([undefined, undefined]);
    // Still congested after the hold: down again from the cap (what was sent is above it).
    expect(g.update({ rttMs: 380, lossPct: 15, sentBps: 200_000 })).toBeUndefined();
    expect(g.update({ rttMs: 390, lossPct: 15, sentBps: 200_000 })).toBe(117_600);
    // Clear: five seconds back near the floor, then +15 % per five seconds.
    const clear = feed(g, repeat(10, { rttMs: 130, lossPct: 0, sentBps: 110_000 }));
    expect(clear.filter((x) => x !== undefined)).toEqual([135_240, 155_526]);
    // Loss without a grown round trip is not clear, but not congestion either: nothing moves.
    expect(feed(g, repeat(6, { rttMs: 130, lossPct: 3, sentBps: 150_000 })).every((x) => x === undefined)).toBe(true);
    // Long clear: climbs until it reaches the ceiling, then the cap is removed.
    const all = feed(g, repeat(200, { rttMs: 125, lossPct: 0, sentBps: 150_000 })).filter((x) => x !== undefined);
    expect(all.at(-1)).toBeNull();
    expect(g.cap).toBeNull();
  });

  it('never goes below the floor', () => {
    const g = new UplinkGuard(CEILING);
    feed(g, repeat(3, { rttMs: 100, lossPct: 0, sentBps: 80_000 }));
    const caps = feed(g, repeat(30, { rttMs: 500, lossPct: 30, sentBps: 80_000 })).filter((x) => x !== undefined);
    expect(caps[0]).toBe(UPLINK_GUARD.floorBps);
    expect(caps).toEqual([UPLINK_GUARD.floorBps]);
  });

  it('random loss with no queue (loss20: the round trip stays at its floor) is never capped', () => {
    const g = new UplinkGuard(CEILING);
    const out = feed(g, Array.from({ length: 120 }, (_, i) => ({ rttMs: 2 + (i % 3), lossPct: 15 + (i % 10), sentBps: 1_200_000 })));
    expect(out.every((x) => x === undefined)).toBe(true);
    expect(g.cap).toBeNull();
  });

  it('a long link without loss (far: 300 ms) is never capped', () => {
    const g = new UplinkGuard(CEILING);
    expect(feed(g, repeat(60, { rttMs: 300, lossPct: 0, sentBps: 1_500_000 })).every((x) => x === undefined)).toBe(true);
  });

  it('a queue full from the first second: a test decrease, kept when the round trip falls', () => {
    const g = new UplinkGuard(CEILING);
    // No floor to compare with: 380-420 ms throughout, with loss.
    const before = feed(g, [
      { rttMs: 400, lossPct: 20, sentBps: 260_000 },
      { rttMs: 390, lossPct: 25, sentBps: 260_000 },
      { rttMs: 410, lossPct: 22, sentBps: 260_000 },
    ]);
    expect(before).toEqual([undefined, undefined, 182_000]);
    // The queue drains: 3 samples later the round trip is under 75 % of before, the cap stays.
    expect(feed(g, [
      { rttMs: 250, lossPct: 5, sentBps: 180_000 },
      { rttMs: 140, lossPct: 0, sentBps: 180_000 },
      { rttMs: 130, lossPct: 0, sentBps: 180_000 },
    ])).toEqual([undefined, undefined, undefined]);
    expect(g.cap).toBe(182_000);
    // And the floor is learnt: the queue filling again is congestion at once (two samples).
    feed(g, repeat(2, { rttMs: 125, lossPct: 0, sentBps: 180_000 }));
    expect(feed(g, repeat(2, { rttMs: 390, lossPct: 20, sentBps: 180_000 }))).toEqual([undefined, 126_000]);
  });

  it('a long link with random loss: the test decrease does not shorten the round trip, so the cap is lifted and not retried for 30 s', () => {
    const g = new UplinkGuard(CEILING);
    const s = { rttMs: 300, lossPct: 20, sentBps: 1_000_000 };
    expect(feed(g, repeat(3, s))).toEqual([undefined, undefined, 700_000]);
    expect(feed(g, repeat(3, s))).toEqual([undefined, undefined, null]);
    const next = feed(g, repeat(40, s));
    const tries = next.map((x, i) => [i, x]).filter(([, x]) => x !== undefined);
    // Retried only once 30 samples passed since the last test.
    expect(tries[0]![0]).toBeGreaterThanOrEqual(UPLINK_GUARD.retestAfter - 6);
    expect(tries[0]![1]).toBe(700_000);
  });

  it('a second without a round trip (no selected pair yet) decides nothing', () => {
    const g = new UplinkGuard(CEILING);
    expect(feed(g, repeat(5, { rttMs: null, lossPct: 50, sentBps: 300_000 })).every((x) => x === undefined)).toBe(true);
  });
});

describe('limitEncodings', () => {
  const SIMULCAST = [150_000, 500_000, 1_500_000];
  it('no bitrate cap: the node\'s layer cap alone', () => {
    expect(limitEncodings(SIMULCAST, Infinity, null)).toEqual(SIMULCAST.map((m) => ({ active: true, maxBitrate: m })));
    expect(limitEncodings(SIMULCAST, 0, null)).toEqual([{ active: true, maxBitrate: 150_000 }, { active: false, maxBitrate: 500_000 }, { active: false, maxBitrate: 1_500_000 }]);
  });
  it('a bitrate cap is given out lowest layer first; a layer left with under 30 % of its ceiling is off', () => {
    expect(limitEncodings(SIMULCAST, 2, 100_000)).toEqual([{ active: true, maxBitrate: 100_000 }, { active: false, maxBitrate: 500_000 }, { active: false, maxBitrate: 1_500_000 }]);
    expect(limitEncodings(SIMULCAST, 2, 400_000)).toEqual([{ active: true, maxBitrate: 150_000 }, { active: true, maxBitrate: 250_000 }, { active: false, maxBitrate: 1_500_000 }]);
    expect(limitEncodings(SIMULCAST, 2, 1_200_000)).toEqual([{ active: true, maxBitrate: 150_000 }, { active: true, maxBitrate: 500_000 }, { active: true, maxBitrate: 550_000 }]);
    // Both caps: the lower wins.
    expect(limitEncodings(SIMULCAST, 1, 1_200_000)).toEqual([{ active: true, maxBitrate: 150_000 }, { active: true, maxBitrate: 500_000 }, { active: false, maxBitrate: 1_500_000 }]);
  });
  it('one stream without a maxBitrate of its own takes the cap as its own', () => {
    expect(limitEncodings([undefined], Infinity, 200_000)).toEqual([{ active: true, maxBitrate: 200_000 }]);
    expect(limitEncodings([undefined], 0, null)).toEqual([{ active: true, maxBitrate: undefined }]);
  });
});

describe('uplinkSample', () => {
  const report = (entries: Record<string, unknown>[]) => new Map(entries.map((e) => [e.id as string, e])) as unknown as RTCStatsReport;
  it('reads the selected pair\'s round trip, the worst video loss and the camera\'s media bytes (retransmissions apart)', () => {
    const r = report([
      { id: 'T', type: 'transport', selectedCandidatePairId: 'P2' },
      { id: 'P1', type: 'candidate-pair', currentRoundTripTime: 0.05, nominated: true, state: 'succeeded' },
      { id: 'P2', type: 'candidate-pair', currentRoundTripTime: 0.4 },
      { id: 'R1', type: 'remote-inbound-rtp', kind: 'video', fractionLost: 0.1 },
      { id: 'R2', type: 'remote-inbound-rtp', kind: 'video', fractionLost: 0.25 },
      { id: 'R3', type: 'remote-inbound-rtp', kind: 'audio', fractionLost: 0.9 },
      { id: 'O1', type: 'outbound-rtp', kind: 'video', bytesSent: 30_000, retransmittedBytesSent: 5_000 },
      { id: 'O2', type: 'outbound-rtp', kind: 'video', bytesSent: 20_000 },
      { id: 'O3', type: 'outbound-rtp', kind: 'audio', bytesSent: 99_000 },
    ]);
    const first = uplinkSample(r, undefined, 1000);
    expect(first).toEqual({ sample: { rttMs: 400, lossPct: 25, sentBps: 0 }, bytes: 45_000 });
    const second = uplinkSample(r, { at: 0, bytes: 20_000 }, 2000);
    expect(second.sample.sentBps).toBe(100_000); // 25 kB in 2 s
  });
});
