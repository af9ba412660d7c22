// One look at a connection's getStats(): the cumulative counters behind the numbers people feel
// (sound that was made up, frames that came, pictures that froze, round trip, the path in use).
// Plain data in, plain data out: the room (in the browser), the lab tests and deploy/bench/network
// (in Node, from stats copied out of a page) share it. tracker.ts turns samples into a summary.

import { selectedPair } from './selected-pair.ts';

/** One getStats() entry (an RTCStats dictionary). */
export type StatsEntry = Record<string, unknown> & { id: string; type: string; timestamp?: number };

export interface QualitySample {
  /** ms (the stats' own timestamp, else the caller's clock). */
  at: number;
  audio: {
    packetsReceived: number;
    packetsLost: number;
    totalSamplesReceived: number;
    concealedSamples: number;
    /** Of the concealed, the ones during silence (not heard as a glitch). */
    silentConcealedSamples: number;
  } | null;
  video: {
    framesDecoded: number;
    packetsReceived: number;
    packetsLost: number;
    width: number;
    height: number;
    /** The browser's own fps figure, when it gives one. */
    fps: number | null;
    /** The browser's own freeze accounting (Chromium; null in Firefox). */
    freezeCount: number | null;
    totalFreezesDuration: number | null;
  } | null;
  /** What we send (the other side's picture depends on it). */
  sent: { videoWidth: number; videoHeight: number; videoFps: number | null; limitation: string | null; availableOutgoingBitrate: number | null };
  /** Selected candidate pair's current round trip, ms. */
  rttMs: number | null;
  /** The path in use: host / srflx / prflx / relay, and udp / tcp (relay: the relay's protocol). */
  path: { candidateType: string; protocol: string; relayProtocol: string | null } | null;
}

type Source = RTCStatsReport | Iterable<StatsEntry> | StatsEntry[];

function entriesOf(source: Source): StatsEntry[] {
  const out: StatsEntry[] = [];
  if (typeof (source as RTCStatsReport).forEach === 'function' && !Array.isArray(source)) (source as RTCStatsReport).forEach((s: StatsEntry) => out.push(s));
  else for (const s of source as Iterable<StatsEntry>) out.push(s);
  return out;
}

/**
 * mediasoup-client's RTP probation stream (mid 'probator', ssrc 1234) on an SFU receive
 * transport: the media node's bandwidth probes, padding only. It never has a frame, so the
 * browser counts gaps in it as lost packets and keeps sending picture loss requests for it; it is
 * not media anyone sees, and counting it put "50 % video loss" on a clean link.
 */
export function isProbation(e: StatsEntry): boolean {
  return e.type === 'inbound-rtp' && (e.mid === 'probator' || e.ssrc === 1234);
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const optNum = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * A sample from one or more reports (the SFU has a receive and a send transport; P2P one
 * connection). Counters of several streams of a kind add up; the largest picture wins.
 */
export function qualitySample(sources: Source[], now?: number): QualitySample {
  const s: QualitySample = {
    at: now ?? 0,
    audio: null,
    video: null,
    sent: { videoWidth: 0, videoHeight: 0, videoFps: null, limitation: null, availableOutgoingBitrate: null },
    rttMs: null,
    path: null,
  };
  let latest = 0;
  for (const source of sources) {
    const entries = entriesOf(source);
    const byId = new Map(entries.map((e) => [e.id, e]));
    for (const e of entries) {
      latest = Math.max(latest, num(e.timestamp));
      if (isProbation(e)) continue;
      if (e.type === 'inbound-rtp' && e.kind === 'audio') {
        const a = (s.audio ??= { packetsReceived: 0, packetsLost: 0, totalSamplesReceived: 0, concealedSamples: 0, silentConcealedSamples: 0 });
        a.packetsReceived += num(e.packetsReceived);
        a.packetsLost += Math.max(0, num(e.packetsLost));
        a.totalSamplesReceived += num(e.totalSamplesReceived);
        a.concealedSamples += num(e.concealedSamples);
        a.silentConcealedSamples += num(e.silentConcealedSamples);
      } else if (e.type === 'inbound-rtp' && e.kind === 'video') {
        const v = (s.video ??= { framesDecoded: 0, packetsReceived: 0, packetsLost: 0, width: 0, height: 0, fps: null, freezeCount: null, totalFreezesDuration: null });
        // A screen share is a second video stream: the camera (the larger frame count) sets the picture.
        v.framesDecoded += num(e.framesDecoded);
        v.packetsReceived += num(e.packetsReceived);
        v.packetsLost += Math.max(0, num(e.packetsLost));
        if (num(e.frameHeight) * num(e.frameWidth) >= v.width * v.height && num(e.framesDecoded) > 0) {
          v.width = num(e.frameWidth);
          v.height = num(e.frameHeight);
          v.fps = optNum(e.framesPerSecond);
        }
        if (optNum(e.freezeCount) !== null) v.freezeCount = (v.freezeCount ?? 0) + num(e.freezeCount);
        if (optNum(e.totalFreezesDuration) !== null) v.totalFreezesDuration = (v.totalFreezesDuration ?? 0) + num(e.totalFreezesDuration);
      } else if (e.type === 'outbound-rtp' && e.kind === 'video') {
        if (num(e.frameHeight) >= s.sent.videoHeight) {
          s.sent.videoWidth = num(e.frameWidth);
          s.sent.videoHeight = num(e.frameHeight);
          s.sent.videoFps = optNum(e.framesPerSecond);
          s.sent.limitation = typeof e.qualityLimitationReason === 'string' ? e.qualityLimitationReason : null;
        }
      }
    }
    pair(s, byId, selectedPair(entries));
  }
  if (now === undefined) s.at = latest;
  return s;
}

function pair(s: QualitySample, byId: Map<string, StatsEntry>, p: StatsEntry | undefined): void {
  if (!p) return;
  const rtt = optNum(p.currentRoundTripTime);
  if (rtt !== null && s.rttMs === null) s.rttMs = rtt * 1000;
  const aob = optNum(p.availableOutgoingBitrate);
  if (aob !== null) s.sent.availableOutgoingBitrate = Math.max(s.sent.availableOutgoingBitrate ?? 0, aob);
  const local = byId.get(String(p.localCandidateId));
  if (local && !s.path) {
    s.path = {
      candidateType: String(local.candidateType ?? ''),
      protocol: String(local.protocol ?? ''),
      relayProtocol: typeof local.relayProtocol === 'string' ? local.relayProtocol : null,
    };
  }
}
