// The room's quality numbers: the bars, the tooltip and the report to the API come from one
// tracker (room-quality.ts over quality/), so what a person sees is what the marketplace reads.
import { describe, expect, it, vi } from 'vitest';
import { RoomExtras } from '../src/room-extras.ts';
import { browserName, detailOf, levelOf, reportOf, RoomQuality } from '../src/room-quality.ts';
import { qualityTooltip } from '../src/ui/room-header.tsx';
import type { QualitySummary } from '../src/quality/index.ts';

const summary = (over: Partial<QualitySummary> = {}): QualitySummary => ({
  durationMs: 10_000, samples: 6, audioConcealedPct: 1, audioAudibleConcealedPct: 0.5, audioLossPct: 0.5, videoLossPct: 1,
  videoFps: 25, videoHeight: { median: 720, min: 360 }, freezeCount: 0, freezeMs: 0, stallCount: 0, stallMs: 0,
  timeToFirstFrameMs: 300, mediaBackMs: null, rttMs: { median: 40, p90: 60 }, sentHeight: 720,
  path: { candidateType: 'relay', protocol: 'udp', relayProtocol: 'tls' }, ...over,
});

/** A getStats report of a receiving connection at `t` seconds (counters grow with time). */
function report(t: number, concealedPerSec: number): Record<string, unknown>[] {
  return [
    { id: 'a', type: 'inbound-rtp', kind: 'audio', timestamp: t * 1000, packetsReceived: 50 * t, packetsLost: 0, totalSamplesReceived: 48_000 * t, concealedSamples: concealedPerSec * t, silentConcealedSamples: 0 },
    { id: 'v', type: 'inbound-rtp', kind: 'video', timestamp: t * 1000, framesDecoded: 25 * t, packetsReceived: 100 * t, packetsLost: 0, frameWidth: 640, frameHeight: 480, freezeCount: 0, totalFreezesDuration: 0 },
    { id: 't', type: 'transport', selectedCandidatePairId: 'p' },
    { id: 'p', type: 'candidate-pair', localCandidateId: 'l', remoteCandidateId: 'r', currentRoundTripTime: 0.05 },
    { id: 'l', type: 'local-candidate', candidateType: 'host', protocol: 'tcp' },
  ];
}

describe('room quality', () => {
  it('good / fair / poor from concealment, freezes, loss and round trip', () => {
    expect(levelOf(summary())).toBe('good');
    expect(levelOf(summary({ audioAudibleConcealedPct: 5 }))).toBe('fair');
    expect(levelOf(summary({ freezeCount: 1, freezeMs: 500 }))).toBe('fair');
    expect(levelOf(summary({ rttMs: { median: 700, p90: 900 } }))).toBe('poor');
    expect(levelOf(summary({ videoLossPct: 15 }))).toBe('poor');
    expect(levelOf(summary({ samples: 1 }))).toBe('unknown');
  });

  it('the report the API validates: bounded, the path named (relay over TLS)', () => {
    const r = reportOf(summary({ audioConcealedPct: 150, videoFps: 1000, freezeMs: 3456 }), 'p2p', 'Chrome 131');
    expect(r).toMatchObject({ mode: 'p2p', path: { type: 'relay', protocol: 'tls' }, audio_concealment_pct: 100, video_fps: 240, freeze_seconds: 3.5, video_height: 720, duration_seconds: 10 });
  });

  it('the tooltip says the same numbers in words', () => {
    const text = qualityTooltip(detailOf(summary()));
    expect(text).toContain('round trip 40 ms');
    expect(text).toContain('sound filled in 1 %');
    expect(text).toContain('through a relay (TLS)');
  });

  it('browser names', () => {
    expect(browserName('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36')).toBe('Chrome 131');
    expect(browserName('Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0')).toBe('Firefox 128');
    expect(browserName('Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15')).toBe('Safari 17');
    expect(browserName('curl/8')).toBe('unknown');
  });

  it('samples → the recent level and the lesson report (concealment shows as fair)', () => {
    const q = new RoomQuality();
    for (let t = 1; t <= 6; t++) q.add([report(t, 48_000 * 0.05) as never], t * 1000);
    expect(q.recent(6000).level).toBe('fair'); // 5 % of the sound made up
    const r = q.report('sfu', 'Chrome 131')!;
    expect(r.audio_concealment_pct).toBe(5);
    expect(r.path).toEqual({ type: 'host', protocol: 'tcp' });
    expect(r.rtt_ms).toEqual({ median: 50, p90: 50 });
    expect(r.freeze_count).toBe(0);
  });
});

describe('the room reports its quality', () => {
  it('samples while open, sends the final report once at close (and not again on pagehide), with the mode media had', async () => {
    vi.useFakeTimers();
    try {
      const sent: any[] = [];
      const api = { notes: async () => ({ text: '' }), resources: async () => [], saveNotes: async () => undefined, quality: async (r: unknown) => void sent.push(r) };
      const extras = new RoomExtras(api as never, null);
      let t = 0;
      let mode: 'p2p' | 'sfu' | null = 'p2p';
      extras.open(
        async () => ({ videoFramesDecoded: 50 * t, videoFrameWidth: 640, audioPacketsReceived: 100 * t, audioLevel: 0.1, selectedPair: null }),
        () => ({ audio: true, video: true }),
        { rawStats: async () => [report(t, 0) as never], mode: () => mode },
      );
      for (t = 1; t <= 4; t++) await vi.advanceTimersByTimeAsync(2000);
      expect(extras.state.get().quality).toBe('good');
      expect(extras.state.get().qualityDetail?.path).toEqual({ relay: false, protocol: 'tcp' });
      mode = null; // the session is gone by the time the room unmounts
      extras.close();
      globalThis.dispatchEvent(new Event('pagehide'));
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ final: true, mode: 'p2p', path: { type: 'host', protocol: 'tcp' } });
    } finally {
      vi.useRealTimers();
    }
  });
});
