// Live rooms of this media node, by lesson id. A room is created on the first hello (after the
// API confirms the lesson can still be held) and dropped when its last participant leaves.
import { ApiClient, LessonLookupError } from '../api-client.ts';
import { Room, type RoomDeps } from './room.ts';

const CLOSED_STATUSES = new Set(['completed', 'cancelled', 'no_show', 'archived']);

export class LessonUnavailableError extends Error {}

export class RoomRegistry {
  private readonly rooms = new Map<string, Room>();
  private readonly opening = new Map<string, Promise<Room>>();
  private readonly api: ApiClient;
  private readonly deps: Omit<RoomDeps, 'onEmpty'>;

  constructor(api: ApiClient, deps: Omit<RoomDeps, 'onEmpty'>) {
    this.api = api;
    this.deps = deps;
  }

  get(sessionId: string): Room | undefined {
    return this.rooms.get(sessionId);
  }

  all(): Room[] {
    return [...this.rooms.values()];
  }

  async open(sessionId: string): Promise<Room> {
    const existing = this.rooms.get(sessionId);
    if (existing) return existing;
    let pending = this.opening.get(sessionId);
    if (!pending) {
      pending = this.create(sessionId).finally(() => this.opening.delete(sessionId));
      this.opening.set(sessionId, pending);
    }
    return pending;
  }

  private async create(sessionId: string): Promise<Room> {
    let lesson;
    try {
      lesson = await this.api.lesson(sessionId);
    } catch (err) {
      if (err instanceof LessonLookupError && err.status === 404) throw new LessonUnavailableError('this lesson does not exist');
      throw err;
    }
    if (CLOSED_STATUSES.has(lesson.status)) throw new LessonUnavailableError(`this lesson is ${lesson.status.replace('_', '-')}`);
    const room = new Room(lesson, {
      ...this.deps,
      onEmpty: (r) => {
        if (this.rooms.get(r.lesson.id) === r) this.rooms.delete(r.lesson.id);
      },
    });
    this.rooms.set(sessionId, room);
    return room;
  }

  closeAll(): void {
    for (const room of this.rooms.values()) room.close();
    this.rooms.clear();
  }
}
