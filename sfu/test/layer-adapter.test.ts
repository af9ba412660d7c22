// layer-adapter.ts, its policy: what a receiver's loss reports do to a simulcast consumer's layer.
// (The real path, mediasoup with browsers on a lossy link, is measured by deploy/bench/network.)
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { types } from 'mediasoup';
import { adaptLayers, LAYER_ADAPT } from '../src/layer-adapter.ts';

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
});
