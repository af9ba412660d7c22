import { describe, expect, it } from 'vitest';
import { buildSdp } from '../src/sdp.ts';

describe('buildSdp', () => {
  it('describes one video and one audio stream for FFmpeg', () => {
    const sdp = buildSdp([
      { kind: 'video', port: 5006, codec: { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 } },
      { kind: 'audio', port: 5004, codec: { mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2, parameters: { minptime: 10, useinbandfec: 1 } } },
    ]);
    expect(sdp).toBe(
      [
        'v=0',
        'o=- 0 0 IN IP4 127.0.0.1',
        's=duet-recording',
        'c=IN IP4 127.0.0.1',
        't=0 0',
        'm=video 5006 RTP/AVP 101',
        'a=rtpmap:101 VP8/90000',
        'a=sendonly',
        'm=audio 5004 RTP/AVP 100',
        'a=rtpmap:100 opus/48000/2',
        'a=fmtp:100 minptime=10;useinbandfec=1',
        'a=sendonly',
        '',
      ].join('\n'),
    );
  });

  it('rejects what FFmpeg could not copy', () => {
    expect(() => buildSdp([])).toThrow(/at least one/);
    expect(() => buildSdp([{ kind: 'video', port: 5006, codec: { mimeType: 'video/AV2', payloadType: 1, clockRate: 90000 } }])).toThrow(/cannot record/);
    expect(() => buildSdp([{ kind: 'audio', port: 80, codec: { mimeType: 'audio/opus', payloadType: 1, clockRate: 48000 } }])).toThrow(/invalid RTP port/);
  });
});
