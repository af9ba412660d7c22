// Live rooms of this media node, by lesson id. A room is created on the first hello (after the
// API confirms the lesson can still be held) and dropped when its last participant leaves.
import { ApiClient, LessonLookupError, SeatRefusedError, type LessonFacts, type RoomOpening, type SeatStanding } from '../api-client.ts';
import { Room, type RoomDeps } from './room.ts';

const CLOSED_STATUSES = new Set(['completed', 'cancelled', 'no_show', 'archived']);

export class LessonUnavailableError extends Error {}
/** The node moves its lessons elsewhere: the client asks the API again (see `reconnect`). */
export class NodeDrainingError extends Error {}

function assertJoinWindow(lesson: LessonFacts, now: Date): void {
  if (now < lesson.joinOpensAt) throw new LessonUnavailableError(`the lesson room opens at ${lesson.joinOpensAt.toISOString()}`);
  if (now >= lesson.joinClosesAt) throw new LessonUnavailableError('the lesson has ended');
}

export class RoomRegistry {
  private readonly rooms = new Map<string, Room>();
  /** Lessons this node ended (tutor or clock), refused at once even before the API has caught up. */
  private readonly ended = new Set<string>();
  private readonly opening = new Map<string, Promise<Room>>();
  /** Set while this node sends its lessons elsewhere (drained past its deadline, shutting down). */
  refusing: string | null = null;
  /** This node's NODE_ID when it registers with the API: lessons placed elsewhere are refused. */
  nodeId: string | null = null;
  private readonly api: ApiClient;
  private readonly deps: Omit<RoomDeps, 'onEmpty' | 'api' | 'chatHistory'>;

  constructor(api: ApiClient, deps: Omit<RoomDeps, 'onEmpty' | 'api' | 'chatHistory'>) {
    this.api = api;
    this.deps = deps;
  }

  get(sessionId: string): Room | undefined {
    return this.rooms.get(sessionId);
  }

  all(): Room[] {
    return [...this.rooms.values()];
  }

  /** What this node can refuse without asking the API (a standby socket is checked with this). */
  precheck(sessionId: string): void {
    if (this.refusing) throw new NodeDrainingError(this.refusing);
    if (this.ended.has(sessionId)) throw new LessonUnavailableError('the lesson has ended');
  }

  /**
   * The API's word on a token's seat (current, not revoked or used up) and on where the lesson
   * lives: a lesson the API placed on another node is refused here (`lesson_elsewhere`).
   */
  async checkSeat(sessionId: string, token: string, ticket: string | undefined, includeLesson = false): Promise<SeatStanding> {
    const standing = await this.api.seatCheck(sessionId, token, ticket, includeLesson);
    if (this.nodeId !== null && standing.mediaNode !== null && standing.mediaNode !== this.nodeId) {
      throw new SeatRefusedError('lesson_elsewhere', 'this lesson is hosted by another media node; ask the lesson service where to go');
    }
    return standing;
  }

  /** The API cancelled a running lesson: end its room (if here) and refuse it from now on. */
  cancel(sessionId: string): boolean {
    this.ended.add(sessionId);
    if (this.ended.size > 10_000) this.ended.delete(this.ended.values().next().value!);
    const room = this.rooms.get(sessionId);
    room?.cancel();
    return room !== undefined;
  }

  /** Closes a revoked seat of a live room now. False: no such room or nobody seated. */
  revoke(sessionId: string, role: 'tutor' | 'student'): boolean {
    return this.rooms.get(sessionId)?.revoke(role) ?? false;
  }

  /** Whether a pre-join socket gets the router's capabilities: the lesson starts on the SFU, or may (P2P instant join). */
  offersSfu(): boolean {
    return !this.deps.p2pEnabled || this.deps.p2pInstantJoin === true;
  }

  /**
   * The room for a lesson, if the lesson exists and its join window is open now. `opening`: the
   * lesson's facts and chat, already fetched with the seat check (else they are asked for here).
   */
  async open(sessionId: string, now = new Date(), opening?: RoomOpening): Promise<Room> {
    this.precheck(sessionId);
    const existing = this.rooms.get(sessionId);
    if (existing) {
      // The join window closes at the scheduled end, but an extended lesson is still running.
      if (existing.hasEnded) throw new LessonUnavailableError('the lesson has ended');
      if (now < existing.lesson.joinOpensAt) assertJoinWindow(existing.lesson, now);
      return existing;
    }
    let pending = this.opening.get(sessionId);
    if (!pending) {
      pending = this.create(sessionId, now, opening).finally(() => this.opening.delete(sessionId));
      this.opening.set(sessionId, pending);
    }
    return pending;
  }

  private async create(sessionId: string, now: Date, opening: RoomOpening | undefined): Promise<Room> {
    let lesson;
    // The chat history is read once, alongside the lesson facts; the room keeps it current
    // (every message goes through it), so later hellos and resumes need no API call.
    const history = opening
      ? Promise.resolve(opening.chat)
      : this.api.chatHistory(sessionId).catch((err: Error) => {
          this.deps.log?.warn({ session_id: sessionId, error: err.message }, 'chat history unavailable');
          return undefined;
        });
    try {
      lesson = opening?.lesson ?? (await this.api.lesson(sessionId));
    } catch (err) {
      if (err instanceof LessonLookupError && err.status === 404) throw new LessonUnavailableError('this lesson does not exist');
      throw err;
    }
    if (CLOSED_STATUSES.has(lesson.status)) throw new LessonUnavailableError(`this lesson is ${lesson.status.replace('_', '-')}`);
    assertJoinWindow(lesson, now); // before the room exists, so a refused hello leaves nothing behind
    if (now.getTime() >= Date.parse(lesson.endsAt)) throw new LessonUnavailableError('the lesson has ended');
    const room = new Room(lesson, {
      ...this.deps,
      api: this.api,
      chatHistory: await history,
      onEmpty: (r) => {
        void r.board.close(); // the board's last changes are saved through the API
        if (r.hasEnded) {
          this.ended.add(r.lesson.id);
          // Only a short-term guard until the API has caught up: bounded, oldest forgotten first.
          if (this.ended.size > 10_000) this.ended.delete(this.ended.values().next().value!);
        }
        if (this.rooms.get(r.lesson.id) === r) this.rooms.delete(r.lesson.id);
      },
    });
    this.rooms.set(sessionId, room);
    return room;
  }

  closeAll(): void {
    for (const room of [...this.rooms.values()]) room.close();
    this.rooms.clear();
  }
}
