// sender-cap.ts, its policy: which spatial layers a simulcast sender keeps for its consumers.
// (The real path, Chromium encodings turned off and on in the network lab: web/test/e2e/sender-cap.e2e.test.ts.)
import { describe, expect, it } from 'vitest';
import { CapDecider, consumerDemand, SENDER_CAP, SenderLimit } from '../src/sender-cap.ts';

const c = (o: Partial<Parameters<typeof consumerDemand>[0]>) => ({ paused: false, producerPaused: false, onWebRtc: true, ...o });

describe('consumerDemand', () => {
  it('a receiver on layer 0 needs layer 1 kept (room to climb), never above the loss cap', () => {
    expect(consumerDemand(c({ currentSpatial: 0 }), 2)).toBe(1);
    expect(consumerDemand(c({ currentSpatial: 1 }), 2)).toBe(2);
    expect(consumerDemand(c({ currentSpatial: 0, preferredSpatial: 0 }), 2)).toBe(0);
    expect(consumerDemand(c({ currentSpatial: 2, preferredSpatial: 1 }), 2)).toBe(1);
  });
  it('keeps no room to climb above what the sender can send', () => {
    expect(consumerDemand(c({ currentSpatial: 0 }), 2, 0)).toBe(0);
    expect(consumerDemand(c({ currentSpatial: 1 }), 2, 1)).toBe(1);
    expect(consumerDemand(c({ currentSpatial: 0 }), 2, 1)).toBe(1);
    expect(consumerDemand(c({}), 2, 0)).toBe(2); // nothing flowing yet: no judgement
  });
  it('no layer flowing yet: everything up to the cap; paused: nothing above 0; the recorder: the top', () => {
    expect(consumerDemand(c({}), 2)).toBe(2);
    expect(consumerDemand(c({ paused: true, currentSpatial: 2 }), 2)).toBe(0);
    expect(consumerDemand(c({ onWebRtc: false, currentSpatial: 0, preferredSpatial: 0 }), 2)).toBe(2);
  });
});

describe('SenderLimit', () => {
  // One interval per second; `per` the packets each layer sent in it (bottom first).
  const run = (l: SenderLimit, totals: number[], per: number[], allowed: number, from: number, seconds: number) => {
    const seen: number[] = [];
    for (let t = 1; t <= seconds; t++) {
      per.forEach((n, i) => (totals[i] = totals[i]! + n));
      seen.push(l.update([...totals], allowed, from + t * 1000));
    }
    return seen;
  };

  it('a layer allowed but silent while the one below flows is sender-limited after silentMs; offered again after retryMs, doubling', () => {
    const l = new SenderLimit(2, 0);
    const totals = [0, 0, 0];
    const value: number[] = [];
    // The browser sends 180p only: 360p and 720p are allowed but silent (a probing browser sends
    // a couple of 360p packets now and then). The cap the sender is told follows the limit.
    for (let t = 1; t <= 80; t++) {
      [22, t % 5 === 0 ? 2 : 0, 0].forEach((n, i) => (totals[i] = totals[i]! + n));
      value[t] = l.update([...totals], value[t - 1] ?? 2, t * 1000);
    }
    const silent = SENDER_CAP.silentMs / 1000, retry = SENDER_CAP.retryMs / 1000;
    expect(value.slice(1, silent)).toEqual(Array(silent - 1).fill(2));
    expect(value[silent]).toBe(0); // silent since the start
    expect(value.slice(silent + 1, silent + retry)).toEqual(Array(retry - 1).fill(0));
    expect(value[silent + retry]).toBe(2); // offered again
    const givenUp = silent + retry + silent; // silent again for silentMs
    expect(value[givenUp - 1]).toBe(2);
    expect(value[givenUp]).toBe(0);
    // The next offer waits twice as long.
    expect(value.slice(givenUp + 1, givenUp + 2 * retry)).toEqual(Array(2 * retry - 1).fill(0));
    expect(value[givenUp + 2 * retry]).toBe(2);
  });

  it('a layer that flows is never limited; a retry that holds resets the backoff', () => {
    const l = new SenderLimit(2, 0);
    const totals = [0, 0, 0];
    expect(run(l, totals, [22, 45, 90], 2, 0, 30).every((v) => v === 2)).toBe(true);
    // Not allowed (the receiver's cap): not judged.
    expect(run(l, totals, [22, 45, 0], 1, 30_000, 30).every((v) => v === 2)).toBe(true);
    // Nothing flows at all (camera off): not judged either.
    expect(run(l, totals, [0, 0, 0], 2, 60_000, 30).every((v) => v === 2)).toBe(true);
  });
});

describe('CapDecider', () => {
  it('goes down only after the demand stayed lower for holdMs, up at once', () => {
    const d = new CapDecider(2, 4_000);
    expect(d.update(0, 0)).toBeUndefined();
    expect(d.update(0, 3_999)).toBeUndefined();
    expect(d.update(0, 4_000)).toBe(0);
    expect(d.update(0, 5_000)).toBeUndefined();
    expect(d.update(2, 5_500)).toBe(2);
    expect(d.value).toBe(2);
  });
  it('a demand that bounces back resets the hold; out-of-range demands are clamped', () => {
    const d = new CapDecider(2, 4_000);
    d.update(1, 0);
    expect(d.update(2, 3_000)).toBeUndefined();
    expect(d.update(1, 5_000)).toBeUndefined();
    expect(d.update(1, 9_000)).toBe(1);
    expect(d.update(99, 9_100)).toBe(2);
    d.update(-5, 10_000);
    expect(d.update(-5, 14_000)).toBe(0);
  });
  it('a hold of 0 lowers at once (the sender limit waited already)', () => {
    const d = new CapDecider(2, 4_000);
    expect(d.update(0, 0, 0)).toBe(0);
  });
});
