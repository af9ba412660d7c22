// layer-adapter.ts, its policy: what a receiver's loss reports do to a simulcast consumer's layer.
// (The real path, mediasoup with browsers on a lossy link, is measured by deploy/bench/network.)
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { types } from 'mediasoup';
import { adaptLayers, layerCeilings, layerForBandwidth, LAYER_ADAPT } from '../src/layer-adapter.ts';

function consumer() {
  const c = {
    type: 'simulcast',
    kind: 'video',
    closed: false,
    rtpParameters: { encodings: [{ ssrc: 1, scalabilityMode: 'L3T3' }] },
    currentLayers: { spatialLayer: 2, temporalLayer: 2 } as { spatialLayer: number; temporalLayer: number } | undefined,
    observer: new EventEmitter(),
    preferred: [] as number[],
    stat: { type: 'outbound-rtp', packetCount: 0, nackPacketCount: 0, pliCount: 0, fractionLost: 0 },
    async getStats() {
      return [{ ...c.stat }];
    },
    async setPreferredLayers({ spatialLayer }: { spatialLayer: number }) {
      c.preferred.push(spatialLayer);
      c.currentLayers = { spatialLayer, temporalLayer: 2 };
    },
  };
  return c;
}

async function interval(c: ReturnType<typeof consumer>, packets: number, nacked: number, plis = 0): Promise<void> {
  c.stat = { ...c.stat, packetCount: c.stat.packetCount + packets, nackPacketCount: c.stat.nackPacketCount + nacked, pliCount: c.stat.pliCount + plis };
  await vi.advanceTimersByTimeAsync(LAYER_ADAPT.everyMs);
}

afterEach(() => vi.useRealTimers());

describe('layer adapter', () => {
  it('steps down a layer per lossy interval, and back up one after a clean spell', async () => {
    vi.useFakeTimers();
    const c = consumer();
    adaptLayers(c as unknown as types.Consumer);
    await interval(c, 1000, 0); // first reading: the baseline
    await interval(c, 1000, 200); // 20 % NACKed
    expect(c.preferred).toEqual([1]);
    await interval(c, 1000, 150);
    expect(c.preferred).toEqual([1, 0]);
    await interval(c, 1000, 150); // already at the bottom
    expect(c.preferred).toEqual([1, 0]);
    for (let i = 0; i < LAYER_ADAPT.cleanIntervals; i++) await interval(c, 1000, 5);
    expect(c.preferred).toEqual([1, 0, 1]);
    await interval(c, 1000, 0, 3); // picture loss requests count as lossy too
    expect(c.preferred).toEqual([1, 0, 1, 0]);
    c.observer.emit('close');
  });

  it('leaves single-stream and audio consumers alone', async () => {
    vi.useFakeTimers();
    const c = { ...consumer(), type: 'simple' };
    adaptLayers(c as unknown as types.Consumer);
    await interval(c as ReturnType<typeof consumer>, 1000, 500);
    expect(c.preferred).toEqual([]);
  });

  it('starts a consumer on the layers whose ceiling fits the start estimate, follows the estimate while starting, then lets go', async () => {
    vi.useFakeTimers();
    const c = consumer();
    const ceilings = [150_000, 500_000, 1_500_000];
    let estimate: number | undefined;
    adaptLayers(c as unknown as types.Consumer, { layerBitrates: ceilings, startBitrate: 1_000_000, estimate: async () => estimate });
    await vi.advanceTimersByTimeAsync(0);
    // 1 Mbit/s leaves 800 kbit/s for video: 360p (500 kbit/s ceiling), not 720p (1.5 Mbit/s).
    expect(c.preferred).toEqual([1]);
    estimate = 300_000; // a thin link measured: only 180p fits
    await interval(c, 100, 0);
    expect(c.preferred).toEqual([1, 0]);
    estimate = 3_000_000;
    await interval(c, 100, 0);
    expect(c.preferred).toEqual([1, 0, 2]);
    estimate = 300_000;
    await interval(c, 100, 0); // the last starting interval
    expect(c.preferred).toEqual([1, 0, 2, 0]);
    await interval(c, 100, 0); // start over: mediasoup's own choice (and the loss cap) from here
    expect(c.preferred).toEqual([1, 0, 2, 0, 2]);
    await interval(c, 100, 30); // lossy: the loss cap still steps down
    expect(c.preferred).toEqual([1, 0, 2, 0, 2, 1]);
    c.observer.emit('close');
  });

  it('prices layers at their ceilings, and needs one for every layer', () => {
    const ceilings = [150_000, 500_000, 1_500_000];
    expect(layerForBandwidth(100_000, ceilings)).toBe(0); // never below the bottom layer
    expect(layerForBandwidth(625_000, ceilings)).toBe(1); // 500 kbit/s is 80 % of 625
    expect(layerForBandwidth(624_000, ceilings)).toBe(0);
    expect(layerForBandwidth(1_875_000, ceilings)).toBe(2);
    const params = (encodings: Array<{ maxBitrate?: number }>) => ({ rtpParameters: { codecs: [], encodings } as unknown as types.RtpParameters });
    expect(layerCeilings(params([{ maxBitrate: 150_000 }, { maxBitrate: 500_000 }]))).toEqual([150_000, 500_000]);
    expect(layerCeilings(params([{ maxBitrate: 150_000 }, {}]))).toBeUndefined();
    expect(layerCeilings(params([{ maxBitrate: 150_000 }]))).toBeUndefined(); // not simulcast
  });
});
