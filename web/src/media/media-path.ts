// The room's media path: which MediaSession carries the lesson (P2P or SFU), the switches between
// them (make before break both ways: P2P -> SFU on trouble, SFU -> P2P after an instant join),
// the tutor's offer prepared while waiting, and the local tracks' state.
import type { Device } from 'mediasoup-client';
import type { ModeReason, RoomMode, SfuHello } from '@duet/signaling/protocol';
import type { SignalingClient } from '../lib/signaling-client.ts';
import type { Store } from '../lib/store.ts';
import type { RoomState } from '../room-state.ts';
import type { MediaSession, RemoteMediaHandlers, TrackSource } from './media-session.ts';
import { P2PSession } from './p2p-session.ts';
import type { Preconnected, SfuSession } from './sfu-session.ts';
import { loadSfuSession } from './load-sfu.ts';
import { remoteTrackHandlers } from './remote-tracks.ts';
import { webrtcSupported } from '../lib/webrtc-support.ts';

/** An SFU device loaded at pre-join, with the router capabilities it was loaded with (JSON). */
export interface PreloadedDevice {
  device: Device;
  caps: string;
  /** Instant join: the transports connected at pre-join (SFU lessons somebody is already in). */
  pre?: Preconnected;
  /** The pre-join connection still in flight (settles when `pre` is set or the attempts end). */
  preconnecting?: Promise<void>;
  /** An attempt under way right now (the node may already hold its transports); settles with it. */
  warming?: Promise<void>;
  /**
   * Set when the join is sent: it adopted `pre` (`preconnected: true`) or went without it. A
   * `pre` that completes after this was not adopted (the node dropped its transports) and is
   * closed at once: a second client connection to an adopted transport would never get DTLS.
   */
  joined?: boolean;
}

export class MediaPath {
  /** The session carrying the lesson now. */
  session: MediaSession | undefined;
  /** Test switches (window.__duet in test builds). */
  readonly switches = { blockP2P: false };
  private readonly state: Store<RoomState>;
  private readonly getSig: () => SignalingClient | undefined;
  /** The P2P session still carrying media while the SFU comes up (closed on p2p.close). */
  private draining: P2PSession | undefined;
  /** Bumped on every mode change: slow async setups of an older mode give up. */
  private generation = 0;
  /** The tutor's P2P offer, made while waiting alone. */
  private prepared: P2PSession | undefined;
  /** SFU -> P2P after an instant join: the SFU session that keeps carrying media until `sfu.close`. */
  private upgradeFrom: MediaSession | undefined;
  /**
   * Instant join, P2P room, waiting alone: an SFU session held ready (transports connected,
   * producers without tracks) that carries the lesson at once when the other joins on the SFU.
   */
  private heldSfu: SfuSession | undefined;
  /** The SFU device loaded at pre-join: a P2P lesson has one only when the node offers instant join. */
  preloadedDevice: Device | undefined;
  /** The remote tracks each SFU session delivered (re-shown if an upgrade falls back to it). */
  private readonly sfuTracks = new WeakMap<MediaSession, Map<TrackSource, MediaStreamTrack>>();

  constructor(state: Store<RoomState>, getSig: () => SignalingClient | undefined) {
    this.state = state;
    this.getSig = getSig;
  }

  /** The server said P2P is over for good (both sides run on the SFU). */
  closeDraining(): void {
    this.draining?.close();
    this.draining = undefined;
  }

  /** After an upgrade to P2P both sides show P2P media: the SFU session goes (`sfu.close`). */
  closeUpgraded(): void {
    if (this.upgradeFrom === this.session) return; // never swapped: nothing to close under the media
    this.upgradeFrom?.close();
    this.upgradeFrom = undefined;
  }

  onMode(mode: RoomMode, initiator: boolean, reason: ModeReason): void {
    performance.mark(`duet:mode-${mode}`);
    const gen = ++this.generation;
    this.state.set({ mode, modeReason: reason });
    if (!webrtcSupported()) {
      // No media path can exist here (the room says why); presence and chat go on.
      if (mode !== 'waiting') this.state.set({ media: 'failed' });
      return;
    }
    const { local, join } = this.state.get();
    if (mode === 'p2p' && reason === 'p2p_upgrade' && this.session?.kind === 'sfu') {
      this.prepared?.close();
      this.prepared = undefined;
      void this.switchToP2P(this.session, initiator);
    } else if (mode === 'sfu' && this.upgradeFrom) {
      this.fallBackToSfu(this.upgradeFrom);
    } else if (mode === 'sfu' && reason === 'instant_join' && this.heldSfu && !this.session) {
      void this.releaseHeld(this.heldSfu);
    } else if (mode === 'p2p') {
      const prepared = this.prepared;
      this.prepared = undefined;
      this.close(true);
      if (initiator && prepared?.isOpen && reason === 'both_present') {
        // The offer was made while waiting: out it goes now.
        this.session = prepared;
        this.state.set({ media: 'connecting' });
        prepared.release();
        void prepared.setScreen(this.currentScreenTrack()).catch(() => undefined);
        this.applyTrackState();
      } else {
        prepared?.close();
        if (local && join && this.getSig()) void this.start(this.newP2PSession(initiator, false));
      }
    } else if (mode === 'sfu') {
      if (this.session instanceof P2PSession) void this.switchToSfu(this.session);
      else {
        // First SFU session, or the router was rebuilt (media_restarted): set it up (again).
        this.close(true);
        // The SFU code loads lazily: a newer mode change meanwhile wins.
        void this.newSfuSession().then((sfu) => (gen === this.generation ? this.start(sfu) : sfu.close()));
      }
    } else {
      this.close(true);
      this.prepareP2P();
      this.holdSfu();
    }
  }

  /**
   * Instant join, waiting alone in a P2P room: an SFU session made ready now, sending nothing (no
   * track on its producers), so a newcomer who joins on preconnected transports sees this side at
   * once. Only when the node offers instant join (the pre-join device exists in a P2P lesson).
   */
  holdSfu(): void {
    const { local, join, mode } = this.state.get();
    const device = this.preloadedDevice;
    if (mode !== 'waiting' || !device || !local || !join || !this.getSig() || this.heldSfu || !webrtcSupported()) return;
    const gen = this.generation;
    void this.newSfuSession(undefined, device).then(async (sfu) => {
      if (gen !== this.generation || this.heldSfu) return sfu.close();
      this.heldSfu = sfu;
      sfu.held = true;
      try {
        await sfu.start();
        await sfu.holdSending(true);
      } catch {
        // Refused (the other person arrived meanwhile) or failed: the usual start then.
        sfu.close();
        if (this.heldSfu === sfu) this.heldSfu = undefined;
      }
    });
  }

  /** The other joined on the SFU (instant_join): the held session carries the lesson now. */
  private async releaseHeld(sfu: SfuSession): Promise<void> {
    this.heldSfu = undefined;
    this.session = sfu;
    this.state.set({ media: 'connecting' });
    const direct = remoteTrackHandlers(this.state);
    for (const [source, track] of this.sfuTracks.get(sfu) ?? []) if (track.readyState === 'live') direct.onTrack(track, source);
    await sfu.holdSending(false).catch((err: unknown) => console.error('held SFU session failed to send', err));
    if (this.session !== sfu) return;
    this.state.set({ media: 'connected' });
    this.applyTrackState();
    if (await sfu.waitReceiving(10_000)) void this.getSig()?.request('sfu.ready', {}).catch(() => undefined);
  }

  /** No WebRTC in this browser: the media path is marked failed (the room explains why). */
  unsupported(): boolean {
    if (webrtcSupported()) return false;
    this.state.set({ media: 'failed' });
    return true;
  }

  private newP2PSession(initiator: boolean, hold: boolean, handlers: RemoteMediaHandlers = remoteTrackHandlers(this.state)): P2PSession {
    const { local, join } = this.state.get();
    const session: P2PSession = new P2PSession(this.getSig()!, local!, join!.ice_servers, initiator, handlers, {
      blockCandidates: this.switches.blockP2P,
      screen: this.currentScreenTrack(),
      hold,
      onSpeaking: (speaking) => this.session === session && void this.getSig()?.request('media.speaking', { speaking }).catch(() => undefined),
    });
    return session;
  }

  /** The tutor, waiting alone in a P2P-capable room, gets the offer ready ahead of the student. */
  prepareP2P(): void {
    const { local, join, role, mode } = this.state.get();
    if (role !== 'tutor' || mode !== 'waiting' || !local || !join || !this.getSig() || this.prepared?.isOpen || !webrtcSupported()) return;
    const session = this.newP2PSession(true, true);
    this.prepared = session;
    session.start().catch(() => {
      session.close();
      if (this.prepared === session) this.prepared = undefined;
    });
  }

  /**
   * P2P -> SFU, make before break: the SFU session comes up while P2P still carries the media;
   * its tracks replace the P2P ones only once SFU media is arriving; then the server is told,
   * and the P2P connection closes when both sides are there (p2p.close).
   */
  private async switchToSfu(p2p: P2PSession): Promise<void> {
    const { local, join } = this.state.get();
    const sig = this.getSig();
    if (!local || !join || !sig) return;
    this.draining = p2p;
    const staged: [MediaStreamTrack, TrackSource][] = [];
    let live = false;
    const direct = remoteTrackHandlers(this.state);
    const SfuSession = await loadSfuSession();
    const sfu = new SfuSession(sig, local, join.ice_servers, {
      onTrack: (track, source) => (live ? direct.onTrack(track, source) : staged.push([track, source])),
      onTrackEnded: (track, source) => direct.onTrackEnded(track, source),
      onConnectionState: (state) => live && direct.onConnectionState?.(state),
    }, this.currentScreenTrack());
    this.session = sfu;
    try {
      await sfu.start();
      this.applyTrackState();
      await sfu.waitReceiving(10_000);
    } catch (err) {
      console.error('SFU media failed to start', err);
    }
    if (this.session !== sfu) return;
    live = true;
    for (const [track, source] of staged) direct.onTrack(track, source);
    this.state.set({ media: 'connected' });
    await sig.request('sfu.ready', {}).catch(() => undefined);
  }

  /**
   * SFU -> P2P, make before break (after an instant join): P2P comes up while the SFU session
   * keeps carrying the media; its tracks replace the SFU ones once P2P video is decoding (the
   * remote tile keeps playing), then the server is told (`p2p.ready`), and the SFU session closes
   * when both sides are there (`sfu.close`). P2P that never decodes: the SFU stays (the server's
   * P2P deadline moves the room back to it for good).
   */
  private async switchToP2P(sfu: MediaSession, initiator: boolean): Promise<void> {
    const { local, join } = this.state.get();
    const sig = this.getSig();
    if (!local || !join || !sig) return;
    this.upgradeFrom = sfu;
    performance.mark('duet:p2p-upgrade');
    const staged: [MediaStreamTrack, TrackSource][] = [];
    let live = false;
    const direct = remoteTrackHandlers(this.state);
    const p2p = this.newP2PSession(initiator, false, {
      onTrack: (track, source) => (live ? direct.onTrack(track, source) : staged.push([track, source])),
      onTrackEnded: (track, source) => live && direct.onTrackEnded(track, source),
      onConnectionState: (state) => live && direct.onConnectionState?.(state),
    });
    this.pendingP2P = p2p;
    try {
      await p2p.start();
    } catch (err) {
      console.error('P2P upgrade failed to start', err);
    }
    const deadline = Date.now() + 15_000;
    while (this.pendingP2P === p2p && Date.now() < deadline) {
      const s = await p2p.stats().catch(() => undefined);
      if (s && s.videoFramesDecoded > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (this.pendingP2P !== p2p || this.session !== sfu || Date.now() >= deadline) return;
    this.pendingP2P = undefined;
    live = true;
    this.session = p2p;
    for (const [track, source] of staged) direct.onTrack(track, source);
    this.applyTrackState();
    this.state.set({ media: 'connected' });
    performance.mark('duet:p2p-upgraded');
    await sig.request('p2p.ready', {}).catch(() => undefined);
  }

  /** The P2P connection being brought up behind the SFU (an upgrade not swapped in yet). */
  private pendingP2P: P2PSession | undefined;

  /** The upgrade to P2P did not work out: back to the SFU session that never went away. */
  private fallBackToSfu(sfu: MediaSession): void {
    this.upgradeFrom = undefined;
    this.pendingP2P?.close();
    this.pendingP2P = undefined;
    if (this.session !== sfu) {
      this.session?.close();
      this.session = sfu;
      const direct = remoteTrackHandlers(this.state);
      for (const [source, track] of this.sfuTracks.get(sfu) ?? []) if (track.readyState === 'live') direct.onTrack(track, source);
      this.applyTrackState();
      this.state.set({ media: 'connected' });
    }
    void this.getSig()?.request('sfu.ready', {}).catch(() => undefined);
  }

  async newSfuSession(preset?: SfuHello, device?: Device, pre?: Preconnected): Promise<SfuSession> {
    const SfuSession = await loadSfuSession();
    const { local, join } = this.state.get();
    const recorded = !!join?.session.recording;
    // Only the session carrying the lesson shows its tracks (after an upgrade to P2P the SFU one
    // lingers until sfu.close); the tracks are remembered for a fallback to it.
    const direct = remoteTrackHandlers(this.state);
    const tracks = new Map<TrackSource, MediaStreamTrack>();
    const current = () => this.session === session || (this.session === undefined && this.heldSfu !== session);
    const session: SfuSession = new SfuSession(this.getSig()!, local!, join!.ice_servers, {
      onTrack: (track, source) => (tracks.set(source, track), current() && direct.onTrack(track, source)),
      onTrackEnded: (track, source) => {
        if (source && tracks.get(source) === track) tracks.delete(source);
        if (current()) direct.onTrackEnded(track, source);
      },
      onConnectionState: (state) => current() && direct.onConnectionState?.(state),
    }, this.currentScreenTrack(), preset, device, pre, recorded);
    this.sfuTracks.set(session, tracks);
    return session;
  }

  /** The tutor's board for the recording (room-controller.ts setBoardCapture): sent when no screen is shared. */
  boardCapture: MediaStreamTrack | null = null;

  private currentScreenTrack(): MediaStreamTrack | null {
    return this.state.get().localScreen?.getVideoTracks()[0] ?? this.boardCapture;
  }

  async start(session: MediaSession): Promise<void> {
    this.session = session;
    this.state.set({ media: 'connecting' });
    try {
      await session.start();
      this.applyTrackState();
      // Its media flowing tells the server (an instant join in a P2P room then upgrades to P2P).
      if (session.kind === 'sfu') {
        void (session as SfuSession).waitReceiving(10_000).then((ok) => {
          if (ok && this.session === session) void this.getSig()?.request('sfu.ready', {}).catch(() => undefined);
        });
      }
    } catch (err) {
      console.error('media failed to start', err);
      if (this.session === session) this.state.set({ media: 'failed' });
    }
  }

  applyTrackState(): void {
    const { micOn, camOn, screenOn } = this.state.get();
    this.session?.setTrackEnabled('audio', micOn);
    this.session?.setTrackEnabled('video', camOn);
    for (const t of this.state.get().local?.getTracks() ?? []) t.enabled = t.kind === 'audio' ? micOn : camOn;
    void this.getSig()?.request('media.state', { audio: micOn, video: camOn, screen: screenOn }).catch(() => undefined);
  }

  /** Closes the media path; with keepLocal the camera (and a screen share) stay on for the next path. */
  close(keepLocal = false): void {
    this.draining?.close();
    this.draining = undefined;
    this.heldSfu?.close();
    this.heldSfu = undefined;
    this.pendingP2P?.close();
    this.pendingP2P = undefined;
    if (this.upgradeFrom !== this.session) this.upgradeFrom?.close();
    this.upgradeFrom = undefined;
    this.session?.close();
    this.session = undefined;
    this.state.set({ remote: new MediaStream(), remoteScreen: null, media: null });
    if (!keepLocal) {
      this.prepared?.close();
      this.prepared = undefined;
      for (const t of this.state.get().local?.getTracks() ?? []) t.stop();
      for (const t of this.state.get().localScreen?.getTracks() ?? []) t.stop();
      this.state.set({ local: null, localScreen: null, screenOn: false });
    }
  }
}
