// quality/: getStats entries -> samples -> the summary the lab tests, the bench and the room use.
import { describe, expect, it } from 'vitest';
import { qualitySample, QualityTracker, type StatsEntry } from '../src/quality/index.ts';

/** A receiver's report at `t` ms: audio and video counters as given. */
function report(t: number, a: { recv: number; total: number; concealed: number }, v: { frames: number; h: number; freezes?: number; freezeS?: number }): StatsEntry[] {
  return [
    { id: 'A', type: 'inbound-rtp', kind: 'audio', timestamp: t, packetsReceived: a.recv, packetsLost: 0, totalSamplesReceived: a.total, concealedSamples: a.concealed, silentConcealedSamples: 0 },
    { id: 'V', type: 'inbound-rtp', kind: 'video', timestamp: t, framesDecoded: v.frames, frameWidth: (v.h * 16) / 9, frameHeight: v.h, framesPerSecond: 30, packetsReceived: v.frames * 3, packetsLost: 0, ...(v.freezes !== undefined ? { freezeCount: v.freezes, totalFreezesDuration: v.freezeS } : {}) },
    { id: 'T', type: 'transport', timestamp: t, selectedCandidatePairId: 'P' },
    { id: 'P', type: 'candidate-pair', timestamp: t, currentRoundTripTime: 0.05, localCandidateId: 'L', availableOutgoingBitrate: 1e6 },
    { id: 'L', type: 'local-candidate', timestamp: t, candidateType: 'host', protocol: 'udp' },
  ];
}

describe('quality', () => {
  it('a sample reads counters, the picture, the round trip and the path', () => {
    const s = qualitySample([report(1000, { recv: 50, total: 48000, concealed: 480 }, { frames: 30, h: 720 })]);
    expect(s.at).toBe(1000);
    expect(s.audio?.concealedSamples).toBe(480);
    expect(s.video).toMatchObject({ framesDecoded: 30, height: 720, fps: 30, freezeCount: null });
    expect(s.rttMs).toBe(50);
    expect(s.path).toEqual({ candidateType: 'host', protocol: 'udp', relayProtocol: null });
  });

  it("the SFU's probation stream (padding, no frames) is not counted as video or its loss", () => {
    // As Chromium reports mediasoup-client's probator: gaps in the padding count as lost packets.
    const probation = (t: number, recv: number, lost: number): StatsEntry => ({ id: 'P1234', type: 'inbound-rtp', kind: 'video', mid: 'probator', ssrc: 1234, timestamp: t, framesDecoded: 0, packetsReceived: recv, packetsLost: lost, pliCount: recv / 10 });
    const q = new QualityTracker({ startAt: 0 });
    for (let t = 250; t <= 4000; t += 250) {
      const step = t / 250;
      q.add(qualitySample([[...report(t, { recv: step * 12, total: step * 12000, concealed: 0 }, { frames: step * 5, h: 720 }), probation(t, step * 40, step * 40)]]));
    }
    const s = q.summary();
    expect(s.videoLossPct).toBe(0);
    expect(s.videoHeight?.median).toBe(720);
    expect(qualitySample([[probation(1000, 100, 50)]]).video).toBeNull();
  });

  it('concealment %, fps, stalls, time to first frame and media back after an outage', () => {
    const q = new QualityTracker({ startAt: 0 });
    // 0.25 s steps: frames at 30 fps, 10 % of audio concealed; no frames and no audio 2 s..4 s (outage).
    let frames = 0, recv = 0, total = 0, concealed = 0;
    for (let t = 250; t <= 6000; t += 250) {
      const out = t > 2000 && t <= 4000;
      if (!out) (frames += 7.5, recv += 12);
      total += 12000;
      concealed += out ? 12000 : 1200;
      q.add(qualitySample([report(t, { recv, total, concealed }, { frames: Math.floor(frames), h: 720 })]));
    }
    q.markOutageEnd(3750);
    const s = q.summary();
    expect(s.timeToFirstFrameMs).toBe(250);
    expect(s.audioConcealedPct).toBeCloseTo(((8 * 12000 + 15 * 1200) / (23 * 12000)) * 100, 1);
    expect(s.stallCount).toBe(1);
    expect(s.stallMs).toBeGreaterThanOrEqual(2000);
    expect(s.freezeMs).toBe(s.stallMs); // no browser freeze figures: ours
    expect(s.videoHeight).toEqual({ median: 720, min: 720 });
    expect(s.mediaBackMs).toBe(500); // first step with media after 3750: 4250
    expect(s.rttMs).toEqual({ median: 50, p90: 50 });
  });

  it('counters that restart (a new connection) count from zero; browser freeze figures win', () => {
    const q = new QualityTracker();
    q.add(qualitySample([report(0, { recv: 1000, total: 480000, concealed: 0 }, { frames: 900, h: 720, freezes: 1, freezeS: 0.5 })]));
    q.add(qualitySample([report(1000, { recv: 1050, total: 528000, concealed: 0 }, { frames: 930, h: 720, freezes: 2, freezeS: 1.0 })]));
    q.add(qualitySample([report(2000, { recv: 50, total: 48000, concealed: 4800 }, { frames: 30, h: 360, freezes: 0, freezeS: 0 })]));
    const s = q.summary();
    expect(s.videoFps).toBe(30);
    expect(s.audioConcealedPct).toBe(5);
    expect(s.freezeCount).toBe(1);
    expect(s.freezeMs).toBe(500);
    expect(s.videoHeight).toEqual({ median: 720, min: 360 });
  });
});
