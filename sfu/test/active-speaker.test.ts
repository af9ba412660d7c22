// The active speaker from real RTP: plain-RTP audio producers on a real mediasoup worker, fed with
// Opus packets whose ssrc-audio-level header extension follows a speech pattern (words at a
// given level, pauses near the noise floor), in two lessons one after the other on the same pool.
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { types } from 'mediasoup';
import { loadMediaConfig, MEDIA_CODECS, WorkerPool } from '../src/index.ts';
import { ActiveSpeaker } from '../src/active-speaker.ts';

let pool: WorkerPool;
let socket: Socket;

beforeAll(async () => {
  pool = await WorkerPool.create(loadMediaConfig({ ...process.env, MEDIASOUP_WORKERS: '1', MEDIA_PORT_BASE: '0' }));
  socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
});
afterAll(() => {
  socket?.close();
  pool?.close();
});

const AUDIO_LEVEL_EXT_ID = 1;

/** One RTP packet: Opus payload type 100, the audio level (-dBov, 0..127) in a one-byte extension. */
function rtpPacket(ssrc: number, seq: number, timestamp: number, level: number): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x90; // V=2, X=1
  header[1] = 100;
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE(timestamp >>> 0, 4);
  header.writeUInt32BE(ssrc, 8);
  // RFC 8285 one-byte header: 0xBEDE, length 1 word; element id/len-1, then V bit + level, padding.
  const ext = Buffer.from([0xbe, 0xde, 0x00, 0x01, (AUDIO_LEVEL_EXT_ID << 4) | 0, 0x80 | level, 0, 0]);
  const payload = Buffer.from([0xf8, 0xff, 0xfe]); // an Opus 20 ms frame
  return Buffer.concat([header, ext, payload]);
}

/**
 * Sends 20 ms packets to a plain transport: `pattern(i)` gives the level of packet i. Returns a
 * function that changes the pattern and one that stops sending.
 */
function speak(port: number, ssrc: number, pattern: (i: number) => number): { set(p: (i: number) => number): void; stop(): void } {
  let i = 0;
  let current = pattern;
  const timer = setInterval(() => {
    socket.send(rtpPacket(ssrc, i, i * 960, current(i)), port, '127.0.0.1');
    i++;
  }, 20);
  return { set: (p) => (current = p), stop: () => clearInterval(timer) };
}

/**
 * A quiet speaker: voice at -40 dBov a third of the time, near-silence (-90 dBov) in between —
 * finely interleaved so every observer window holds the same mix (about -73 dBov on average).
 */
const quietSpeech = (i: number) => (i % 3 === 0 ? 40 : 90);
/** Nobody talking: the noise floor of a muted-ish room. */
const roomNoise = () => 95;

async function audioProducer(router: types.Router, peerId: string, ssrc: number): Promise<{ producer: types.Producer; port: number }> {
  const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true });
  const opus = MEDIA_CODECS.find((c) => c.mimeType === 'audio/opus')!;
  const producer = await transport.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: opus.mimeType, payloadType: 100, clockRate: opus.clockRate, channels: 2, parameters: {}, rtcpFeedback: [] }],
      headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', id: AUDIO_LEVEL_EXT_ID }],
      encodings: [{ ssrc }],
    },
    appData: { peerId, source: 'microphone' },
  });
  return { producer, port: transport.tuple.localPort };
}

function waitForSpeaker(changes: (string | null)[], want: string | null, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (changes.length > 0 && changes[changes.length - 1] === want) return resolve();
      if (Date.now() > deadline) return reject(new Error(`speaker ${String(want)} not reported; changes: ${JSON.stringify(changes)}`));
      setTimeout(check, 50);
    };
    check();
  });
}

describe('ActiveSpeaker', () => {
  it('reports a quiet speaker with natural pauses, then silence, in two lessons in a row', async () => {
    for (const lesson of ['lesson-a', 'lesson-b']) {
      const host = await pool.acquire();
      const router = await host.worker.createRouter({ mediaCodecs: MEDIA_CODECS, appData: { lessonId: lesson } });
      const changes: (string | null)[] = [];
      const speaker = await ActiveSpeaker.create(router, (peerId) => changes.push(peerId));
      const tutor = await audioProducer(router, 'tutor', 1111);
      const student = await audioProducer(router, 'student', 2222);
      await speaker.add(tutor.producer);
      await speaker.add(student.producer);
      const tutorMic = speak(tutor.port, 1111, quietSpeech);
      const studentMic = speak(student.port, 2222, roomNoise);
      try {
        await waitForSpeaker(changes, 'tutor');
        // Room noise alone never makes the student the speaker.
        expect(changes).not.toContain('student');
        // The tutor stops talking: nobody is the speaker.
        tutorMic.set(roomNoise);
        await waitForSpeaker(changes, null);
        // Now the student talks.
        studentMic.set(quietSpeech);
        await waitForSpeaker(changes, 'student');
      } finally {
        tutorMic.stop();
        studentMic.stop();
        router.close();
      }
    }
  }, 90_000);
});
