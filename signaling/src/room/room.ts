// One lesson's live room: two seats (tutor, student), the media mode, P2P relay and fallback,
// SFU calls, presence with a reconnect grace, the lesson clock, chat and app data.
// It talks to connections through the small RoomConnection interface and to media through
// @duet/sfu's MediaRoom, so neither WebSocket details nor mediasoup objects appear here.
import { randomBytes } from 'node:crypto';
import { newEvent, type DuetEvent, type EventType } from '@duet/api/events';
import type { JoinClaims } from '@duet/api/tokens';
import { MediaError, MediaRoom, type WorkerPool } from '@duet/sfu';
import {
  MAX_APP_DATA_BYTES,
  type ChatMessage,
  type EndReason,
  type HelloData,
  type LessonInfo,
  type MediaKindName,
  type MediaSourceName,
  type ModeReason,
  type Notification,
  type P2PSignal,
  type PeerInfo,
  type ResponseData,
  type Role,
  type RoomMode,
} from '../protocol/index.ts';
import type { ApiClient, LessonFacts } from '../api-client.ts';
import { LessonClock } from './lesson-clock.ts';
import { LessonRecorder, type RecorderClient } from '../recording/index.ts';
import type { Logger } from '../log.ts';

export interface RoomConnection {
  readonly id: string;
  notify(message: Notification): void;
  close(code: number, reason: string): void;
}

export class RoomError extends Error {
  readonly code: 'wrong_mode' | 'no_peer' | 'media_error' | 'forbidden' | 'payload_too_large' | 'lesson_ended' | 'service_unavailable';
  constructor(code: RoomError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

interface Seat {
  role: Role;
  userId: string;
  name: string;
  avatarUrl: string | null;
  audio: boolean;
  video: boolean;
  screen: boolean;
  /** null while the participant is away within the grace period. */
  conn: RoomConnection | null;
  resumeToken: string;
  grace: ReturnType<typeof setTimeout> | undefined;
  p2pConnected: boolean;
  speaking: boolean;
  sfuReady: boolean;
}

export interface RoomTimings {
  /** A dropped participant keeps its seat this long. */
  graceMs: number;
  /** P2P ICE must connect within this time after the mode starts (or after a restart). */
  p2pConnectTimeoutMs: number;
  /** Make before break: the P2P connection is closed at the latest this long after the switch. */
  switchTimeoutMs: number;
  warningMinutes: number[];
  /** How often the lesson's end is re-read from the API (extensions). */
  scheduleRefreshMs: number;
}

export const DEFAULT_TIMINGS: RoomTimings = {
  graceMs: 30_000,
  p2pConnectTimeoutMs: 10_000,
  switchTimeoutMs: 15_000,
  warningMinutes: [5, 1],
  scheduleRefreshMs: 60_000,
};

export interface RoomDeps {
  pool: WorkerPool;
  api: ApiClient;
  p2pEnabled: boolean;
  timings: RoomTimings;
  emitHook(event: DuetEvent): void;
  onEmpty(room: Room): void;
  /** The lesson's chat when the room opened (undefined: the API could not say; asked again on join). */
  chatHistory?: ChatMessage[] | undefined;
  /** The node's logger; the room logs through a child bound to its session_id. */
  log?: Logger | undefined;
  /** Set when a recorder runs next to this node (RECORDER_URL). */
  recorder?: RecorderClient | undefined;
}

const other = (role: Role): Role => (role === 'tutor' ? 'student' : 'tutor');

/** What a participant needs to set up SFU media: the router's codecs and the others' producers. */
export function capabilitiesOf(media: MediaRoom, role: Role): ResponseData['sfu.capabilities'] {
  const producers = media.producersFor(role).map((p) => ({ producerId: p.producerId, kind: p.kind, source: p.source, role: p.peerId as Role }));
  return { routerRtpCapabilities: media.rtpCapabilities, producers };
}

export class Room {
  readonly lesson: LessonFacts;
  private readonly seats = new Map<Role, Seat>();
  private readonly deps: RoomDeps;
  private media: Promise<MediaRoom> | undefined;
  private mode: RoomMode;
  private modeReason: ModeReason;
  /** P2P failed once in this lesson: it stays on the SFU from now on. */
  private fellBack = false;
  /** Switching p2p -> sfu: the P2P connection stays up until both sides have SFU media. */
  private p2pClosing = false;
  private p2pTimer: ReturnType<typeof setTimeout> | undefined;
  private switchTimer: ReturnType<typeof setTimeout> | undefined;
  private speaker: Role | null = null;
  private readonly clock: LessonClock;
  private ended: EndReason | null = null;
  private closed = false;
  private chatLog: ChatMessage[] | undefined;
  private readonly recording: LessonRecorder | undefined;
  private readonly log: Logger | undefined;

  constructor(lesson: LessonFacts, deps: RoomDeps) {
    this.lesson = lesson;
    this.deps = deps;
    this.log = deps.log?.child({ session_id: lesson.id });
    this.chatLog = deps.chatHistory ? [...deps.chatHistory] : undefined;
    this.mode = this.sfuOnly ? 'sfu' : 'waiting';
    this.modeReason = lesson.recording ? 'recorded' : deps.p2pEnabled ? 'alone' : 'p2p_disabled';
    this.clock = new LessonClock(lesson.endsAt, {
      warningMinutes: deps.timings.warningMinutes,
      refreshMs: deps.timings.scheduleRefreshMs,
      fetchEndsAt: async () => (await deps.api.lesson(lesson.id)).endsAt,
      onReschedule: (endsAt) => this.broadcast({ t: 'lesson.schedule', endsAt, serverNow: new Date().toISOString() }),
      onWarning: (minutesLeft, endsAt) => {
        this.hook('session.warning', { minutes_left: minutesLeft, ends_at: endsAt });
        this.broadcast({ t: 'lesson.warning', minutesLeft, endsAt, serverNow: new Date().toISOString() });
      },
      onEnd: () => this.end('time_up'),
    });
    if (lesson.recording && deps.recorder) this.recording = new LessonRecorder(lesson.id, deps.recorder);
  }

  /** Recorded lessons and nodes with P2P disabled use the SFU from the first publish. */
  get sfuOnly(): boolean {
    return this.lesson.recording || !this.deps.p2pEnabled;
  }

  get hasEnded(): boolean {
    return this.ended !== null;
  }

  /**
   * Seats the participant and returns the hello response plus what to do once that response is
   * on the wire. A seat kept during the grace period is resumed; a live one is taken over (the
   * older connection is told it was replaced). `resume` must match the seat's resume token for
   * the server-side media (SFU transports) to be kept; otherwise it starts fresh.
   */
  join(claims: JoinClaims, conn: RoomConnection, resume: string | undefined, chat: ChatMessage[]): { data: HelloData; after: () => void } {
    if (this.ended) throw new RoomError('lesson_ended', 'this lesson has ended');
    const role = claims.role;
    const previous = this.seats.get(role);
    const sameClient = !!previous && resume !== undefined && resume === previous.resumeToken;
    let resumed = false;
    if (previous) {
      clearTimeout(previous.grace);
      if (previous.conn) {
        previous.conn.notify({ t: 'session.ended', reason: 'replaced' });
        previous.conn.close(4001, 'replaced by a newer connection');
      } else {
        resumed = true;
        this.hook('participant.joined', { role, user_id: claims.userId, resumed: true });
      }
      if (!sameClient) void this.media?.then((m) => m.removePeer(role)).catch(() => undefined);
    } else {
      this.hook('participant.joined', { role, user_id: claims.userId });
    }
    const seat: Seat = {
      role,
      userId: claims.userId,
      name: claims.name,
      avatarUrl: claims.avatarUrl,
      audio: previous?.audio ?? true,
      video: previous?.video ?? true,
      screen: sameClient ? (previous?.screen ?? false) : false,
      conn,
      resumeToken: previous && sameClient ? previous.resumeToken : randomBytes(18).toString('base64url'),
      grace: undefined,
      p2pConnected: sameClient ? (previous?.p2pConnected ?? false) : false,
      speaking: false,
      sfuReady: sameClient ? (previous?.sfuReady ?? false) : false,
    };
    this.seats.set(role, seat);
    const peer = this.seats.get(other(role));
    const data: HelloData = {
      you: this.info(seat),
      peer: peer ? this.info(peer) : null,
      lesson: this.lessonInfo(),
      mode: this.mode,
      resumeToken: seat.resumeToken,
      resumed,
      graceMs: this.deps.timings.graceMs,
      chat,
      speaker: this.speaker,
    };
    const after = () => {
      if (this.seats.get(role) !== seat) return;
      if (peer?.conn) {
        if (resumed || previous) peer.conn.notify({ t: 'peer.presence', role, presence: 'present' });
        peer.conn.notify({ t: 'peer.joined', peer: this.info(seat), resumed: resumed || !!previous });
      }
      if (this.mode === 'p2p' && previous) {
        // Same client with its RTCPeerConnection still alive: renegotiate (ICE restart, the
        // offerer starts it). A different client (reload, new tab): negotiate from scratch.
        if (sameClient) this.seats.get('tutor')?.conn?.notify({ t: 'p2p.restartIce' });
        else this.startP2P('peer_resumed');
        return;
      }
      this.updateMode();
    };
    return { data, after };
  }

  /**
   * A participant left on purpose (`left`: the seat goes now) or its socket closed
   * (`disconnected`: the seat is kept for the grace period). Ignored for a replaced connection.
   */
  leave(role: Role, conn: RoomConnection, reason: 'left' | 'disconnected'): void {
    const seat = this.seats.get(role);
    if (!seat || seat.conn !== conn) return;
    if (reason === 'left' || this.ended || this.closed) return this.vacate(seat, reason);
    seat.conn = null;
    seat.speaking = false;
    this.hook('participant.reconnecting', { role, user_id: seat.userId });
    this.seats.get(other(role))?.conn?.notify({ t: 'peer.presence', role, presence: 'reconnecting', graceMs: this.deps.timings.graceMs });
    seat.grace = setTimeout(() => this.vacate(seat, 'grace_expired'), this.deps.timings.graceMs);
    seat.grace.unref?.();
    if (this.speaker === role) this.setSpeaker(null);
  }

  private vacate(seat: Seat, reason: 'left' | 'disconnected' | 'grace_expired' | 'ended'): void {
    if (this.seats.get(seat.role) !== seat) return;
    clearTimeout(seat.grace);
    this.seats.delete(seat.role);
    const role = seat.role;
    void this.media?.then((m) => m.removePeer(role)).catch(() => undefined);
    this.hook('participant.left', { role, user_id: seat.userId, reason });
    if (reason !== 'ended') this.seats.get(other(role))?.conn?.notify({ t: 'peer.left', role, reason: reason === 'left' ? 'left' : reason === 'grace_expired' ? 'grace_expired' : 'disconnected' });
    if (this.speaker === role) this.setSpeaker(null);
    if (this.seats.size === 0) return this.dispose();
    this.updateMode();
  }

  setMediaState(role: Role, audio: boolean, video: boolean, screen: boolean | undefined): void {
    const seat = this.seats.get(role);
    if (!seat) return;
    seat.audio = audio;
    seat.video = video;
    if (screen !== undefined) seat.screen = screen;
    this.seats.get(other(role))?.conn?.notify({ t: 'peer.mediaState', role, audio, video, screen: seat.screen });
  }

  /** P2P: a side reports whether it hears itself speaking; the latest speaker wins. */
  setSpeaking(role: Role, speaking: boolean): void {
    const seat = this.seats.get(role);
    if (!seat) return;
    seat.speaking = speaking;
    if (speaking) this.setSpeaker(role);
    else if (this.speaker === role) this.setSpeaker(this.seats.get(other(role))?.speaking ? other(role) : null);
  }

  relay(role: Role, signal: P2PSignal): void {
    if (this.mode !== 'p2p' && !this.p2pClosing) throw new RoomError('wrong_mode', `the room is in ${this.mode} mode, not p2p`);
    const peer = this.seats.get(other(role));
    if (!peer?.conn) throw new RoomError('no_peer', 'the other participant is not connected');
    peer.conn.notify({ t: 'p2p.signal', signal });
  }

  /** P2P health from one side; `failed` (after its ICE restart) moves the room to the SFU. */
  p2pStatus(role: Role, state: 'connected' | 'restarting' | 'failed'): RoomMode {
    const seat = this.seats.get(role);
    if (!seat || this.mode !== 'p2p') return this.mode;
    if (state === 'connected') {
      seat.p2pConnected = true;
      if ([...this.seats.values()].every((s) => s.p2pConnected)) clearTimeout(this.p2pTimer);
    } else if (state === 'restarting') {
      seat.p2pConnected = false;
      this.armP2PTimer(); // the restart gets its own deadline
      // Only the offerer restarts ICE; tell it when the answerer saw the failure first.
      if (role !== 'tutor') this.seats.get('tutor')?.conn?.notify({ t: 'p2p.restartIce' });
    } else {
      this.switchToSfu('p2p_failed');
    }
    return this.mode;
  }

  /** Make before break: this side receives the other's media through the SFU now. */
  sfuReady(role: Role): void {
    const seat = this.seats.get(role);
    if (!seat) return;
    seat.sfuReady = true;
    if (this.p2pClosing && [...this.seats.values()].every((s) => s.sfuReady || !s.conn)) this.finishSwitch();
  }

  /** Chat: stored through the API first (idempotent by id), then delivered to both. */
  async chat(role: Role, messageId: string, text: string): Promise<ChatMessage> {
    const seat = this.seats.get(role);
    if (!seat) throw new RoomError('no_peer', 'not seated');
    let message: ChatMessage;
    try {
      message = await this.deps.api.postChat(this.lesson.id, { id: messageId, role, userId: seat.userId, name: seat.name, text, sentAt: new Date().toISOString() });
    } catch (err) {
      this.log?.warn({ role, error: (err as Error).message }, 'chat message not stored');
      throw new RoomError('service_unavailable', 'the message could not be stored; send it again');
    }
    if (this.chatLog && !this.chatLog.some((m) => m.id === message.id)) {
      this.chatLog.push(message);
      if (this.chatLog.length > 200) this.chatLog.splice(0, this.chatLog.length - 200);
    }
    this.broadcast({ t: 'chat.message', message });
    return message;
  }

  /** Chat so far, oldest first, for a (re)joining participant (empty if the API cannot say). */
  async chatHistory(): Promise<ChatMessage[]> {
    if (!this.chatLog) {
      try {
        // Messages stored meanwhile are in the API's answer too (they are stored before relaying).
        this.chatLog = await this.deps.api.chatHistory(this.lesson.id);
      } catch (err) {
        this.log?.warn({ error: (err as Error).message }, 'chat history unavailable');
        return [];
      }
    }
    return [...this.chatLog];
  }

  appData(role: Role, topic: string, data: unknown): void {
    const size = Buffer.byteLength(JSON.stringify(data ?? null));
    if (size > MAX_APP_DATA_BYTES) throw new RoomError('payload_too_large', `app data is limited to ${MAX_APP_DATA_BYTES} bytes of JSON`);
    const peer = this.seats.get(other(role));
    if (!peer?.conn) throw new RoomError('no_peer', 'the other participant is not connected');
    peer.conn.notify({ t: 'app.data', from: role, topic, data });
  }

  /** The tutor ends the lesson early. */
  endByTutor(role: Role): void {
    if (role !== 'tutor') throw new RoomError('forbidden', 'only the tutor can end the lesson');
    this.end('ended_by_tutor');
  }

  // ---- SFU -----------------------------------------------------------------

  async capabilities(role: Role): Promise<ResponseData['sfu.capabilities']> {
    return capabilitiesOf(await this.sfu(), role);
  }

  /**
   * For the hello of an SFU room: the router is created (or awaited) before the seat is taken,
   * so the hello reply can carry the capabilities. undefined in the other modes.
   */
  async mediaForHello(): Promise<MediaRoom | undefined> {
    if (this.mode !== 'sfu' || this.ended) return undefined;
    return this.sfu().catch(() => undefined);
  }

  async createTransport(role: Role, direction: 'send' | 'recv'): Promise<ResponseData['sfu.createTransport']> {
    return this.mediaCall((m) => m.createTransport(role, direction));
  }

  async connectTransport(role: Role, transportId: string, dtlsParameters: Record<string, unknown>): Promise<void> {
    await this.mediaCall((m) => m.connectTransport(role, transportId, dtlsParameters));
  }

  async restartIce(role: Role, transportId: string): Promise<ResponseData['sfu.restartIce']> {
    return { iceParameters: await this.mediaCall((m) => m.restartIce(role, transportId)) };
  }

  async produce(role: Role, transportId: string, kind: MediaKindName, rtpParameters: Record<string, unknown>, source: MediaSourceName): Promise<string> {
    return this.mediaCall((m) => m.produce(role, transportId, kind, rtpParameters, source));
  }

  async closeProducer(role: Role, producerId: string): Promise<void> {
    await this.mediaCall(async (m) => m.closeProducer(role, producerId));
  }

  async consume(role: Role, producerId: string, rtpCapabilities: Record<string, unknown>): Promise<ResponseData['sfu.consume']> {
    return this.mediaCall((m) => m.consume(role, producerId, rtpCapabilities));
  }

  async resumeConsumer(role: Role, consumerId: string): Promise<void> {
    await this.mediaCall((m) => m.resumeConsumer(role, consumerId));
  }

  /** Operator/test view: who is here and what the SFU holds. */
  async snapshot(): Promise<Record<string, unknown>> {
    const media = this.media ? await this.media.catch(() => undefined) : undefined;
    return {
      sessionId: this.lesson.id,
      mode: this.mode,
      modeReason: this.modeReason,
      fellBack: this.fellBack,
      endsAt: this.clock.endsAt,
      ended: this.ended,
      speaker: this.speaker,
      participants: [...this.seats.values()].map((s) => this.info(s)),
      media: media && !media.closed ? { ...media.stats(), workerPid: media.workerPid } : null,
    };
  }

  /** This node is going away: both are told to reconnect through the API (to another node), then closed. */
  relocate(reason: 'node_drained' | 'node_shutdown'): void {
    this.closed = true;
    this.broadcast({ t: 'reconnect', reason });
    for (const seat of [...this.seats.values()]) {
      clearTimeout(seat.grace);
      // A drop, not a leave: they come back on another node (attendance shows the gap until then).
      if (seat.conn) this.hook('participant.reconnecting', { role: seat.role, user_id: seat.userId, reason });
      seat.conn?.close(1001, 'lesson moved to another media node');
    }
    this.seats.clear();
    this.dispose();
  }

  /** The node is shutting down: participants are disconnected (their clients reconnect). */
  close(): void {
    this.closed = true;
    for (const seat of [...this.seats.values()]) {
      const conn = seat.conn;
      this.vacate(seat, 'disconnected');
      conn?.close(1001, 'media node shutting down');
    }
    this.dispose();
  }

  // ---- internals -------------------------------------------------------------

  private end(reason: 'ended_by_tutor' | 'time_up'): void {
    if (this.ended) return;
    this.ended = reason;
    // The reason first, so the API records why; then each attendance interval closes.
    this.hook('session.ended', { reason });
    this.recording?.stop(reason);
    this.broadcast({ t: 'session.ended', reason });
    for (const seat of [...this.seats.values()]) {
      const conn = seat.conn;
      this.vacate(seat, 'ended');
      conn?.close(4002, 'the lesson has ended');
    }
    this.dispose();
  }

  private dispose(): void {
    this.recording?.detach();
    this.clock.stop();
    clearTimeout(this.p2pTimer);
    clearTimeout(this.switchTimer);
    for (const seat of this.seats.values()) clearTimeout(seat.grace);
    void this.media?.then((m) => m.close()).catch(() => undefined);
    this.media = undefined;
    this.deps.onEmpty(this);
  }

  private updateMode(): void {
    if (this.sfuOnly || this.fellBack) return; // always 'sfu'
    const both = this.seats.size === 2;
    if (both && this.mode !== 'p2p') this.startP2P('both_present');
    else if (!both && this.mode !== 'waiting') {
      clearTimeout(this.p2pTimer);
      this.mode = 'waiting';
      this.modeReason = 'peer_left';
      this.broadcast({ t: 'mode', mode: 'waiting', initiator: false, reason: 'peer_left' });
    }
  }

  /** Fresh P2P negotiation: the tutor offers, the student answers. */
  private startP2P(reason: ModeReason): void {
    this.mode = 'p2p';
    this.modeReason = reason;
    for (const seat of this.seats.values()) {
      seat.p2pConnected = false;
      seat.conn?.notify({ t: 'mode', mode: 'p2p', initiator: seat.role === 'tutor', reason });
    }
    this.armP2PTimer();
  }

  private armP2PTimer(): void {
    clearTimeout(this.p2pTimer);
    this.p2pTimer = setTimeout(() => {
      // Nobody can tell while someone is away; the resume restarts ICE and re-arms this.
      if (this.mode === 'p2p' && this.seats.size === 2 && [...this.seats.values()].every((s) => s.conn) && ![...this.seats.values()].every((s) => s.p2pConnected)) {
        this.switchToSfu('p2p_timeout');
      }
    }, this.deps.timings.p2pConnectTimeoutMs);
    this.p2pTimer.unref?.();
  }

  /** P2P did not work out: the SFU for the rest of the lesson, make before break. */
  private switchToSfu(reason: 'p2p_failed' | 'p2p_timeout'): void {
    if (this.mode !== 'p2p') return;
    this.log?.info({ reason }, 'switching to the SFU');
    clearTimeout(this.p2pTimer);
    this.fellBack = true;
    this.mode = 'sfu';
    this.modeReason = reason;
    this.p2pClosing = true;
    for (const seat of this.seats.values()) seat.sfuReady = false;
    this.broadcast({ t: 'mode', mode: 'sfu', initiator: false, reason });
    this.switchTimer = setTimeout(() => this.finishSwitch(), this.deps.timings.switchTimeoutMs);
    this.switchTimer.unref?.();
  }

  private finishSwitch(): void {
    if (!this.p2pClosing) return;
    clearTimeout(this.switchTimer);
    this.p2pClosing = false;
    this.broadcast({ t: 'p2p.close' });
  }

  private setSpeaker(role: Role | null): void {
    if (this.speaker === role) return;
    this.speaker = role;
    this.broadcast({ t: 'speaker', role });
  }

  private broadcast(n: Notification): void {
    for (const seat of this.seats.values()) seat.conn?.notify(n);
  }

  private sfu(): Promise<MediaRoom> {
    if (this.mode !== 'sfu') return Promise.reject(new RoomError('wrong_mode', `the room is in ${this.mode} mode, not sfu`));
    if (this.ended) return Promise.reject(new RoomError('lesson_ended', 'this lesson has ended'));
    if (!this.media) {
      const created = MediaRoom.create(this.deps.pool, this.lesson.id).then((media) => {
        media.on('producerAdded', (p) => {
          this.seats.get(other(p.peerId as Role))?.conn?.notify({ t: 'sfu.newProducer', producerId: p.producerId, kind: p.kind, source: p.source, role: p.peerId as Role });
        });
        media.on('producerClosed', (p) => {
          this.seats.get(other(p.peerId as Role))?.conn?.notify({ t: 'sfu.producerClosed', producerId: p.producerId });
        });
        media.on('activeSpeaker', ({ peerId }) => this.setSpeaker((peerId as Role | null) ?? null));
        media.on('closed', ({ reason }) => {
          if (reason !== 'worker_died' || this.media !== created) return;
          // The worker died: the next SFU call builds a new router on a live (or replacement)
          // worker; both sides set their SFU session up again.
          this.log?.warn('media worker died, rebuilding the lesson router');
          this.media = undefined;
          if (this.mode === 'sfu' && !this.ended) {
            this.modeReason = 'media_restarted';
            this.broadcast({ t: 'mode', mode: 'sfu', initiator: false, reason: 'media_restarted' });
          }
        });
        this.recording?.attach(media);
        return media;
      });
      this.media = created;
      created.catch(() => {
        if (this.media === created) this.media = undefined;
      });
    }
    return this.media;
  }

  private async mediaCall<T>(fn: (m: MediaRoom) => Promise<T>): Promise<T> {
    const media = await this.sfu();
    try {
      return await fn(media);
    } catch (err) {
      if (err instanceof MediaError) throw new RoomError('media_error', err.message);
      throw err;
    }
  }

  private info(seat: Seat): PeerInfo {
    return {
      role: seat.role,
      userId: seat.userId,
      name: seat.name,
      avatarUrl: seat.avatarUrl,
      audio: seat.audio,
      video: seat.video,
      screen: seat.screen,
      presence: seat.conn ? 'present' : 'reconnecting',
    };
  }

  private lessonInfo(): LessonInfo {
    return {
      sessionId: this.lesson.id,
      recording: this.lesson.recording,
      scheduledStart: this.lesson.scheduledStart,
      scheduledEnd: this.lesson.scheduledEnd,
      endsAt: this.clock.endsAt,
      serverNow: new Date().toISOString(),
      warningMinutes: this.deps.timings.warningMinutes,
    };
  }

  private hook(type: EventType, data: Record<string, unknown>): void {
    this.deps.emitHook(newEvent(type, this.lesson.id, data));
  }
}
