// Peer-to-peer media: one RTCPeerConnection, SDP and ICE relayed through signaling.
// The tutor offers and the student answers (decided by the server), so there is no glare.
// Three fixed transceivers (microphone, camera, screen) are negotiated once; a screen share then
// starts and stops with replaceTrack, without renegotiation. ICE trouble: the offerer restarts
// ICE once; if that does not help the server is told, and it moves the room to the SFU.
import type { MediaSourceName, P2PSignal } from '@duet/signaling/protocol';
import type { SignalingClient } from '../lib/signaling-client.ts';
import type { MediaSession, RemoteMediaHandlers, TrackSource } from './media-session.ts';
import { SpeakingDetector } from './speaking-detector.ts';
import { summarize } from './stats.ts';
import { withVideoStartBitrate } from './start-bitrate.ts';
import { markScreenTrack, mediaTuning, preferRed, tuneSenders, withOpusDtx } from './encodings.ts';
import { CutWatch } from './video-after-cut.ts';

/** How long ICE may stay 'disconnected' before it counts as broken. */
const DISCONNECTED_GRACE_MS = 3_000;

export interface P2POptions {
  /** Test switch: exchange no ICE candidates, so P2P can never connect. */
  blockCandidates?: boolean;
  screen?: MediaStreamTrack | null;
  onSpeaking?: (speaking: boolean) => void;
  /**
   * Prepare only: the offer and candidates are made now but held until release() — the tutor
   * does this while waiting alone, so the offer goes out the moment the student arrives.
   */
  hold?: boolean;
}

export class P2PSession implements MediaSession {
  readonly kind = 'p2p';
  private readonly pc: RTCPeerConnection;
  private readonly sig: SignalingClient;
  private readonly local: MediaStream;
  private readonly initiator: boolean;
  private readonly handlers: RemoteMediaHandlers;
  private readonly opts: P2POptions;
  private readonly queuedCandidates: RTCIceCandidateInit[] = [];
  private readonly unsubscribe: () => void;
  /** mid -> source, the same on both sides (the offerer's order). */
  private sources: Record<string, MediaSourceName> = {};
  private screenTrack: MediaStreamTrack | null;
  private restartAttempted = false;
  private reportedConnected = false;
  private disconnectedTimer: ReturnType<typeof setTimeout> | undefined;
  /** ICE went `disconnected` (a cut): its return to `connected` restarts the video (video-after-cut.ts). */
  private wasDisconnected = false;
  /** A keyframe when media comes back after a cut (video-after-cut.ts); off with the bench switch. */
  private readonly cutWatch: CutWatch | undefined;
  private speaking: SpeakingDetector | undefined;
  private closed = false;
  private held: P2PSignal[] | null;

  constructor(sig: SignalingClient, local: MediaStream, iceServers: RTCIceServer[], initiator: boolean, handlers: RemoteMediaHandlers, opts: P2POptions = {}) {
    this.sig = sig;
    this.local = local;
    this.initiator = initiator;
    this.handlers = handlers;
    this.opts = opts;
    this.screenTrack = opts.screen ?? null;
    this.held = opts.hold ? [] : null;
    this.pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
    this.pc.onicecandidate = (ev) => {
      if (!ev.candidate || this.opts.blockCandidates) return;
      const c = ev.candidate.toJSON();
      void this.send({ kind: 'candidate', candidate: { candidate: c.candidate ?? '', sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null, usernameFragment: c.usernameFragment ?? null } });
    };
    this.pc.ontrack = (ev) => {
      const source: TrackSource = this.sources[ev.transceiver.mid ?? ''] ?? (ev.track.kind === 'audio' ? 'microphone' : 'camera');
      handlers.onTrack(ev.track, source);
      ev.track.addEventListener('ended', () => handlers.onTrackEnded(ev.track, source));
    };
    this.pc.onconnectionstatechange = () => {
      const s = this.pc.connectionState;
      if (s === 'connected' || s === 'failed' || s === 'closed') handlers.onConnectionState?.(s);
      else if (s === 'connecting' || s === 'new') handlers.onConnectionState?.('connecting');
    };
    this.pc.oniceconnectionstatechange = () => this.onIceState();
    this.cutWatch = mediaTuning().videoRestart ? new CutWatch(this.pc) : undefined;
    this.unsubscribe = sig.onNotification((n) => {
      if (n.t === 'p2p.signal') void this.onSignal(n.signal).catch((err) => console.warn('p2p signal failed', err));
      if (n.t === 'p2p.restartIce' && this.initiator) void this.restartIce().catch((err) => console.warn('ice restart failed', err));
    });
    if (opts.onSpeaking) {
      const onSpeaking = opts.onSpeaking;
      this.speaking = new SpeakingDetector(() => this.pc.getStats(), onSpeaking);
    }
  }

  async start(): Promise<void> {
    if (!this.initiator) return; // transceivers come with the offer
    const audio = this.local.getAudioTracks()[0];
    const camera = this.local.getVideoTracks()[0];
    const add = (trackOrKind: MediaStreamTrack | 'audio' | 'video', source: MediaSourceName) => {
      const t = this.pc.addTransceiver(trackOrKind, { direction: 'sendrecv', streams: [this.local] });
      return { t, source };
    };
    const transceivers = [add(audio ?? 'audio', 'microphone'), add(camera ?? 'video', 'camera'), add('video', 'screen')];
    preferRed(transceivers[0]!.t);
    if (this.screenTrack) {
      markScreenTrack(this.screenTrack);
      await transceivers[2]!.t.sender.replaceTrack(this.screenTrack);
    }
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    this.sources = Object.fromEntries(transceivers.map(({ t, source }) => [t.mid ?? '', source]));
    await this.send({ kind: 'offer', sdp: offer.sdp ?? '', sources: this.sources });
  }

  private async onSignal(signal: P2PSignal): Promise<void> {
    if (this.closed) return;
    if (signal.kind === 'offer') {
      performance.mark('duet:p2p-offer');
      if (signal.sources) this.sources = { ...signal.sources };
      await this.pc.setRemoteDescription({ type: 'offer', sdp: withOpusDtx(mediaTuning().startBitrate ? withVideoStartBitrate(signal.sdp) : signal.sdp) });
      performance.mark('duet:p2p-srd');
      // Tracks, queued candidates and the answer go on the connection's operations chain back to
      // back: awaiting each one separately cost a thread hop apiece (~20-80 ms on the answer).
      const attached = this.attachLocalTracks();
      const flushed = this.flushCandidates();
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      performance.mark('duet:p2p-answered');
      await this.send({ kind: 'answer', sdp: answer.sdp ?? '' });
      await Promise.all([attached, flushed]);
      await tuneSenders(this.pc, this.screenTrack);
    } else if (signal.kind === 'answer') {
      performance.mark('duet:p2p-answer');
      await this.pc.setRemoteDescription({ type: 'answer', sdp: withOpusDtx(mediaTuning().startBitrate ? withVideoStartBitrate(signal.sdp) : signal.sdp) });
      await this.flushCandidates();
      await tuneSenders(this.pc, this.screenTrack);
    } else {
      if (this.opts.blockCandidates) return;
      const init: RTCIceCandidateInit = { candidate: signal.candidate.candidate, sdpMid: signal.candidate.sdpMid ?? null, sdpMLineIndex: signal.candidate.sdpMLineIndex ?? null };
      if (signal.candidate.usernameFragment) init.usernameFragment = signal.candidate.usernameFragment;
      if (this.pc.remoteDescription) await this.pc.addIceCandidate(init).catch((err) => console.warn('bad candidate', err));
      else this.queuedCandidates.push(init);
    }
  }

  /**
   * Answerer: put our tracks on the offerer's transceivers, by source. The direction and stream
   * are set at once (the answer made next carries them); the tracks follow on the operations chain.
   */
  private attachLocalTracks(): Promise<unknown> {
    const replaced: Promise<void>[] = [];
    for (const t of this.pc.getTransceivers()) {
      const source = this.sources[t.mid ?? ''];
      if (!source || t.direction === 'sendrecv') continue;
      const track = source === 'microphone' ? this.local.getAudioTracks()[0] : source === 'camera' ? this.local.getVideoTracks()[0] : this.screenTrack;
      if (source === 'microphone') preferRed(t);
      if (source === 'screen' && track) markScreenTrack(track);
      t.sender.setStreams(this.local);
      t.direction = 'sendrecv';
      if (track || t.sender.track) replaced.push(t.sender.replaceTrack(track ?? null));
    }
    return Promise.all(replaced);
  }

  private flushCandidates(): Promise<unknown> {
    return Promise.all(this.queuedCandidates.splice(0).map((c) => this.pc.addIceCandidate(c).catch((err) => console.warn('bad candidate', err))));
  }

  /** Sends what was prepared while holding, and everything from now on. */
  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const signal of held) void this.send(signal);
  }

  get isOpen(): boolean {
    return !this.closed && this.pc.signalingState !== 'closed';
  }

  private send(signal: P2PSignal): Promise<unknown> {
    if (this.held) {
      this.held.push(signal);
      return Promise.resolve();
    }
    return this.sig.request('p2p.signal', { signal }).catch((err) => console.warn('p2p relay failed', err));
  }

  private status(state: 'connected' | 'restarting' | 'failed'): void {
    void this.sig.request('p2p.status', { state }).catch(() => undefined);
  }

  private onIceState(): void {
    if (this.closed) return;
    const s = this.pc.iceConnectionState;
    clearTimeout(this.disconnectedTimer);
    if (s === 'connected' || s === 'completed') {
      this.restartAttempted = false;
      if (this.wasDisconnected) this.cutWatch?.back();
      this.wasDisconnected = false;
      if (!this.reportedConnected) {
        this.reportedConnected = true;
        this.status('connected');
      }
    } else if (s === 'disconnected') {
      this.wasDisconnected = true;
      this.disconnectedTimer = setTimeout(() => this.recover(), DISCONNECTED_GRACE_MS);
    } else if (s === 'failed') {
      this.recover();
    }
  }

  /** ICE broke: one restart (the offerer does it); if that fails too, the server switches to the SFU. */
  private recover(): void {
    this.reportedConnected = false;
    if (this.restartAttempted) return this.status('failed');
    this.restartAttempted = true;
    this.status('restarting');
    if (this.initiator) void this.restartIce().catch(() => this.status('failed'));
  }

  /** Renegotiation with fresh ICE credentials (also after a signaling resume). */
  async restartIce(): Promise<void> {
    if (this.closed || !this.initiator) return;
    this.pc.restartIce();
    const offer = await this.pc.createOffer({ iceRestart: true });
    await this.pc.setLocalDescription(offer);
    await this.send({ kind: 'offer', sdp: offer.sdp ?? '', sources: this.sources });
  }

  async resumed(): Promise<void> {
    // The server asks the offerer to restart ICE (p2p.restartIce) once both are back.
  }

  /** Test switch: behave as if ICE failed and the restart did not help. */
  simulateFailure(): void {
    this.restartAttempted = true;
    this.recover();
  }

  async replaceTrack(old: MediaStreamTrack, next: MediaStreamTrack): Promise<void> {
    for (const sender of this.pc.getSenders()) if (sender.track === old) await sender.replaceTrack(next);
  }

  async setScreen(track: MediaStreamTrack | null): Promise<void> {
    this.screenTrack = track;
    if (track) markScreenTrack(track);
    const t = this.pc.getTransceivers().find((x) => this.sources[x.mid ?? ''] === 'screen');
    if (t) {
      await t.sender.replaceTrack(track);
      await tuneSenders(this.pc, track);
    }
  }

  setTrackEnabled(kind: 'audio' | 'video', enabled: boolean): void {
    for (const t of this.local.getTracks()) if (t.kind === kind) t.enabled = enabled;
    if (kind === 'audio' && !enabled && this.opts.onSpeaking) this.speaking?.reset(this.opts.onSpeaking);
  }

  async stats() {
    return summarize([await this.pc.getStats()]);
  }

  async rawStats(): Promise<RTCStatsReport[]> {
    return [await this.pc.getStats()];
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.disconnectedTimer);
    this.cutWatch?.stop();
    this.speaking?.stop();
    this.unsubscribe();
    this.pc.close();
  }
}
