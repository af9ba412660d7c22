// How fast the media node asks a sender again for a packet it is missing
// (sfu/scripts/worker-patches/nack-retry.patch), against a real worker.
//
// A sender a fraction of a millisecond away (its DLRR answers make the node's round trip 0 ms):
// stock mediasoup read that 0 as "no round trip known" and repeated a NACK every 100 ms, checked
// every 40 ms; on a short lossy uplink each lost retry made the picture ~120 ms later and froze the
// other side (docs/network-lab.md, "NACK retries at the node"). Patched, a NACK repeats after
// max(round trip, 20 ms).
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { types } from 'mediasoup';
import { loadMediaConfig, mediaCodecs, WorkerPool } from '../src/index.ts';

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

const SSRC = 4444;
const VP8 = 96;

function rtp(seq: number): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = VP8;
  h.writeUInt16BE(seq, 2);
  h.writeUInt32BE(seq * 3000, 4);
  h.writeUInt32BE(SSRC, 8);
  // VP8 payload descriptor (S=1, partition 0), then a few bytes of a delta frame.
  return Buffer.concat([h, Buffer.from([0x10, 0x01, 0x02, 0x03, 0x04])]);
}

/** The sender's answer to the node's receiver reference time: an RTCP SR, then an XR with one DLRR sub-block (RFC 3611 4.5). */
function srWithDlrr(lastRr: number, delay: number): Buffer {
  const sr = Buffer.alloc(28);
  sr[0] = 0x80;
  sr[1] = 200;
  sr.writeUInt16BE(6, 2);
  sr.writeUInt32BE(SSRC, 4);
  const xr = Buffer.alloc(24);
  xr[0] = 0x80;
  xr[1] = 207;
  xr.writeUInt16BE(5, 2);
  xr.writeUInt32BE(SSRC, 4);
  xr[8] = 5; // block type DLRR
  xr.writeUInt16BE(3, 10);
  xr.writeUInt32BE(SSRC, 12); // mediasoup finds the producer's stream by this SSRC
  xr.writeUInt32BE(lastRr >>> 0, 16);
  xr.writeUInt32BE(delay >>> 0, 20);
  return Buffer.concat([sr, xr]);
}

interface Rtcp { pt: number; fmt: number; body: Buffer }

/** The packets of one RTCP compound. */
function rtcpPackets(m: Buffer): Rtcp[] {
  const out: Rtcp[] = [];
  for (let o = 0; o + 4 <= m.length; ) {
    const len = (m.readUInt16BE(o + 2) + 1) * 4;
    out.push({ pt: m[o + 1]!, fmt: m[o]! & 0x1f, body: m.subarray(o, o + len) });
    o += len;
  }
  return out;
}

/** Sequence numbers a generic NACK (RTPFB, FMT 1) asks for. */
function nackedSeqs(p: Rtcp): number[] {
  const seqs: number[] = [];
  for (let o = 12; o + 4 <= p.body.length; o += 4) {
    const pid = p.body.readUInt16BE(o);
    const blp = p.body.readUInt16BE(o + 2);
    seqs.push(pid);
    for (let b = 0; b < 16; b++) if (blp & (1 << b)) seqs.push((pid + b + 1) & 0xffff);
  }
  return seqs;
}

describe('NACK retries at the media node', () => {
  it('a packet that never comes is asked for again every ~20 ms when the sender is under 1 ms away, not every ~120 ms', async () => {
    const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true });
    await transport.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [{ mimeType: 'video/VP8', payloadType: VP8, clockRate: 90000, parameters: {}, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] }],
        encodings: [{ ssrc: SSRC }],
      },
    });
    const sender: Socket = createSocket('udp4');
    await new Promise<void>((r) => sender.bind(0, '127.0.0.1', r));
    const port = transport.tuple.localPort;
    const send = (b: Buffer) => sender.send(b, port, '127.0.0.1');

    const MISSING = 50;
    const nackTimes: number[] = [];
    let answered = 0;
    sender.on('message', (m) => {
      if (m[1]! < 200 || m[1]! > 207) return;
      const at = performance.now();
      for (const p of rtcpPackets(m)) {
        if (p.pt === 207) {
          // XR from the node: answer its receiver reference time (block type 4) at once.
          for (let o = 8; o + 4 <= p.body.length; ) {
            const type = p.body[o]!;
            const words = p.body.readUInt16BE(o + 2);
            if (type === 4) {
              const sec = p.body.readUInt32BE(o + 4);
              const frac = p.body.readUInt32BE(o + 8);
              send(srWithDlrr(((sec & 0xffff) << 16) | (frac >>> 16), 1));
              answered++;
            }
            o += 4 + words * 4;
          }
        }
        if (p.pt === 205 && p.fmt === 1 && nackedSeqs(p).includes(MISSING)) nackTimes.push(at);
      }
    });

    try {
      // 50 packets a second. Until the node has had two answers (its round trip is then known,
      // and 0 ms), nothing is missing; then MISSING never comes and the rest keep coming.
      let seq = 1;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (answered < 2 || seq <= MISSING || nackTimes.length < 6)) {
        if (seq === MISSING && answered < 2) {
          // Hold back the gap until the round trip is known.
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        if (seq !== MISSING) send(rtp(seq));
        seq++;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(answered, 'the node sent receiver reference times and got answers').toBeGreaterThanOrEqual(2);
      expect(nackTimes.length, 'the node asked for the missing packet more than once').toBeGreaterThanOrEqual(6);
      const gaps = nackTimes.slice(1, 6).map((t, i) => t - nackTimes[i]!);
      const sorted = [...gaps].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      // Patched: 20-40 ms (a 20-ms timer, a 20-ms floor). Stock: never under 100 ms (its fallback is a
      // floor; a 40-ms timer makes it ~120).
      expect(median, `gaps between NACKs for the missing packet: ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`).toBeLessThan(90);
    } finally {
      sender.close();
      transport.close();
    }
  });
});
