// The recorder's own RTP port for one track (gapless, issue 15): the media node sends to it for the
// whole recording, and the relay forwards every packet to the FFmpeg run(s) recording the track —
// to both the old and the new run while a track change overlaps them. A track change therefore
// needs nothing from the media node (no tap moved, no keyframe asked for at the right moment), and
// a new run probes at once: the relay hands it the track's latest video keyframe when it starts
// listening. It also tells the recorder whether a video track can be probed at all (a camera that
// never sent a keyframe — paused, or a person alone — would leave FFmpeg without picture size:
// "dimensions not set"); such a track joins a run once its first keyframe arrives.
//
// Cost: one recvmsg + one sendmsg per packet (two during an overlap) and a parse of the first
// bytes of each video packet; see docs/recording-playback.md, "Gapless track changes".
import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';

/** A keyframe larger than this is not kept for replay (the next run waits for a fresh one). */
const KEYFRAME_MAX_BYTES = 512 * 1024;

export interface TrackRelayEvents {
  /** The first keyframe of a video track arrived: it can be probed from now on. */
  ready: [];
}

export class TrackRelay extends EventEmitter<TrackRelayEvents> {
  readonly kind: 'audio' | 'video';
  readonly mimeType: string;
  readonly port: number;
  private readonly address: string;
  private readonly rtp: Socket;
  private readonly rtcp: Socket;
  /** Forwarding targets: the run recording the track -> its FFmpeg's RTP port and packets sent there. */
  private readonly targets = new Map<number, { port: number; packets: number; fresh: boolean }>();
  /** Packets of the latest complete-or-growing keyframe (one RTP timestamp), replayed to a new run. */
  private keyframe: Buffer[] = [];
  private keyframeTs = -1;
  private keyframeBytes = 0;
  private sawKeyframe = false;
  /** Sequence number of the last packet forwarded (-1: none yet). */
  private lastSeq = -1;
  private closed = false;
  /** RTP packets received from the sender. */
  received = 0;

  private constructor(kind: 'audio' | 'video', mimeType: string, address: string, port: number, rtp: Socket, rtcp: Socket) {
    super();
    this.kind = kind;
    this.mimeType = mimeType.toLowerCase();
    this.address = address;
    this.port = port;
    this.rtp = rtp;
    this.rtcp = rtcp;
    rtp.on('message', (msg) => this.onPacket(msg));
    // RTCP from the sender (reports, BYE) is not needed: FFmpeg times packets by arrival.
    rtcp.on('message', () => undefined);
    for (const s of [rtp, rtcp]) s.on('error', () => undefined);
  }

  /** Binds an RTP/RTCP port pair from `allocate` on `address` (retried: another process may take a free pair first). */
  static async open(kind: 'audio' | 'video', mimeType: string, address: string, allocate: () => Promise<number>, release: (port: number) => void): Promise<TrackRelay> {
    let lastErr: Error | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await allocate();
      const rtp = createSocket('udp4');
      const rtcp = createSocket('udp4');
      try {
        await bind(rtp, port, address);
        await bind(rtcp, port + 1, address);
        return new TrackRelay(kind, mimeType, address, port, rtp, rtcp);
      } catch (err) {
        lastErr = err as Error;
        rtp.close();
        rtcp.close();
        release(port);
      }
    }
    throw new Error(`no RTP relay port: ${lastErr?.message}`);
  }

  /** An audio track always; a video track once it has sent a keyframe (FFmpeg learns its size from it). */
  get ready(): boolean {
    return this.kind === 'audio' || this.sawKeyframe;
  }

  /** Forwards to `port` from now on (the run's FFmpeg listens there), starting with the latest keyframe. */
  addTarget(run: number, port: number): void {
    if (this.closed) return;
    const target = { port, packets: 0, fresh: this.kind === 'audio' };
    this.targets.set(run, target);
    // Renumbered to end right before the next live packet: FFmpeg's RTP reorder queue would
    // otherwise hold every later packet back, waiting for the frames skipped in between, until
    // its probe gave up without the picture size. (Its VP8 depacketizer then drops the frames
    // that refer to ones it never saw, up to the next keyframe, which the media node asks for
    // when it sees the new run.)
    // FFmpeg drops the first packet of a new source (RTP probation: it takes two in sequence),
    // so the keyframe's first packet goes twice, the copy numbered one before.
    const k = this.keyframe.length;
    const replay = k > 0 ? [this.keyframe[0]!, ...this.keyframe] : [];
    for (const [i, pkt] of replay.entries()) {
      const copy = Buffer.from(pkt);
      copy.writeUInt16BE((this.lastSeq - k + i + 0x10000) & 0xffff, 2);
      this.send(target, copy);
    }
  }

  /**
   * A video whose newest run has had no live keyframe yet: FFmpeg drops the frames after the
   * replayed one (they refer to frames it never saw) until one comes, so the sender is asked.
   */
  get needsKeyframe(): boolean {
    return this.kind === 'video' && (!this.sawKeyframe || [...this.targets.values()].some((t) => !t.fresh));
  }

  removeTarget(run: number): void {
    this.targets.delete(run);
  }

  /** Packets forwarded to the run so far (0: nothing reached it, it has nothing to lose). */
  sentTo(run: number): number {
    return this.targets.get(run)?.packets ?? 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.targets.clear();
    this.keyframe = [];
    this.rtp.close();
    this.rtcp.close();
  }

  private onPacket(pkt: Buffer): void {
    if (pkt.length < 12 || pkt[0]! >> 6 !== 2) return; // not RTP version 2
    this.received++;
    if (this.kind === 'video') this.keepKeyframe(pkt);
    this.lastSeq = pkt.readUInt16BE(2);
    for (const target of this.targets.values()) this.send(target, pkt);
  }

  private send(target: { port: number; packets: number }, pkt: Buffer): void {
    target.packets++;
    this.rtp.send(pkt, target.port, this.address, () => undefined);
  }

  private keepKeyframe(pkt: Buffer): void {
    const ts = pkt.readUInt32BE(4);
    const payload = rtpPayload(pkt);
    if (!payload) return;
    if (startsKeyframe(this.mimeType, payload)) {
      for (const t of this.targets.values()) t.fresh = true;
      if (ts !== this.keyframeTs) {
        this.keyframe = [];
        this.keyframeBytes = 0;
        this.keyframeTs = ts;
      }
      if (!this.sawKeyframe) {
        this.sawKeyframe = true;
        // After this packet went out: a run started for the track then gets the whole keyframe.
        queueMicrotask(() => this.emit('ready'));
      }
    } else if (ts !== this.keyframeTs) {
      return; // a packet of a later frame: the kept keyframe is complete
    }
    if (this.keyframeBytes + pkt.length > KEYFRAME_MAX_BYTES) {
      this.keyframe = [];
      this.keyframeTs = -1;
      return;
    }
    this.keyframe.push(Buffer.from(pkt));
    this.keyframeBytes += pkt.length;
  }
}

function bind(s: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, address, () => {
      s.off('error', reject);
      resolve();
    });
  });
}

/** The RTP payload (after CSRCs, header extension and before padding), or undefined if malformed. */
export function rtpPayload(pkt: Buffer): Buffer | undefined {
  let off = 12 + 4 * (pkt[0]! & 0x0f);
  if (pkt[0]! & 0x10) {
    if (pkt.length < off + 4) return undefined;
    off += 4 + 4 * pkt.readUInt16BE(off + 2);
  }
  let end = pkt.length;
  if (pkt[0]! & 0x20) end -= pkt[end - 1]!;
  return off < end ? pkt.subarray(off, end) : undefined;
}

/** True for the first packet of a keyframe: VP8 (RFC 7741) or H.264 (RFC 6184: an SPS or IDR slice starts). */
export function startsKeyframe(mimeType: string, p: Buffer): boolean {
  if (mimeType === 'video/vp8') {
    const b0 = p[0]!;
    if (!(b0 & 0x10) || (b0 & 0x07) !== 0) return false; // not the start of partition 0
    let off = 1;
    if (b0 & 0x80) {
      const x = p[off++];
      if (x === undefined) return false;
      if (x & 0x80) off += (p[off] ?? 0) & 0x80 ? 2 : 1; // PictureID, 7 or 15 bits
      if (x & 0x40) off += 1; // TL0PICIDX
      if (x & 0x30) off += 1; // TID / KEYIDX
    }
    return off < p.length && (p[off]! & 0x01) === 0; // VP8 payload header: P bit 0 = key frame
  }
  if (mimeType === 'video/h264') {
    const type = p[0]! & 0x1f;
    if (type === 5 || type === 7) return true;
    if (type === 24) {
      // STAP-A: aggregated NAL units, each with a 16-bit size
      for (let off = 1; off + 2 < p.length; ) {
        const size = p.readUInt16BE(off);
        const t = p[off + 2]! & 0x1f;
        if (t === 5 || t === 7) return true;
        off += 2 + size;
      }
      return false;
    }
    if (type === 28 && p.length > 1) return (p[1]! & 0x80) !== 0 && ((p[1]! & 0x1f) === 5 || (p[1]! & 0x1f) === 7); // FU-A start
    return false;
  }
  return true; // unknown codec: any packet lets FFmpeg try
}
