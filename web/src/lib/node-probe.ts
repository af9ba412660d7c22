// The media node's own routes, tried for real before the person joins: an RTCPeerConnection
// against the node's throwaway probe transport (sfu.probe), once with only its UDP candidate and
// once with only its ICE-TCP one, no TURN. The probe transport answers ICE and nothing else (the
// server never gets this side's DTLS fingerprint), so success = a candidate pair that succeeded,
// read from getStats — the very check the lesson's media would make on the same port.
import type { ProbeInfo } from '@duet/signaling/protocol';

export type NodeProtocol = 'udp' | 'tcp';

/** How long one node route may take; a blocked UDP shows as no answer, so this is its cost. */
export const NODE_PROBE_MS = 4_000;

interface Candidate {
  foundation?: string;
  priority?: number;
  address?: string;
  ip?: string;
  protocol?: string;
  port?: number;
  type?: string;
  tcpType?: string;
}

const SAFE_TOKEN = /^[A-Za-z0-9+/=:.\-_ ]{1,256}$/;

/** The node's side as an SDP offer (ICE-lite, one data m-section, only `protocol`'s candidates). */
export function probeOffer(info: ProbeInfo, protocol: NodeProtocol): string | null {
  const ice = info.iceParameters as { usernameFragment?: string; password?: string };
  const fp = ((info.dtlsParameters as { fingerprints?: { algorithm?: string; value?: string }[] }).fingerprints ?? []).find((f) => f.algorithm === 'sha-256');
  const candidates = (info.iceCandidates as Candidate[]).filter((c) => c.protocol === protocol);
  const parts = [ice.usernameFragment, ice.password, fp?.value];
  // Everything below goes into an SDP: refuse anything that could add lines.
  if (!parts.every((p) => typeof p === 'string' && SAFE_TOKEN.test(p)) || candidates.length === 0) return null;
  const lines = candidates.flatMap((c) => {
    const address = c.address ?? c.ip;
    const fields = [c.foundation, address, c.type, c.tcpType ?? ''];
    if (!fields.every((f) => typeof f === 'string' && /^[A-Za-z0-9.:\-]*$/.test(f)) || !Number.isInteger(c.port) || !Number.isInteger(c.priority)) return [];
    return [`a=candidate:${c.foundation} 1 ${protocol} ${c.priority} ${address} ${c.port} typ ${c.type}${c.tcpType ? ` tcptype ${c.tcpType}` : ''}`];
  });
  if (lines.length === 0) return null;
  return [
    'v=0',
    'o=- 1 1 IN IP4 0.0.0.0',
    's=-',
    't=0 0',
    'a=ice-lite',
    'a=group:BUNDLE 0',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    'a=mid:0',
    `a=ice-ufrag:${ice.usernameFragment}`,
    `a=ice-pwd:${ice.password}`,
    `a=fingerprint:sha-256 ${fp!.value}`,
    'a=setup:actpass',
    'a=sctp-port:5000',
    'a=max-message-size:262144',
    ...lines,
    'a=end-of-candidates',
    '',
  ].join('\r\n');
}

/** Whether ICE reaches the node over `protocol` within `timeoutMs` (the connection is closed either way). */
export async function probeNodeRoute(info: ProbeInfo, protocol: NodeProtocol, timeoutMs = NODE_PROBE_MS): Promise<boolean> {
  const sdp = probeOffer(info, protocol);
  if (!sdp) return false;
  const pc = new RTCPeerConnection({ iceServers: [] });
  const deadline = Date.now() + Math.min(timeoutMs, info.lifetimeMs);
  try {
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    while (Date.now() < deadline) {
      if (await pairSucceeded(pc, protocol)) return true;
      if (pc.iceConnectionState === 'failed') return false;
      await new Promise((r) => setTimeout(r, 150));
    }
    return false;
  } catch {
    return false;
  } finally {
    pc.close();
  }
}

/** A candidate pair that succeeded, to a remote candidate of `protocol` (not a relay: none were given). */
async function pairSucceeded(pc: RTCPeerConnection, protocol: NodeProtocol): Promise<boolean> {
  const stats = await pc.getStats();
  let ok = false;
  stats.forEach((s: { type: string; state?: string; remoteCandidateId?: string }) => {
    if (s.type !== 'candidate-pair' || s.state !== 'succeeded' || !s.remoteCandidateId) return;
    const remote = stats.get(s.remoteCandidateId) as { protocol?: string } | undefined;
    if (remote?.protocol === protocol) ok = true;
  });
  return ok;
}
