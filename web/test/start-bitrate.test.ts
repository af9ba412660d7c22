// The video start bitrate written into a remote description (P2P): every video codec's fmtp gets
// it, repair formats and audio do not, existing parameters and values are kept.
import { describe, expect, it } from 'vitest';
import { VIDEO_START_KBPS, withVideoStartBitrate } from '../src/media/start-bitrate.ts';

const SDP = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 nack',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:98 H264/90000',
  'a=fmtp:98 level-asymmetry-allowed=1;packetization-mode=1',
  'a=rtpmap:99 VP9/90000',
  'a=fmtp:99 profile-id=0;x-google-start-bitrate=300',
  '',
].join('\r\n');

describe('withVideoStartBitrate', () => {
  it('adds the start bitrate to video codecs only, keeping line endings and existing values', () => {
    const out = withVideoStartBitrate(SDP);
    const lines = out.split('\r\n');
    expect(out.endsWith('\r\n')).toBe(true);
    expect(lines).toContain(`a=fmtp:96 x-google-start-bitrate=${VIDEO_START_KBPS}`);
    expect(lines.indexOf(`a=fmtp:96 x-google-start-bitrate=${VIDEO_START_KBPS}`)).toBe(lines.indexOf('a=rtpmap:96 VP8/90000') + 1);
    expect(lines).toContain(`a=fmtp:98 level-asymmetry-allowed=1;packetization-mode=1;x-google-start-bitrate=${VIDEO_START_KBPS}`);
    expect(lines).toContain('a=fmtp:99 profile-id=0;x-google-start-bitrate=300');
    expect(lines).toContain('a=fmtp:97 apt=96');
    expect(lines).toContain('a=fmtp:111 minptime=10;useinbandfec=1');
    expect(lines.filter((l) => l.startsWith('a=fmtp:96'))).toHaveLength(1);
  });

  it('is idempotent and leaves an SDP without video alone', () => {
    const once = withVideoStartBitrate(SDP);
    expect(withVideoStartBitrate(once)).toBe(once);
    const audioOnly = SDP.slice(0, SDP.indexOf('m=video'));
    expect(withVideoStartBitrate(audioOnly)).toBe(audioOnly);
    expect(withVideoStartBitrate(SDP.replaceAll('\r\n', '\n'), 800)).toContain('a=fmtp:96 x-google-start-bitrate=800\n');
  });
});
