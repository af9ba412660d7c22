// One synthetic lesson on a mediasoup router: two publishers (audio + video each) sending real
// RTP into PlainTransports, and each participant receiving the other's two tracks through
// consumers on a PlainTransport to a local UDP socket — the same forwarding work a 1-on-1 SFU
// lesson costs, minus ICE/DTLS/SRTP (equal for both variants of the benchmark).
import type { types } from 'mediasoup';
import { AUDIO_PT, VIDEO_PT } from './rtp.ts';

/** Where a publisher sends (the PlainTransport's port) and what (its SSRCs); the sending itself
 * happens on the generator thread. */
export interface Publisher {
  port: number;
  streams: { kind: 'audio' | 'video'; ssrc: number }[];
}

export interface LessonLoad {
  publishers: Publisher[];
  close(): void;
}

const LISTEN = { protocol: 'udp' as const, ip: '127.0.0.1' };

/** Builds the lesson on `router`; `receivers` are the two participants' UDP ports (bound by a generator thread). */
export async function setupLesson(router: types.Router, index: number, receivers: number[]): Promise<LessonLoad> {
  const transports: types.PlainTransport[] = [];
  const publishers: Publisher[] = [];
  const producers: types.Producer[][] = [];
  for (let p = 0; p < 2; p++) {
    const transport = await router.createPlainTransport({ listenInfo: LISTEN, rtcpMux: true, comedia: true });
    transports.push(transport);
    const base = (index * 4 + p * 2) * 16 + 1000;
    const audio = { kind: 'audio' as const, ssrc: base };
    const video = { kind: 'video' as const, ssrc: base + 1 };
    const a = await transport.produce({
      kind: 'audio',
      rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: audio.ssrc }] },
    });
    const v = await transport.produce({
      kind: 'video',
      rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: VIDEO_PT, clockRate: 90000 }], encodings: [{ ssrc: video.ssrc }] },
    });
    producers.push([a, v]);
    publishers.push({ port: transport.tuple.localPort, streams: [audio, video] });
  }
  // Receive-side capabilities: the media codecs only (no RTX, no header extensions).
  const caps: types.RtpCapabilities = {
    codecs: (router.rtpCapabilities.codecs ?? []).filter((c) => c.mimeType === 'audio/opus' || c.mimeType === 'video/VP8'),
    headerExtensions: [],
  };
  for (let s = 0; s < 2; s++) {
    const transport = await router.createPlainTransport({ listenInfo: LISTEN, rtcpMux: true, comedia: false });
    transports.push(transport);
    await transport.connect({ ip: '127.0.0.1', port: receivers[s]! });
    for (const producer of producers[1 - s]!) await transport.consume({ producerId: producer.id, rtpCapabilities: caps });
  }
  return {
    publishers,
    close() {
      for (const t of transports) t.close();
    },
  };
}
