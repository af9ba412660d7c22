// The room's brain: join through the API, open signaling, pick the media path the server asks
// for (P2P, SFU, the switch between them), and expose everything the screens render as one
// observable state (room-state.ts). Chat is in room-chat.ts, the media path (P2P/SFU and the
// switch) in media/media-path.ts, remote tracks in media/remote-tracks.ts.
import type { HelloData, Notification, ProbeInfo, Role, StandbyData } from '@duet/signaling/protocol';
import { ApiError, joinLesson } from './lib/api.ts';
import { delay, SignalingClient, SignalingError, STANDBY_WAIT_MS } from './lib/signaling-client.ts';
import { Store } from './lib/store.ts';
import { P2PSession } from './media/p2p-session.ts';
import type { MediaStatsSummary } from './media/stats.ts';
import { cameraAlreadyAllowed } from './lib/permissions.ts';
import { joinMedia, loadSfuSession, prepareSfu } from './media/load-sfu.ts';
import type { PreloadedDevice } from './media/media-path.ts';
import { MediaPath } from './media/media-path.ts';
import { INITIAL_ROOM_STATE, type RoomState, type ScreenError } from './room-state.ts';
import { screenError } from './room-errors.ts';
import { ChatOutbox } from './room-chat.ts';
import { BoardLink } from './board/board-link.ts';
import { LocalMedia } from './room-local-media.ts';

export type { Phase, RoomState, ScreenError } from './room-state.ts';

// A join grant fetched at pre-join is used while its TURN credentials have at least this long left (a
// fresh join would be a second use of a single-use link; a media node that moved shows the retry screen).
const GRANT_MARGIN_MS = 2 * 60_000;
/** A click while the pre-join transports are still connecting waits this long at most for them. */
const PRE_WARM_WAIT_MS = 3_000;

export class RoomController {
  readonly state = new Store<RoomState>({ ...INITIAL_ROOM_STATE });
  private readonly chatOutbox = new ChatOutbox(this.state, () => this.sig);
  private readonly sessionId: string | null;
  private readonly token: string | null;
  private sig: SignalingClient | undefined;
  /** The socket opened at pre-join (standby: authenticated, no seat) that enter() joins on. */
  private standbySig: SignalingClient | undefined;
  /** That socket's authentication (null: it did not come up). */
  private standbyReady: Promise<StandbyData | null> | undefined;
  /** The SFU device loaded with the standby's router capabilities (SFU lessons). */
  private sfuDevice: Promise<PreloadedDevice | null> | undefined;
  /** P2P / SFU sessions and the switch between them. */
  private readonly media = new MediaPath(this.state, () => this.sig);
  private readonly local = new LocalMedia(this.state, this.media);
  private leaving = false;
  private readonly appDataListeners = new Set<(from: Role, topic: string, data: unknown) => void>();
  readonly board = new BoardLink(() => this.sig); // the whiteboard's line (web/src/board)

  constructor(sessionId: string | null, token: string | null) {
    this.sessionId = sessionId;
    this.token = token;
  }

  async load(): Promise<void> {
    if (!this.sessionId || !this.token) return this.fail(screenError('missing_link'));
    this.state.set({ phase: 'loading', error: null });
    try {
      const join = await joinLesson(this.sessionId, this.token);
      performance.mark('duet:api-joined');
      this.state.set({ phase: 'prejoin', join });
      // The signaling socket opens and authenticates now, while the person is still on the
      // pre-join screen; the click then only takes the seat (one round trip).
      // In an SFU lesson the media device loads now too, so the join can ask the server for
      // ready transports and consumers (SfuSession).
      this.closeStandby();
      const sig = new SignalingClient();
      this.standbySig = sig;
      this.standbyReady = sig.standby(join.signaling_url, this.token, join.seat_ticket);
      this.sfuDevice = this.standbyReady
        .then((d) => (d?.sfu ? prepareSfu(sig, d.sfu.routerRtpCapabilities, join.ice_servers, !!join.session.recording) : null))
        .catch(() => null);
      // Warm the SFU code while the person is still on the pre-join screen (recorded lessons
      // start on the SFU; P2P ones may fall back to it).
      void loadSfuSession().catch(() => undefined);
    } catch (err) {
      if (err instanceof ApiError) {
        const e = screenError(err.code, err.message);
        if (err.code === 'too_early' && typeof err.details.opens_at === 'string') e.message = `This lesson opens at ${new Date(err.details.opens_at).toLocaleTimeString()}.`;
        return this.fail(e);
      }
      this.fail(screenError('network'));
    }
  }

  /**
   * Whether the join grant from load() can still be used: its TURN credentials (username
   * "<unix expiry>:<user id>") stay valid for at least GRANT_MARGIN_MS.
   */
  joinGrantFresh(now = Date.now()): boolean {
    const join = this.state.get().join;
    if (!join) return false;
    for (const server of join.ice_servers) {
      const expiry = Number(server.username?.split(':')[0]);
      if (Number.isFinite(expiry) && expiry > 0 && expiry * 1000 - now < GRANT_MARGIN_MS) return false;
    }
    return true;
  }

  /** `preset`: the tracks the pre-join device check already opened (no second prompt). */
  async enter(preset?: MediaStream): Promise<void> {
    const join = this.state.get().join;
    if (!join || !this.token) return;
    performance.mark('duet:enter');
    this.leaving = false; // a rejoin after leaving
    this.state.set({ phase: 'connecting', ended: null });
    const sig = this.standbySig ?? new SignalingClient();
    const device = this.standbySig && this.sfuDevice ? await Promise.race([this.sfuDevice, delay(STANDBY_WAIT_MS, null)]) : null;
    this.standbySig = undefined;
    this.sfuDevice = undefined;
    this.sig = sig;
    this.media.preloadedDevice = device?.device; // P2P lessons: the instant join's held SFU side uses it
    // Notifications that arrive before the camera is open (hello may win the race) wait.
    let early: Notification[] | null = [];
    sig.onNotification((n) => (early ? early.push(n) : this.onNotification(n)));
    sig.onReconnecting(() => this.state.set({ reconnecting: true }));
    sig.onResumed((hello) => void this.onResumed(hello));
    // Another media node when this one is gone or moving its lessons (the API knows where).
    sig.onRelocate(async () => {
      if (!this.sessionId || !this.token) return null;
      const next = await joinLesson(this.sessionId, this.token);
      this.state.set({ join: next });
      return next.signaling_url;
    });
    sig.onClose((code, reason) => {
      if (this.leaving) return;
      this.media.close();
      if (code === 4001) return this.fail(screenError('replaced'));
      if (code === 4005) return this.fail(screenError('removed'));
      if (code === 4002 && (reason === 'participant_revoked' || reason === 'token_superseded' || reason === 'token_already_used')) return this.fail(screenError(reason));
      if (code === 4002 || reason === 'lesson_unavailable') {
        this.leaving = true;
        return this.state.set({ phase: 'left', reconnecting: false, ended: this.state.get().ended ?? 'ended' });
      }
      this.fail(screenError('connection_lost'));
    });
    // The pre-join screen may hand over the stream it already opened (chosen devices).
    const openCamera = () => (preset ? Promise.resolve(preset) : navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } }).catch(() => null));
    // Instant join, a quick click: pre-join transports still warming up are worth a short wait
    // (the join then adopts them); past it the join goes without them and the node makes new ones.
    if (device && !device.pre && device.warming) await Promise.race([device.warming, delay(PRE_WARM_WAIT_MS, undefined)]);
    const joinWith = joinMedia(device, preset);
    const connect = () => sig.connect(join.signaling_url, this.token!, joinWith, join.seat_ticket).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    // With camera permission already granted (the usual case after the pre-join preview), the
    // camera and the hello run side by side; otherwise nobody is seated before the camera is on.
    let local: MediaStream | null;
    let hello: HelloData | Error;
    if (preset || (await cameraAlreadyAllowed())) {
      [local, hello] = await Promise.all([openCamera(), connect()]);
    } else {
      local = await openCamera();
      hello = local ? await connect() : new Error('no camera');
    }
    performance.mark('duet:media-ready');
    if (!local) {
      this.leaving = true;
      if (!(hello instanceof Error)) await sig.request('leave', {}).catch(() => undefined);
      sig.close();
      return this.fail(screenError('camera_denied'));
    }
    if (hello instanceof Error) {
      for (const t of local.getTracks()) t.stop();
      sig.close();
      if (hello instanceof SignalingError) return this.fail(screenError(hello.code, hello.message));
      return this.fail(screenError('video_unavailable'));
    }
    performance.mark('duet:hello');
    this.state.set({ local, remote: new MediaStream(), remoteScreen: null });
    this.applyHello(hello);
    this.state.set({ phase: 'room' });
    const pending = early;
    early = null;
    for (const n of pending) this.onNotification(n);
    const modeSeen = pending.some((n) => n.t === 'mode');
    if (hello.mode === 'sfu' && !modeSeen && !this.media.session && !this.media.unsupported()) {
      // Until the SFU session exists (it subscribes in its constructor), notifications are held
      // again: the other side's producers (sfu.newConsumer / sfu.newProducer) arriving while we
      // wait for the pre-join transports or the chunk would otherwise reach nobody (seen in the
      // network lab: a student joining 0.6 s after the tutor, the tutor never got their media).
      const held: Notification[] = [];
      early = held;
      await loadSfuSession(); // loaded now: from here to the session's constructor is microtasks only
      early = null;
      for (const n of held) if (!n.t.startsWith('sfu.')) this.onNotification(n);
      if (held.some((n) => n.t === 'mode') || this.media.session) return; // a mode change made its own session
      const all = [...pending, ...held];
      // Producers announced while the hello was in flight are consumed too (deduped by id).
      const announced = all.flatMap((n) => (n.t === 'sfu.newProducer' ? [{ producerId: n.producerId, kind: n.kind, source: n.source, role: n.role }] : []));
      // Consumers the server made for us meanwhile (after a join with receive capabilities).
      const pushed = all.filter((n): n is Extract<Notification, { t: 'sfu.newConsumer' }> => n.t === 'sfu.newConsumer');
      const closed = new Set(all.flatMap((n) => (n.t === 'sfu.producerClosed' ? [n.producerId] : [])));
      const prepared = hello.sfu?.prepared ? { ...hello.sfu.prepared, consumers: [...hello.sfu.prepared.consumers, ...pushed].filter((c) => !closed.has(c.producerId)) } : undefined;
      const preset = hello.sfu ? { ...hello.sfu, producers: [...hello.sfu.producers, ...announced].filter((p) => !closed.has(p.producerId)), ...(prepared ? { prepared } : {}) } : undefined;
      const preloaded = device && hello.sfu && JSON.stringify(hello.sfu.routerRtpCapabilities) === device.caps ? device.device : undefined;
      await this.media.start(await this.media.newSfuSession(preset, preloaded, preloaded && joinWith.preconnected ? device?.pre : undefined));
    }
    if (!modeSeen) {
      this.media.prepareP2P();
      this.media.holdSfu();
    }
    else if (hello.mode !== 'sfu') void loadSfuSession().catch(() => undefined); // warm the chunk for a later switch
  }

  toggleMic(): void {
    const micOn = !this.state.get().micOn;
    this.state.set({ micOn });
    this.media.applyTrackState();
  }

  toggleCam(): void {
    const camOn = !this.state.get().camOn;
    this.state.set({ camOn });
    this.media.applyTrackState();
  }

  /** Starts or stops sharing the screen (a third track in either mode). */
  toggleScreen(track?: MediaStreamTrack): Promise<void> {
    return this.local.toggleScreen(track);
  }

  /** Recorded lessons, tutor: the open board's video goes out in the screen-share slot (room-local-media.ts). */
  setBoardCapture(track: MediaStreamTrack | null): Promise<void> {
    return this.local.setBoardCapture(track);
  }

  /** Sends a chat message; it shows as pending until the server confirms it is stored. */
  sendChat(text: string): Promise<void> {
    return this.chatOutbox.send(text);
  }

  /** Sends a chat message that failed again, with the same id (the server dedupes). */
  retryChat(id: string): Promise<void> {
    return this.chatOutbox.retry(id);
  }

  /** The end as the API knows it now (an extension read by the page): the clock follows. */
  setEndsAt(endsAt: string): void {
    const lesson = this.state.get().lesson;
    if (lesson && Date.parse(lesson.endsAt) !== Date.parse(endsAt)) this.state.set({ lesson: { ...lesson, endsAt } });
  }

  /** Tutor only: ends the lesson for both. */
  async endLesson(): Promise<void> {
    await this.sig?.request('lesson.end', {});
  }

  /** Switches the camera or microphone during the call (room-local-media.ts). */
  switchDevice(kind: 'audio' | 'video', deviceId: string): Promise<void> {
    return this.local.switchDevice(kind, deviceId);
  }

  /** Small app messages to the other side (whiteboard cursors, quiz answers...). */
  async sendAppData(topic: string, data: unknown): Promise<void> {
    await this.sig?.request('app.data', { topic, data });
  }

  onAppData(fn: (from: Role, topic: string, data: unknown) => void): () => void {
    this.appDataListeners.add(fn);
    return () => this.appDataListeners.delete(fn);
  }

  async leave(): Promise<void> {
    this.leaving = true;
    await this.sig?.request('leave', {}).catch(() => undefined);
    this.sig?.close();
    this.media.close();
    this.state.set({ phase: 'left' });
  }

  /** getStats() of the media path as plain entries (tests and benches copy them out of the page). */
  async rawStats(): Promise<Record<string, unknown>[][]> {
    const reports = this.media.session ? await this.media.session.rawStats() : [];
    return reports.map((r) => [...(r as unknown as Map<string, Record<string, unknown>>).values()].map((e) => ({ ...e })));
  }

  stats(): Promise<MediaStatsSummary | null> {
    return this.media.session ? this.media.session.stats() : Promise.resolve(null);
  }

  get mediaKind(): 'p2p' | 'sfu' | null {
    return this.media.session?.kind ?? null;
  }

  /** Test switches for the end-to-end tests (also handy for operators reproducing trouble). */
  readonly test = {
    dropSignaling: () => this.sig?.simulateDrop(),
    failP2P: () => (this.media.session instanceof P2PSession ? this.media.session.simulateFailure() : undefined),
    blockP2P: () => (this.media.switches.blockP2P = true),
    shareScreen: (track: MediaStreamTrack) => this.toggleScreen(track),
  };
  // ---- internals -------------------------------------------------------------
  private applyHello(hello: HelloData): void {
    const offset = Date.parse(hello.lesson.serverNow) - Date.now();
    const chat = [...this.state.get().chat];
    for (const m of hello.chat) if (!chat.some((c) => c.id === m.id)) chat.push(m);
    this.state.set({
      mode: hello.mode,
      peer: hello.peer,
      peerPresence: hello.peer?.presence ?? 'absent',
      role: hello.you.role,
      speaker: hello.speaker,
      chat,
      lesson: { endsAt: hello.lesson.endsAt, scheduledStart: hello.lesson.scheduledStart, scheduledEnd: hello.lesson.scheduledEnd, clockOffsetMs: offset },
    });
  }

  private async onResumed(hello: HelloData): Promise<void> {
    const before = this.state.get().mode;
    this.applyHello(hello);
    this.state.set({ reconnecting: false });
    this.board.resumed(); // the whiteboard syncs again (it does not wait for the media)
    this.media.applyTrackState();
    if (!hello.resumed || hello.mode !== before || !this.media.session) {
      // The seat was lost (or the mode changed meanwhile): media from scratch per the server.
      this.media.close(true);
      this.media.holdSfu(); // waiting alone with instant join: a fresh held SFU side (a no-op otherwise)
      if (hello.mode === 'sfu' && !this.media.unsupported()) await this.media.start(await this.media.newSfuSession());
    } else {
      await this.media.session.resumed().catch((err) => console.warn('media resume failed', err));
    }
    this.chatOutbox.retryFailed();
  }

  private onNotification(n: Notification): void {
    switch (n.t) {
      case 'peer.joined':
        this.state.set({ peer: n.peer, peerPresence: 'present' });
        break;
      case 'peer.presence': {
        const peer = this.state.get().peer;
        this.state.set({ peerPresence: n.presence, peer: peer ? { ...peer, presence: n.presence } : peer });
        break;
      }
      case 'peer.left':
        this.state.set({ peer: null, peerPresence: 'absent', remoteScreen: null });
        if (this.media.session?.kind === 'p2p') this.media.close(true);
        break; // the 'mode waiting' that follows prepares the next offer
      case 'peer.mediaState': {
        const peer = this.state.get().peer;
        if (peer) this.state.set({ peer: { ...peer, audio: n.audio, video: n.video, screen: n.screen } });
        break;
      }
      case 'mode':
        this.media.onMode(n.mode, n.initiator, n.reason);
        break;
      case 'p2p.close':
        this.media.closeDraining();
        break;
      case 'sfu.close':
        this.media.closeUpgraded();
        break;
      case 'speaker':
        this.state.set({ speaker: n.role });
        break;
      case 'chat.message':
        this.chatOutbox.add(n.message);
        break;
      case 'app.data':
        for (const fn of this.appDataListeners) fn(n.from, n.topic, n.data);
        break;
      case 'lesson.schedule': {
        const lesson = this.state.get().lesson;
        if (lesson) this.state.set({ lesson: { ...lesson, endsAt: n.endsAt, clockOffsetMs: Date.parse(n.serverNow) - Date.now() } });
        break;
      }
      case 'lesson.warning':
        this.state.set({ warning: { minutesLeft: n.minutesLeft, endsAt: n.endsAt, at: Date.now() } });
        break;
      case 'session.ended':
        this.leaving = true;
        this.media.close();
        this.state.set({ ended: n.reason });
        if (n.reason === 'replaced') this.fail(screenError('replaced'));
        // The marketplace cancelled the running lesson: the cancelled screen, not "lesson ended".
        else if (n.reason === 'cancelled') this.fail(screenError('lesson_cancelled'));
        else this.state.set({ phase: 'left' });
        break;
      default:
        this.board.notify(n); // the whiteboard's notifications
    }
  }

  /** Pre-join route check: the media node's probe transport (sfu.probe) over the standby socket; null: none (TURN only). */
  async routeProbe(): Promise<ProbeInfo | null> {
    const sig = this.standbySig;
    if (!sig || !(await this.standbyReady) || this.standbySig !== sig) return null;
    return sig.request('sfu.probe', {}).catch(() => null);
  }

  /** The pre-join socket is not going to be used (the page shows an error, or a new grant came). */
  closeStandby(): void {
    this.standbySig?.close();
    this.standbySig = undefined;
    this.standbyReady = undefined;
    this.sfuDevice = undefined;
  }

  private fail(error: ScreenError): void {
    this.closeStandby();
    this.state.set({ phase: 'error', error });
  }
}
