// One lesson's live room: two seats (tutor, student), the media mode, P2P relay and SFU calls.
// It talks to connections through the small RoomConnection interface and to media through
// @duet/sfu's MediaRoom, so neither WebSocket details nor mediasoup objects appear here.
import { newEvent, type DuetEvent } from '@duet/api/events';
import type { JoinClaims } from '@duet/api/tokens';
import { MediaError, MediaRoom, type WorkerPool } from '@duet/sfu';
import type { LessonInfo, MediaKindName, MediaSourceName, Notification, P2PSignal, PeerInfo, ResponseData, Role, RoomMode } from '../protocol/index.ts';
import type { LessonFacts } from '../api-client.ts';
import { LessonRecorder, type RecorderClient } from '../recording/index.ts';

export interface RoomConnection {
  readonly id: string;
  notify(message: Notification): void;
  close(code: number, reason: string): void;
}

export class RoomError extends Error {
  readonly code: 'wrong_mode' | 'no_peer' | 'media_error';
  constructor(code: RoomError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

interface Seat extends PeerInfo {
  conn: RoomConnection;
}

export interface RoomDeps {
  pool: WorkerPool;
  p2pEnabled: boolean;
  emitHook(event: DuetEvent): void;
  onEmpty(room: Room): void;
  /** Set when a recorder runs next to this node (RECORDER_URL). */
  recorder?: RecorderClient | undefined;
}

const other = (role: Role): Role => (role === 'tutor' ? 'student' : 'tutor');

export class Room {
  readonly lesson: LessonFacts;
  private readonly seats = new Map<Role, Seat>();
  private readonly deps: RoomDeps;
  private media: Promise<MediaRoom> | undefined;
  private mode: RoomMode;
  private readonly recording: LessonRecorder | undefined;

  constructor(lesson: LessonFacts, deps: RoomDeps) {
    this.lesson = lesson;
    this.deps = deps;
    this.mode = this.sfuOnly ? 'sfu' : 'waiting';
    if (lesson.recording && deps.recorder) this.recording = new LessonRecorder(lesson.id, deps.recorder);
  }

  /** Recorded lessons and nodes with P2P disabled use the SFU from the first publish. */
  get sfuOnly(): boolean {
    return this.lesson.recording || !this.deps.p2pEnabled;
  }

  /**
   * Seats the participant (replacing an older connection of the same person) and returns the
   * hello response plus what to do once that response is on the wire.
   */
  join(claims: JoinClaims, conn: RoomConnection): { data: ResponseData['hello']; after: () => void } {
    const role = claims.role;
    const previous = this.seats.get(role);
    if (previous) {
      previous.conn.notify({ t: 'session.ended', reason: 'replaced' });
      previous.conn.close(4001, 'replaced by a newer connection');
      void this.media?.then((m) => m.removePeer(role)).catch(() => undefined);
    }
    const seat: Seat = { role, userId: claims.userId, name: claims.name, avatarUrl: claims.avatarUrl, audio: true, video: true, conn };
    this.seats.set(role, seat);
    if (!previous) this.hook('participant.joined', { role, user_id: claims.userId });
    const peer = this.seats.get(other(role));
    const data: ResponseData['hello'] = { you: this.info(seat), peer: peer ? this.info(peer) : null, lesson: this.lessonInfo(), mode: this.mode };
    const after = () => {
      // Also after a replacement: the peer learns the (possibly new) connection is back.
      if (peer) peer.conn.notify({ t: 'peer.joined', peer: this.info(seat) });
      this.updateMode();
    };
    return { data, after };
  }

  /** A participant left on purpose or its socket closed. Ignored for a replaced connection. */
  leave(role: Role, conn: RoomConnection, reason: 'left' | 'disconnected'): void {
    const seat = this.seats.get(role);
    if (!seat || seat.conn !== conn) return;
    this.seats.delete(role);
    void this.media?.then((m) => m.removePeer(role)).catch(() => undefined);
    this.hook('participant.left', { role, user_id: seat.userId, reason });
    this.seats.get(other(role))?.conn.notify({ t: 'peer.left', role, reason });
    if (this.seats.size === 0) {
      this.recording?.detach();
      void this.media?.then((m) => m.close()).catch(() => undefined);
      this.media = undefined;
      this.deps.onEmpty(this);
      return;
    }
    this.updateMode();
  }

  setMediaState(role: Role, audio: boolean, video: boolean): void {
    const seat = this.seats.get(role);
    if (!seat) return;
    seat.audio = audio;
    seat.video = video;
    this.seats.get(other(role))?.conn.notify({ t: 'peer.mediaState', role, audio, video });
  }

  relay(role: Role, signal: P2PSignal): void {
    if (this.mode !== 'p2p') throw new RoomError('wrong_mode', `the room is in ${this.mode} mode, not p2p`);
    const peer = this.seats.get(other(role));
    if (!peer) throw new RoomError('no_peer', 'the other participant is not connected');
    peer.conn.notify({ t: 'p2p.signal', signal });
  }

  // ---- SFU -----------------------------------------------------------------

  async capabilities(role: Role): Promise<ResponseData['sfu.capabilities']> {
    const media = await this.sfu();
    const producers = media.producersFor(role).map((p) => ({ producerId: p.producerId, kind: p.kind, source: p.source, role: p.peerId as Role }));
    return { routerRtpCapabilities: media.rtpCapabilities, producers };
  }

  async createTransport(role: Role, direction: 'send' | 'recv'): Promise<ResponseData['sfu.createTransport']> {
    return this.mediaCall((m) => m.createTransport(role, direction));
  }

  async connectTransport(role: Role, transportId: string, dtlsParameters: Record<string, unknown>): Promise<void> {
    await this.mediaCall((m) => m.connectTransport(role, transportId, dtlsParameters));
  }

  async produce(role: Role, transportId: string, kind: MediaKindName, rtpParameters: Record<string, unknown>, source: MediaSourceName): Promise<string> {
    return this.mediaCall((m) => m.produce(role, transportId, kind, rtpParameters, source));
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
      participants: [...this.seats.values()].map((s) => this.info(s)),
      media: media && !media.closed ? media.stats() : null,
    };
  }

  /** The node is shutting down: participants are disconnected (their clients reconnect). */
  close(): void {
    for (const seat of [...this.seats.values()]) {
      this.leave(seat.role, seat.conn, 'disconnected');
      seat.conn.close(1001, 'media node shutting down');
    }
  }

  // ---- internals -------------------------------------------------------------

  private updateMode(): void {
    if (this.sfuOnly) return; // always 'sfu'
    const both = this.seats.size === 2;
    const next: RoomMode = both ? 'p2p' : 'waiting';
    if (next === 'p2p') {
      // Fresh negotiation each time both are present: the tutor offers, the student answers.
      this.mode = 'p2p';
      for (const seat of this.seats.values()) seat.conn.notify({ t: 'mode', mode: 'p2p', initiator: seat.role === 'tutor' });
    } else if (this.mode !== 'waiting') {
      this.mode = 'waiting';
      for (const seat of this.seats.values()) seat.conn.notify({ t: 'mode', mode: 'waiting', initiator: false });
    }
  }

  private sfu(): Promise<MediaRoom> {
    if (this.mode !== 'sfu') return Promise.reject(new RoomError('wrong_mode', `the room is in ${this.mode} mode, not sfu`));
    if (!this.media) {
      this.media = MediaRoom.create(this.deps.pool, this.lesson.id).then((media) => {
        media.on('producerAdded', (p) => {
          this.seats.get(other(p.peerId as Role))?.conn.notify({ t: 'sfu.newProducer', producerId: p.producerId, kind: p.kind, source: p.source, role: p.peerId as Role });
        });
        media.on('producerClosed', (p) => {
          this.seats.get(other(p.peerId as Role))?.conn.notify({ t: 'sfu.producerClosed', producerId: p.producerId });
        });
        this.recording?.attach(media);
        return media;
      });
      this.media.catch(() => (this.media = undefined));
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
    return { role: seat.role, userId: seat.userId, name: seat.name, avatarUrl: seat.avatarUrl, audio: seat.audio, video: seat.video };
  }

  private lessonInfo(): LessonInfo {
    return { sessionId: this.lesson.id, recording: this.lesson.recording, scheduledStart: this.lesson.scheduledStart, scheduledEnd: this.lesson.scheduledEnd };
  }

  private hook(type: 'participant.joined' | 'participant.left', data: Record<string, unknown>): void {
    this.deps.emitHook(newEvent(type, this.lesson.id, data));
  }
}
