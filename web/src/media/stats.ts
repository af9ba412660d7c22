// A compact summary of WebRTC stats: what a person would call "I see and hear the other side",
// plus the ICE path actually in use (also what the end-to-end tests assert on).
import { selectedPair } from '../quality/selected-pair.ts';

export interface CandidateInfo {
  address: string;
  port: number;
  protocol: string;
  candidateType: string;
  /** For a relay candidate: how this side reaches the TURN server (udp, tcp, tls). */
  relayProtocol?: string;
}

export interface MediaStatsSummary {
  videoFramesDecoded: number;
  videoFrameWidth: number;
  audioPacketsReceived: number;
  audioLevel: number;
  selectedPair: { local: CandidateInfo; remote: CandidateInfo } | null;
}

type Stat = Record<string, unknown> & { id: string; type: string };

function candidate(s: Stat | undefined): CandidateInfo {
  return {
    address: String(s?.address ?? s?.ip ?? ''),
    port: Number(s?.port ?? 0),
    protocol: String(s?.protocol ?? ''),
    candidateType: String(s?.candidateType ?? ''),
    ...(typeof s?.relayProtocol === 'string' ? { relayProtocol: s.relayProtocol } : {}),
  };
}

export function summarize(reports: RTCStatsReport[]): MediaStatsSummary {
  const out: MediaStatsSummary = { videoFramesDecoded: 0, videoFrameWidth: 0, audioPacketsReceived: 0, audioLevel: 0, selectedPair: null };
  for (const report of reports) {
    const byId = new Map<string, Stat>();
    report.forEach((s: Stat) => byId.set(s.id, s));
    for (const s of byId.values()) {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.videoFramesDecoded += Number(s.framesDecoded ?? 0);
        out.videoFrameWidth = Math.max(out.videoFrameWidth, Number(s.frameWidth ?? 0));
      }
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        out.audioPacketsReceived += Number(s.packetsReceived ?? 0);
        out.audioLevel = Math.max(out.audioLevel, Number(s.audioLevel ?? 0));
      }
    }
    const pair = out.selectedPair ? undefined : selectedPair(byId.values());
    if (pair) out.selectedPair = { local: candidate(byId.get(String(pair.localCandidateId))), remote: candidate(byId.get(String(pair.remoteCandidateId))) };
  }
  return out;
}
