// sender-cap.ts, its policy: which spatial layers a simulcast sender keeps for its consumers.
// (The real path, Chromium encodings turned off and on in the network lab: web/test/e2e/sender-cap.e2e.test.ts.)
import { describe, expect, it } from 'vitest';
import { CapDecider, consumerDemand } from '../src/sender-cap.ts';

const c = (o: Partial<Parameters<typeof consumerDemand>[0]>) => ({ paused: false, producerPaused: false, onWebRtc: true, ...o });

describe('consumerDemand', () => {
  it('a receiver on layer 0 needs layer 1 kept (room to climb), never above the loss cap', () => {
    expect(consumerDemand(c({ currentSpatial: 0 }), 2)).toBe(1);
    expect(consumerDemand(c({ currentSpatial: 1 }), 2)).toBe(2);
    expect(consumerDemand(c({ currentSpatial: 0, preferredSpatial: 0 }), 2)).toBe(0);
    expect(consumerDemand(c({ currentSpatial: 2, preferredSpatial: 1 }), 2)).toBe(1);
  });
  it('no layer flowing yet: everything up to the cap; paused: nothing above 0; the recorder: the top', () => {
    expect(consumerDemand(c({}), 2)).toBe(2);
    expect(consumerDemand(c({ paused: true, currentSpatial: 2 }), 2)).toBe(0);
    expect(consumerDemand(c({ onWebRtc: false, currentSpatial: 0, preferredSpatial: 0 }), 2)).toBe(2);
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
});
