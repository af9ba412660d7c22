// Opus RED (RFC 2198) through Duet's worker build (sfu/scripts/worker-patches/audio-red.patch),
// against a real worker: RED packets sent into a producer reach a receiver that takes RED with the
// blocks' payload types mapped to the router's, and reach a receiver without RED (Firefox, the
// recorder's tap) as the primary Opus block alone. Malformed RED is dropped, not forwarded.
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { types } from 'mediasoup';
import { audioRedEnabled, loadMediaConfig, mediaCodecs, probeAudioRed, RecordingTap, routerRtpCapabilities, WorkerPool } from '../src/index.ts';

let pool: WorkerPool;
let router: types.Router;

beforeAll(async () => {
  pool = await WorkerPool.create(loadMediaConfig({ ...process.env, MEDIASOUP_WORKERS: '1', MEDIA_PORT_BASE: '0' }));
  router = await (await pool.acquire()).worker.createRouter({ mediaCodecs: mediaCodecs() });
});
afterAll(() => {
  router?.close();
  pool?.close();
});

// The sender's payload types, as Chromium numbers them.
const SENDER_OPUS = 111;
const SENDER_RED = 63;
const SSRC = 3333;

const routerPt = (mime: string) => router.rtpCapabilities.codecs!.find((c) => c.mimeType.toLowerCase() === mime)!.preferredPayloadType!;

const udp = async (): Promise<{ socket: Socket; port: number; packets: Buffer[] }> => {
  const socket = createSocket('udp4');
  const packets: Buffer[] = [];
  // RTP only (RTCP's second byte is 200-207 with the marker bit set).
  socket.on('message', (m) => m[1]! < 200 || m[1]! > 207 ? packets.push(m) : undefined);
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { socket, port: socket.address().port, packets };
};

function rtp(payloadType: number, seq: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = payloadType;
  h.writeUInt16BE(seq, 2);
  h.writeUInt32BE(seq * 960, 4);
  h.writeUInt32BE(SSRC, 8);
  return Buffer.concat([h, payload]);
}

/** A RED payload: redundant blocks (each with a 4-byte header), then the primary (1-byte header). */
function red(pt: number, redundant: Buffer[], primary: Buffer): Buffer {
  const headers = redundant.map((b, i) => Buffer.from([0x80 | pt, 0, ((960 * (redundant.length - i)) << 2) & 0xff | (b.length >> 8), b.length & 0xff]));
  return Buffer.concat([...headers, Buffer.from([pt]), ...redundant, primary]);
}

const payloadOf = (packet: Buffer) => packet.subarray(12 + (packet[0]! & 0x0f) * 4 + (packet[0]! & 0x10 ? 4 + packet.readUInt16BE(12 + (packet[0]! & 0x0f) * 4 + 2) * 4 : 0));

const until = async (check: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

async function redProducer() {
  const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true });
  const producer = await transport.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [
        { mimeType: 'audio/red', payloadType: SENDER_RED, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] },
        { mimeType: 'audio/opus', payloadType: SENDER_OPUS, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 }, rtcpFeedback: [] },
      ],
      encodings: [{ ssrc: SSRC }],
    },
  });
  const sender = createSocket('udp4');
  let seq = 1;
  const send = (payloadType: number, payload: Buffer) => new Promise<void>((r) => sender.send(rtp(payloadType, seq++, payload), transport.tuple.localPort, '127.0.0.1', () => r()));
  return { producer, send, close: () => (sender.close(), transport.close()) };
}

/** A plain-RTP receiver of `producer` with only the given codecs in its capabilities. */
async function receiver(producer: types.Producer, mimeTypes: string[]) {
  const out = await udp();
  const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false });
  await transport.connect({ ip: '127.0.0.1', port: out.port });
  const codecs = router.rtpCapabilities.codecs!.filter((c) => mimeTypes.includes(c.mimeType.toLowerCase())).map((c) => ({ ...c, rtcpFeedback: [] }));
  const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: { codecs, headerExtensions: [] } });
  return { consumer, packets: out.packets, close: () => (out.socket.close(), transport.close()) };
}

describe('Opus RED through the SFU', () => {
  it('the worker build forwards RED, so the routers offer it before Opus is sent plain', async () => {
    expect(await probeAudioRed((await pool.acquire()).worker)).toBe(true);
    expect(audioRedEnabled()).toBe(true);
    const audio = routerRtpCapabilities().codecs!.filter((c) => c.kind === 'audio').map((c) => c.mimeType);
    expect(audio).toEqual(['audio/opus', 'audio/red']);
  });

  it('a receiver that takes RED gets it, with the blocks renumbered to the router\'s Opus', async () => {
    const src = await redProducer();
    const rx = await receiver(src.producer, ['audio/opus', 'audio/red']);
    try {
      expect(rx.consumer.rtpParameters.codecs.map((c) => c.mimeType)).toEqual(['audio/red', 'audio/opus']);
      await src.send(SENDER_RED, red(SENDER_OPUS, [Buffer.from('old-frame')], Buffer.from('new-frame')));
      await until(() => rx.packets.length >= 1);
      const got = rx.packets[0]!;
      expect(got[1]! & 0x7f).toBe(routerPt('audio/red'));
      expect(payloadOf(got)).toEqual(red(routerPt('audio/opus'), [Buffer.from('old-frame')], Buffer.from('new-frame')));
    } finally {
      rx.close();
      src.close();
    }
  });

  it('a receiver without RED (and the recorder\'s tap) gets the primary Opus block alone', async () => {
    const src = await redProducer();
    const rx = await receiver(src.producer, ['audio/opus']);
    const ffmpeg = await udp();
    const rtcp = await udp();
    const tap = await RecordingTap.create(router, src.producer.id);
    try {
      expect(tap.codec.mimeType).toBe('audio/opus');
      await tap.connect({ ip: '127.0.0.1', port: ffmpeg.port, rtcpPort: rtcp.port });
      expect(rx.consumer.rtpParameters.codecs.map((c) => c.mimeType)).toEqual(['audio/opus']);
      await src.send(SENDER_RED, red(SENDER_OPUS, [Buffer.from('frame-1'), Buffer.from('frame-2')], Buffer.from('frame-3')));
      await src.send(SENDER_RED, red(SENDER_OPUS, [], Buffer.from('frame-4')));
      // An empty primary (nothing to decode) and malformed RED (a header cut short, blocks
      // longer than the payload) reach nobody.
      await src.send(SENDER_RED, red(SENDER_OPUS, [Buffer.from('frame-4')], Buffer.alloc(0)));
      await src.send(SENDER_RED, Buffer.from([0x80 | SENDER_OPUS, 0]));
      await src.send(SENDER_RED, Buffer.from([0x80 | SENDER_OPUS, 0, 0, 200, SENDER_OPUS, 1, 2]));
      await src.send(SENDER_RED, red(SENDER_OPUS, [Buffer.from('frame-5')], Buffer.from('frame-6')));
      await until(() => rx.packets.length >= 3 && ffmpeg.packets.length >= 3);
      await new Promise((r) => setTimeout(r, 200));
      for (const packets of [rx.packets, ffmpeg.packets]) {
        expect(packets.map((p) => payloadOf(p).toString())).toEqual(['frame-3', 'frame-4', 'frame-6']);
        expect(new Set(packets.map((p) => p[1]! & 0x7f)).size).toBe(1);
        // What the node dropped leaves no gap a receiver would conceal; the packet the producer
        // refused (its header list cut short) is a loss the receiver sees, as any other.
        const seqs = packets.map((p) => p.readUInt16BE(2));
        expect(seqs.map((s) => (s - seqs[0]!) & 0xffff)).toEqual([0, 1, 3]);
      }
      expect(rx.packets[0]![1]! & 0x7f).toBe(routerPt('audio/opus'));
    } finally {
      tap.close();
      ffmpeg.socket.close();
      rtcp.socket.close();
      rx.close();
      src.close();
    }
  });
});
