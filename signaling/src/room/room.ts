// One lesson's live room: two seats (tutor, student) with a reconnect grace, the media mode
// (P2P relay, fallback to the SFU, make before break), the lesson clock and its end, and app data.
// Seats live in seat.ts, the mode rules in media-mode.ts, the SFU side in room-media.ts, chat in
// room-chat.ts. It talks to connections through the small RoomConnection interface, so no
// WebSocket details appear here.
import { newEvent, type DuetEvent, type EventType } from '@duet/api/events';
import type { JoinClaims } from '@duet/api/tokens';
import type { MediaRoom, WorkerPool } from '@duet/sfu';
import { CLOSE_REMOVED, type ChatMessage, type EndReason, type HelloData, type LessonInfo } from '../protocol/index.ts';
import type { ModeReason, Notification, P2PSignal, Role, RoomMode } from '../protocol/index.ts';
import type { ApiClient, LessonFacts } from '../api-client.ts';
import { LessonClock } from './lesson-clock.ts';
import { LessonRecorder, type RecorderClient } from '../recording/index.ts';
import type { Logger } from '../log.ts';
import { newSeat, other, peerInfo, RoomError, type RoomConnection, type Seat } from './seat.ts';
import type { RoomTimings } from './timings.ts';
import { RoomChat } from './room-chat.ts';
import { RoomMedia } from './room-media.ts';
import { MediaMode } from './media-mode.ts';
import { RoomBoard, type RoomBoardDeps } from './room-board.ts';

export { RoomError, type RoomConnection } from './seat.ts';
export { DEFAULT_TIMINGS, type RoomTimings } from './timings.ts';
export { capabilitiesOf } from './room-media.ts';

export interface RoomDeps extends RoomBoardDeps {
  pool: WorkerPool;
  api: ApiClient;
  p2pEnabled: boolean;
  /** P2P rooms: a join on SFU transports preconnected at pre-join starts on the SFU (P2P_INSTANT_JOIN). */
  p2pInstantJoin?: boolean;
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

export class Room {
  readonly lesson: LessonFacts;
  private readonly seats = new Map<Role, Seat>();
  private readonly deps: RoomDeps;
  readonly sfu: RoomMedia; // the SFU side (router created on first use)
  readonly board: RoomBoard; // the lesson's whiteboard (room-board.ts)
  private readonly modes: MediaMode;
  private speaker: Role | null = null;
  private readonly clock: LessonClock;
  private ended: EndReason | null = null;
  private closed = false;
  private readonly chatLog: RoomChat;
  private readonly recording: LessonRecorder | undefined;
  private readonly log: Logger | undefined;

  constructor(lesson: LessonFacts, deps: RoomDeps) {
    this.lesson = lesson;
    this.deps = deps;
    this.log = deps.log?.child({ session_id: lesson.id });
    this.chatLog = new RoomChat(lesson.id, deps.api, deps.chatHistory, this.log);
    this.sfu = new RoomMedia(lesson.id, deps.pool, {
      assertSfu: (preconnect) => {
        if (!(preconnect ? this.modes.preconnectAllowed : this.modes.sfuAllowed)) throw new RoomError('wrong_mode', `the room is in ${this.modes.mode} mode, not sfu`);
        if (this.ended) throw new RoomError('lesson_ended', 'this lesson has ended');
      },
      notify: (role, n) => this.seats.get(role)?.conn?.notify(n),
      present: (role) => !!this.seats.get(role)?.conn,
      onSpeaker: (role) => this.setSpeaker(role),
      onRouterLost: () => {
        // Both sides set their SFU session up again on a live (or replacement) worker.
        if (this.modes.mode === 'sfu' && !this.ended) {
          this.modes.reason = 'media_restarted';
          this.broadcast({ t: 'mode', mode: 'sfu', initiator: false, reason: 'media_restarted' });
        }
      },
      onCreated: (media: MediaRoom) => this.recording?.attach(media),
    }, this.log);
    this.modes = new MediaMode({
      sfuOnly: this.sfuOnly,
      instantJoin: deps.p2pInstantJoin ?? false,
      reason: lesson.recording ? 'recorded' : deps.p2pEnabled ? 'alone' : 'p2p_disabled',
      seats: this.seats,
      timings: deps.timings,
      broadcast: (n) => this.broadcast(n),
      log: this.log,
      // Support staff see mode moves on the lesson's timeline (`duet lessons trace`).
      onChange: (mode, reason) => this.hook('session.mode_changed', { mode, reason }),
      dropSfu: () => ['tutor', 'student'].forEach((role) => !this.sfuOnly && this.sfu.removePeer(role as Role)),
    });
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
    this.board = new RoomBoard(lesson.id, { store: deps.api, limits: deps.board, notify: (role, n) => this.seats.get(role)?.conn?.notify(n), broadcast: (n) => this.broadcast(n), log: this.log });
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
  join(claims: JoinClaims, conn: RoomConnection, resume: string | undefined, chat: ChatMessage[], preconnected = false): { data: HelloData; after: () => void } {
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
        resumed = sameClient; // back before its old socket was noticed dead (a cut link): a resume
      } else {
        resumed = true;
        this.hook('participant.joined', { role, user_id: claims.userId, resumed: true });
      }
      if (!sameClient) this.sfu.removePeer(role);
    } else {
      this.hook('participant.joined', { role, user_id: claims.userId });
    }
    const seat = newSeat(claims, conn, previous, sameClient);
    this.seats.set(role, seat);
    const peer = this.seats.get(other(role));
    const instant = preconnected && !previous && !!peer?.conn && this.modes.instantJoin(); // P2P room, SFU transports preconnected: start on the SFU
    const data: HelloData = {
      you: peerInfo(seat),
      peer: peer ? peerInfo(peer) : null,
      lesson: this.lessonInfo(),
      mode: this.modes.mode,
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
        peer.conn.notify({ t: 'peer.joined', peer: peerInfo(seat), resumed: resumed || !!previous });
        if (instant && this.modes.mode === 'sfu') peer.conn.notify({ t: 'mode', mode: 'sfu', initiator: false, reason: 'instant_join' });
      }
      if (this.modes.mode === 'p2p' && previous) {
        // Same client with its RTCPeerConnection still alive: renegotiate (ICE restart, the
        // offerer starts it). A different client (reload, new tab): negotiate from scratch.
        if (sameClient) this.seats.get('tutor')?.conn?.notify({ t: 'p2p.restartIce' });
        else this.modes.startP2P('peer_resumed');
        return;
      }
      this.modes.update();
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

  /** Whether `resume` is the resume token of the seat kept for `role` (a reconnect of that client). */
  keepsSeat(role: Role, resume: string | undefined): boolean {
    return resume !== undefined && this.seats.get(role)?.resumeToken === resume;
  }

  /**
   * The marketplace removed this participant: told, closed with CLOSE_REMOVED, seat freed at once
   * (no grace: the links of the seat are refused by the API from now on). False: nobody seated.
   */
  revoke(role: Role): boolean {
    const seat = this.seats.get(role);
    if (!seat) return false;
    const conn = seat.conn;
    seat.conn = null;
    conn?.notify({ t: 'removed', reason: 'revoked' });
    conn?.close(CLOSE_REMOVED, 'removed from the lesson');
    this.vacate(seat, 'removed');
    return true;
  }

  private vacate(seat: Seat, reason: 'left' | 'disconnected' | 'grace_expired' | 'ended' | 'removed'): void {
    if (this.seats.get(seat.role) !== seat) return;
    clearTimeout(seat.grace);
    this.seats.delete(seat.role);
    const role = seat.role;
    this.sfu.removePeer(role);
    this.hook('participant.left', { role, user_id: seat.userId, reason });
    if (reason !== 'ended') this.seats.get(other(role))?.conn?.notify({ t: 'peer.left', role, reason: reason === 'left' || reason === 'removed' ? 'left' : reason === 'grace_expired' ? 'grace_expired' : 'disconnected' });
    if (this.speaker === role) this.setSpeaker(null);
    if (this.seats.size === 0) return this.dispose();
    this.modes.update();
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
    if (!this.modes.relaying) throw new RoomError('wrong_mode', `the room is in ${this.modes.mode} mode, not p2p`);
    const peer = this.seats.get(other(role));
    if (!peer?.conn) throw new RoomError('no_peer', 'the other participant is not connected');
    peer.conn.notify({ t: 'p2p.signal', signal });
  }

  /** P2P health from one side; `failed` (after its ICE restart) moves the room to the SFU. */
  p2pStatus(role: Role, state: 'connected' | 'restarting' | 'failed'): RoomMode {
    return this.modes.p2pStatus(role, state);
  }

  /** Make before break: this side receives the other's media through the SFU now. */
  sfuReady(role: Role): void {
    this.modes.sfuReady(role);
  }

  /** After an instant join's upgrade: this side shows the other's P2P media now. */
  p2pReady(role: Role): void {
    this.modes.p2pReady(role);
  }
  /** Whether a join on a preconnected socket would start this room on the SFU now (instant join). */
  get startsInstant(): boolean {
    return this.modes.preconnectAllowed && this.modes.mode === 'waiting';
  }

  /** Chat: stored through the API first (idempotent by id), then delivered to both. */
  async chat(role: Role, messageId: string, text: string): Promise<ChatMessage> {
    const seat = this.seats.get(role);
    if (!seat) throw new RoomError('no_peer', 'not seated');
    const message = await this.chatLog.store(seat, messageId, text);
    this.broadcast({ t: 'chat.message', message });
    return message;
  }

  /** Chat so far, oldest first, for a (re)joining participant (empty if the API cannot say). */
  chatHistory(): Promise<ChatMessage[]> {
    return this.chatLog.history();
  }

  /** `data` was sized by its frame on arrival (transport/connection.ts): it is relayed as is. */
  appData(role: Role, topic: string, data: unknown): void {
    const peer = this.seats.get(other(role));
    if (!peer?.conn) throw new RoomError('no_peer', 'the other participant is not connected');
    peer.conn.notify({ t: 'app.data', from: role, topic, data });
  }

  /** The tutor ends the lesson early. */
  endByTutor(role: Role): void {
    if (role !== 'tutor') throw new RoomError('forbidden', 'only the tutor can end the lesson');
    this.end('ended_by_tutor');
  }

  /** For the hello of an SFU room (or an instant join: `instant`): the router is ready before the seat is taken. */
  async mediaForHello(instant = false): Promise<MediaRoom | undefined> {
    if ((this.modes.mode !== 'sfu' && !(instant && this.startsInstant)) || this.ended) return undefined;
    return this.sfu.forHello(instant);
  }

  /** Operator/test view: who is here and what the SFU holds. */
  async snapshot(): Promise<Record<string, unknown>> {
    const media = await this.sfu.stats();
    return {
      sessionId: this.lesson.id,
      mode: this.modes.mode,
      modeReason: this.modes.reason,
      fellBack: this.modes.fellBack,
      endsAt: this.clock.endsAt,
      ended: this.ended,
      speaker: this.speaker,
      participants: [...this.seats.values()].map((s) => peerInfo(s)),
      media,
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

  /** The marketplace cancelled it while it ran: end for both, no session.ended hook (the API moved it). */
  cancel(): void {
    this.end('cancelled');
  }

  private end(reason: 'ended_by_tutor' | 'time_up' | 'cancelled'): void {
    if (this.ended) return;
    this.ended = reason;
    // The reason first, so the API records why; then each attendance interval closes.
    if (reason !== 'cancelled') this.hook('session.ended', { reason });
    this.recording?.stop(reason);
    this.broadcast({ t: 'session.ended', reason });
    for (const seat of [...this.seats.values()]) {
      const conn = seat.conn;
      this.vacate(seat, 'ended');
      conn?.close(4002, reason === 'cancelled' ? 'lesson_cancelled' : 'the lesson has ended');
    }
    this.dispose();
  }

  private dispose(): void {
    this.recording?.detach();
    this.clock.stop();
    this.modes.stop();
    for (const seat of this.seats.values()) clearTimeout(seat.grace);
    this.sfu.close();
    this.deps.onEmpty(this);
  }

  private setSpeaker(role: Role | null): void {
    if (this.speaker === role) return;
    this.speaker = role;
    this.broadcast({ t: 'speaker', role });
  }

  private broadcast(n: Notification): void {
    for (const seat of this.seats.values()) seat.conn?.notify(n);
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
