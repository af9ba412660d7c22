import { describe, expect, it } from 'vitest';
import { summarize } from '../src/media/stats.ts';

const report = (entries: Record<string, unknown>[]) => new Map(entries.map((e) => [e.id as string, e])) as unknown as RTCStatsReport;

describe('summarize', () => {
  it('adds up decoded video and received audio and reports the selected pair', () => {
    const s = summarize([
      report([
        { id: 'v', type: 'inbound-rtp', kind: 'video', framesDecoded: 40, frameWidth: 640 },
        { id: 'a', type: 'inbound-rtp', kind: 'audio', packetsReceived: 120, audioLevel: 0.2 },
        { id: 't', type: 'transport', selectedCandidatePairId: 'p' },
        { id: 'p', type: 'candidate-pair', localCandidateId: 'l', remoteCandidateId: 'r', state: 'succeeded', nominated: true },
        { id: 'l', type: 'local-candidate', address: '127.0.0.1', port: 5000, protocol: 'udp', candidateType: 'host' },
        { id: 'r', type: 'remote-candidate', address: '127.0.0.1', port: 40000, protocol: 'udp', candidateType: 'host' },
      ]),
      report([{ id: 'v2', type: 'inbound-rtp', kind: 'video', framesDecoded: 2, frameWidth: 320 }]),
    ]);
    expect(s).toEqual({
      videoFramesDecoded: 42,
      videoFrameWidth: 640,
      audioPacketsReceived: 120,
      audioLevel: 0.2,
      selectedPair: {
        local: { address: '127.0.0.1', port: 5000, protocol: 'udp', candidateType: 'host' },
        remote: { address: '127.0.0.1', port: 40000, protocol: 'udp', candidateType: 'host' },
      },
    });
  });

  it('falls back to the nominated pair and reports nothing when nothing flows', () => {
    const s = summarize([
      report([
        { id: 'p', type: 'candidate-pair', localCandidateId: 'l', remoteCandidateId: 'r', state: 'succeeded', nominated: true },
        { id: 'l', type: 'local-candidate', ip: '127.0.0.1', port: 1, protocol: 'tcp', candidateType: 'host' },
        { id: 'r', type: 'remote-candidate', ip: '127.0.0.1', port: 2, protocol: 'tcp', candidateType: 'host' },
      ]),
    ]);
    expect(s.videoFramesDecoded).toBe(0);
    expect(s.selectedPair?.local).toMatchObject({ address: '127.0.0.1', protocol: 'tcp' });
    expect(summarize([]).selectedPair).toBeNull();
  });
});
