// A per-second trace of what one page sends, from the same getStats entries PageQuality reads:
// what the sender's bandwidth estimate allows, what it actually puts on the wire (media and
// retransmissions apart), and what the far end reports lost; and beside it what the page received
// in the same second (frames, key frames, freezes, the requests it sent), so a freeze lines up
// with its cause. The network bench writes it with NETBENCH_TRACE=1, to see why a thin uplink
// fills up (docs/network-lab.md, "The mobile SFU path").
import { isProbation, type StatsEntry } from '../../../src/quality/index.ts';

export interface SendTracePoint {
  /** Seconds since the trace started. */
  t: number;
  /** The selected candidate pair: the sender's estimate and the round trip it measures. */
  availableOutKbps: number | null;
  rttMs: number | null;
  /** Everything the page sent on its selected pair(s), kbit/s (all RTP, RTCP, STUN). */
  pairOutKbps: number;
  /** Everything the page received on them, kbit/s: on a thin link, what shares the downlink with the feedback its sender needs. */
  pairInKbps: number;
  /** kbps includes the retransmissions (rtxKbps), as getStats' bytesSent does. */
  video: { kbps: number; rtxKbps: number; targetKbps: number | null; height: number | null; fps: number | null; limitedBy: string | null; layers: number };
  audio: { kbps: number; rtxKbps: number };
  /** The far end's receiver reports (remote-inbound-rtp): the worst fraction lost, percent. */
  remoteLossPct: number | null;
  /** What the page received in the second (inbound-rtp), to line a freeze up with its cause. */
  recv: ReceivePoint;
}

/** Per-second deltas of the page's inbound video and audio. */
export interface ReceivePoint {
  frames: number;
  keyFrames: number;
  height: number | null;
  /** Picture loss requests and NACKs this page sent. */
  plis: number;
  nacks: number;
  freezes: number;
  freezeMs: number;
  /** Packets received, and the change of the cumulative packetsLost (negative when late retransmissions filled gaps). */
  packets: number;
  lostDelta: number;
  /** Mean jitter buffer delay of the frames emitted in the second, ms. */
  jitterBufferMs: number | null;
  audioConcealedPct: number | null;
  /** The SFU's probation stream (not media): its picture loss requests, kept apart. */
  probationPlis: number;
}

type Num = number | undefined;
const num = (e: StatsEntry, k: string): Num => (typeof e[k] === 'number' ? (e[k] as number) : undefined);
const str = (e: StatsEntry, k: string): string | undefined => (typeof e[k] === 'string' ? (e[k] as string) : undefined);

/** Sums byte and packet counters by key across every connection of the page (the SFU path has a send and a receive transport). */
export class SendTrace {
  readonly points: SendTracePoint[] = [];
  private readonly startAt: number;
  private last: { at: number; bytes: Map<string, number> } | undefined;
  private nextAt = 0;
  constructor(startAt = Date.now()) {
    this.startAt = startAt;
  }

  /** Called with every stats sample; keeps one point per second. */
  add(connections: StatsEntry[][], at = Date.now()): void {
    if (at < this.nextAt) return;
    this.nextAt = at + 1000;
    const bytes = new Map<string, number>();
    const bump = (k: string, v: Num) => v !== undefined && bytes.set(k, (bytes.get(k) ?? 0) + v);
    let availableOut: number | null = null;
    let rtt: number | null = null;
    let target = 0;
    let anyTarget = false;
    let height: number | null = null;
    let fps: number | null = null;
    let limitedBy: string | null = null;
    let layers = 0;
    let loss: number | null = null;
    let recvHeight: number | null = null;
    connections.forEach((entries, c) => {
      const pairId = entries.find((e) => e.type === 'transport')?.selectedCandidatePairId as string | undefined;
      for (const e of entries) {
        if (e.type === 'candidate-pair' && (pairId ? e.id === pairId : e.nominated === true && e.state === 'succeeded')) {
          bump('pair', num(e, 'bytesSent'));
          bump('pair-in', num(e, 'bytesReceived'));
          const a = num(e, 'availableOutgoingBitrate');
          if (a !== undefined) availableOut = (availableOut ?? 0) + a / 1000;
          const r = num(e, 'currentRoundTripTime');
          if (r !== undefined) rtt = Math.max(rtt ?? 0, r * 1000);
        }
        if (e.type === 'outbound-rtp') {
          const kind = str(e, 'kind') ?? str(e, 'mediaType');
          bump(`${kind}`, (num(e, 'bytesSent') ?? 0) + (num(e, 'headerBytesSent') ?? 0));
          bump(`${kind}-rtx`, num(e, 'retransmittedBytesSent'));
          if (kind === 'video' && e.active !== false) {
            layers++;
            const tb = num(e, 'targetBitrate');
            if (tb !== undefined) (target += tb / 1000), (anyTarget = true);
            const h = num(e, 'frameHeight');
            if (h !== undefined && (height === null || h > height)) {
              height = h;
              fps = num(e, 'framesPerSecond') ?? null;
            }
            const q = str(e, 'qualityLimitationReason');
            if (q && q !== 'none') limitedBy = q;
          }
        }
        if (isProbation(e)) bump('probation-pli', num(e, 'pliCount'));
        else if (e.type === 'inbound-rtp') {
          const kind = str(e, 'kind') ?? str(e, 'mediaType');
          if (kind === 'video') {
            bump('in-frames', num(e, 'framesDecoded'));
            bump('in-key', num(e, 'keyFramesDecoded'));
            bump('in-pli', num(e, 'pliCount'));
            bump('in-nack', num(e, 'nackCount'));
            bump('in-freezes', num(e, 'freezeCount'));
            bump('in-freeze-s', num(e, 'totalFreezesDuration'));
            bump('in-packets', num(e, 'packetsReceived'));
            bump('in-lost', num(e, 'packetsLost'));
            bump('in-jb-s', num(e, 'jitterBufferDelay'));
            bump('in-jb-n', num(e, 'jitterBufferEmittedCount'));
            const h = num(e, 'frameHeight');
            if (h !== undefined) recvHeight = Math.max(recvHeight ?? 0, h);
          } else if (kind === 'audio') {
            bump('in-samples', num(e, 'totalSamplesReceived'));
            bump('in-concealed', num(e, 'concealedSamples'));
          }
        }
        if (e.type === 'remote-inbound-rtp') {
          const f = num(e, 'fractionLost');
          if (f !== undefined) loss = Math.max(loss ?? 0, f * 100);
        }
      }
    });
    const prev = this.last;
    this.last = { at, bytes };
    if (!prev) return;
    const dt = (at - prev.at) / 1000;
    const kbps = (k: string) => Math.max(0, Math.round((((bytes.get(k) ?? 0) - (prev.bytes.get(k) ?? 0)) * 8) / 1000 / dt));
    const round = (x: number | null) => (x === null ? null : Math.round(x));
    const d = (k: string) => (bytes.get(k) ?? 0) - (prev.bytes.get(k) ?? 0);
    const samples = d('in-samples');
    const emitted = d('in-jb-n');
    this.points.push({
      t: Math.round((at - this.startAt) / 100) / 10,
      availableOutKbps: round(availableOut),
      rttMs: round(rtt),
      pairOutKbps: kbps('pair'),
      pairInKbps: kbps('pair-in'),
      video: { kbps: kbps('video'), rtxKbps: kbps('video-rtx'), targetKbps: anyTarget ? Math.round(target) : null, height, fps, limitedBy, layers },
      audio: { kbps: kbps('audio'), rtxKbps: kbps('audio-rtx') },
      remoteLossPct: loss === null ? null : Math.round(loss * 10) / 10,
      recv: {
        frames: d('in-frames'),
        keyFrames: d('in-key'),
        height: recvHeight,
        plis: d('in-pli'),
        nacks: d('in-nack'),
        freezes: d('in-freezes'),
        freezeMs: Math.round(d('in-freeze-s') * 1000),
        packets: d('in-packets'),
        lostDelta: d('in-lost'),
        jitterBufferMs: emitted > 0 ? Math.round((d('in-jb-s') * 1000) / emitted) : null,
        audioConcealedPct: samples > 0 ? Math.round((1000 * d('in-concealed')) / samples) / 10 : null,
        probationPlis: d('probation-pli'),
      },
    });
  }
}
