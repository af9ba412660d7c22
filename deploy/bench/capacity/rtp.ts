// Synthetic RTP for the capacity benchmark: VP8 video (~950 kbit/s) and Opus audio (~40 kbit/s)
// per publisher, each packet stamped with its send time so receivers measure one-way latency
// (sender and receiver share this machine's clock).
export const VIDEO_PT = 101;
export const AUDIO_PT = 100;
export const VIDEO_PPS = 100; // 30 fps, ~3.3 packets a frame
export const VIDEO_PAYLOAD = 1180; // bytes -> ~950 kbit/s with headers
export const AUDIO_PPS = 50; // 20 ms Opus frames
export const AUDIO_PAYLOAD = 80; // ~32 kbit/s + headers

export interface StreamState {
  ssrc: number;
  pt: number;
  seq: number;
  timestamp: number;
  clockRate: number;
  packetsPerSecond: number;
  payloadSize: number;
  kind: 'audio' | 'video';
  sent: number;
  /** Packets owed since the last tick (fractional). */
  credit: number;
}

export function newStream(kind: 'audio' | 'video', ssrc: number): StreamState {
  return kind === 'video'
    ? { ssrc, pt: VIDEO_PT, seq: 0, timestamp: 0, clockRate: 90000, packetsPerSecond: VIDEO_PPS, payloadSize: VIDEO_PAYLOAD, kind, sent: 0, credit: 0 }
    : { ssrc, pt: AUDIO_PT, seq: 0, timestamp: 0, clockRate: 48000, packetsPerSecond: AUDIO_PPS, payloadSize: AUDIO_PAYLOAD, kind, sent: 0, credit: 0 };
}

/** Packets a stream cycles through: sends are asynchronous, so a buffer is rewritten only after
 * this many later packets of its stream (long after the kernel copied it). No per-packet allocation. */
const RING = 64;
const rings = new WeakMap<StreamState, { bufs: Buffer[]; stampAt: number }>();

/** The next packet of a stream. Video: every packet is a whole (key)frame fragment start with a
 * valid VP8 payload descriptor, so mediasoup's VP8 handling accepts and forwards it. */
export function nextPacket(s: StreamState, nowNs: bigint): Buffer {
  let ring = rings.get(s);
  if (!ring) {
    const bufs = Array.from({ length: RING }, () => Buffer.alloc(12 + s.payloadSize));
    let stampAt = 0;
    for (const buf of bufs) stampAt = writeStatic(s, buf);
    ring = { bufs, stampAt };
    rings.set(s, ring);
  }
  const buf = ring.bufs[s.seq % RING]!;
  const marker = s.kind === 'audio' || s.seq % 3 === 2;
  buf[1] = (marker ? 0x80 : 0) | s.pt;
  buf.writeUInt16BE(s.seq & 0xffff, 2);
  buf.writeUInt32BE(s.timestamp >>> 0, 4);
  buf.writeBigUInt64BE(nowNs, ring.stampAt);
  s.seq++;
  s.sent++;
  // Timestamps advance per frame (video: every 3 packets at 30 fps; audio: every packet).
  if (marker) s.timestamp += s.kind === 'audio' ? 960 : 3000;
  return buf;
}

/** The bytes that never change (version, SSRC, codec payload header); returns the send-time offset. */
function writeStatic(s: StreamState, buf: Buffer): number {
  buf[0] = 0x80; // V=2
  buf.writeUInt32BE(s.ssrc >>> 0, 8);
  let o = 12;
  if (s.kind === 'video') {
    buf[o++] = 0x10; // VP8 descriptor: S=1, partition 0
    // VP8 keyframe header (P=0) + start code + 640x480.
    buf[o++] = 0x10;
    buf[o++] = 0x02;
    buf[o++] = 0x00;
    buf[o++] = 0x9d;
    buf[o++] = 0x01;
    buf[o++] = 0x2a;
    buf.writeUInt16LE(640, o);
    buf.writeUInt16LE(480, o + 2);
    o += 4;
  } else {
    buf[o++] = 0x78; // Opus TOC: SILK-only, 20 ms
  }
  return o;
}

export interface ReceivedStats {
  packets: number;
  latenciesMs: number[];
  highestSeq: Map<number, { first: number; last: number; cycles: number; received: number }>;
}

export function newReceived(): ReceivedStats {
  return { packets: 0, latenciesMs: [], highestSeq: new Map() };
}

/** Reads one RTP packet a consumer forwarded (RTCP is ignored). */
export function onPacket(stats: ReceivedStats, msg: Buffer, nowNs: bigint, sampleEvery: number): void {
  if (msg.length < 12 || (msg[0]! & 0xc0) !== 0x80) return;
  const pt = msg[1]! & 0x7f;
  if (pt >= 64 && pt <= 95) return; // RTCP (rtcpMux)
  const ssrc = msg.readUInt32BE(8);
  const seq = msg.readUInt16BE(2);
  const cc = msg[0]! & 0x0f;
  let o = 12 + cc * 4;
  if (msg[0]! & 0x10) o += 4 + msg.readUInt16BE(o + 2) * 4; // header extensions (mediasoup adds some)
  o += msg.length - o > 200 ? 11 : 1; // skip our VP8 / Opus bytes (video packets are the big ones)
  stats.packets++;
  let s = stats.highestSeq.get(ssrc);
  if (!s) {
    s = { first: seq, last: seq, cycles: 0, received: 0 };
    stats.highestSeq.set(ssrc, s);
  } else if (((seq - s.last) & 0xffff) < 0x8000) {
    if (seq < s.last) s.cycles++;
    s.last = seq;
  }
  s.received++;
  if (stats.packets % sampleEvery === 0 && o + 8 <= msg.length) {
    stats.latenciesMs.push(Number(nowNs - msg.readBigUInt64BE(o)) / 1e6);
  }
}

/** Expected vs received over all streams a receiver saw. */
export function lossOf(stats: ReceivedStats): { expected: number; received: number } {
  let expected = 0;
  let received = 0;
  for (const s of stats.highestSeq.values()) {
    expected += s.cycles * 65536 + s.last - s.first + 1;
    received += s.received;
  }
  return { expected, received };
}
