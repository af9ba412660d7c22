// Peer-to-peer media: one RTCPeerConnection, SDP and ICE relayed through signaling.
// The tutor offers and the student answers (decided by the server), so there is no glare.
import type { P2PSignal } from '@duet/signaling/protocol';
import type { SignalingClient } from '../lib/signaling-client.ts';
import type { MediaSession, RemoteMediaHandlers } from './media-session.ts';
import { summarize } from './stats.ts';

export class P2PSession implements MediaSession {
  readonly kind = 'p2p';
  private readonly pc: RTCPeerConnection;
  private readonly sig: SignalingClient;
  private readonly local: MediaStream;
  private readonly initiator: boolean;
  private readonly handlers: RemoteMediaHandlers;
  private readonly queuedCandidates: RTCIceCandidateInit[] = [];
  private readonly unsubscribe: () => void;

  constructor(sig: SignalingClient, local: MediaStream, iceServers: RTCIceServer[], initiator: boolean, handlers: RemoteMediaHandlers) {
    this.sig = sig;
    this.local = local;
    this.initiator = initiator;
    this.handlers = handlers;
    this.pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
    this.pc.onicecandidate = (ev) => {
      if (!ev.candidate) return;
      const c = ev.candidate.toJSON();
      void this.send({ kind: 'candidate', candidate: { candidate: c.candidate ?? '', sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null, usernameFragment: c.usernameFragment ?? null } });
    };
    this.pc.ontrack = (ev) => {
      handlers.onTrack(ev.track, ev.track.kind === 'audio' ? 'microphone' : 'camera');
      ev.track.addEventListener('ended', () => handlers.onTrackEnded(ev.track));
    };
    this.pc.onconnectionstatechange = () => {
      const s = this.pc.connectionState;
      if (s === 'connected' || s === 'failed' || s === 'closed') handlers.onConnectionState?.(s);
      else if (s === 'connecting' || s === 'new') handlers.onConnectionState?.('connecting');
    };
    this.unsubscribe = sig.onNotification((n) => {
      if (n.t === 'p2p.signal') void this.onSignal(n.signal).catch((err) => console.warn('p2p signal failed', err));
    });
  }

  async start(): Promise<void> {
    for (const track of this.local.getTracks()) this.pc.addTrack(track, this.local);
    if (!this.initiator) return;
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    await this.send({ kind: 'offer', sdp: offer.sdp ?? '' });
  }

  private async onSignal(signal: P2PSignal): Promise<void> {
    if (signal.kind === 'offer') {
      await this.pc.setRemoteDescription({ type: 'offer', sdp: signal.sdp });
      await this.flushCandidates();
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      await this.send({ kind: 'answer', sdp: answer.sdp ?? '' });
    } else if (signal.kind === 'answer') {
      await this.pc.setRemoteDescription({ type: 'answer', sdp: signal.sdp });
      await this.flushCandidates();
    } else {
      const init: RTCIceCandidateInit = { candidate: signal.candidate.candidate, sdpMid: signal.candidate.sdpMid ?? null, sdpMLineIndex: signal.candidate.sdpMLineIndex ?? null };
      if (this.pc.remoteDescription) await this.pc.addIceCandidate(init);
      else this.queuedCandidates.push(init);
    }
  }

  private async flushCandidates(): Promise<void> {
    for (const c of this.queuedCandidates.splice(0)) await this.pc.addIceCandidate(c);
  }

  private send(signal: P2PSignal): Promise<unknown> {
    return this.sig.request('p2p.signal', { signal }).catch((err) => console.warn('p2p relay failed', err));
  }

  setTrackEnabled(kind: 'audio' | 'video', enabled: boolean): void {
    for (const t of this.local.getTracks()) if (t.kind === kind) t.enabled = enabled;
  }

  async stats() {
    return summarize([await this.pc.getStats()]);
  }

  close(): void {
    this.unsubscribe();
    this.pc.close();
  }
}
