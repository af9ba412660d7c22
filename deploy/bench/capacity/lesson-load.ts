// One synthetic lesson on a mediasoup router: two publishers (audio + video each) sending real
// RTP into PlainTransports, and each participant receiving the other's two tracks through
// consumers on a PlainTransport to a local UDP socket — the same forwarding work a 1-on-1 SFU
// lesson costs, minus ICE/DTLS/SRTP (equal for both variants of the benchmark).
import { createSocket, type Socket } from 'node:dgram';
import type { types } from 'mediasoup';
import { AUDIO_PT, VIDEO_PT, newReceived, onPacket, type ReceivedStats } from './rtp.ts';

/** Where a publisher sends (the PlainTransport's port) and what (its SSRCs); the sending itself
 * happens on the generator thread. */
export interface Publisher {
  port: number;
  streams: { kind: 'audio' | 'video'; ssrc: number }[];
}

export interface LessonLoad {
  publishers: Publisher[];
  received: ReceivedStats[];
  close(): void;
}

function bind(): Promise<Socket> {
  const s = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

const LISTEN = { protocol: 'udp' as const, ip: '127.0.0.1' };

export async function setupLesson(router: types.Router, index: number, sampleEvery: number): Promise<LessonLoad> {
  const sockets: Socket[] = [];
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
  const received: ReceivedStats[] = [];
  for (let s = 0; s < 2; s++) {
    const socket = await bind();
    sockets.push(socket);
    const stats = newReceived();
    received.push(stats);
    socket.on('message', (msg) => onPacket(stats, msg, process.hrtime.bigint(), sampleEvery));
    const transport = await router.createPlainTransport({ listenInfo: LISTEN, rtcpMux: true, comedia: false });
    transports.push(transport);
    await transport.connect({ ip: '127.0.0.1', port: socket.address().port });
    for (const producer of producers[1 - s]!) await transport.consume({ producerId: producer.id, rtpCapabilities: caps });
  }
  return {
    publishers,
    received,
    close() {
      for (const t of transports) t.close();
      for (const s of sockets) s.close();
    },
  };
}
