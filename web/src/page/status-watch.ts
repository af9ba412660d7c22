// Keeps the open page in step with the lesson's status while someone waits or is in the room: a
// light poll of GET /v1/sessions/:id (the join token authorises it) every POLL_MS, at once when the
// tab becomes visible again or the network comes back, and when the other side says the lesson
// changed (app.data nudge after an extension — the facts are always re-read from the API, never
// taken from the peer). A poll rather than a push through the media node: the person waiting alone
// may have no live media-node connection at all (pre-join, a dropped socket, a node that died),
// the API is the one source of truth for status, and one small GET per 20 s per person is cheap.
import type { Lesson } from '../lib/lesson-api.ts';

export const POLL_MS = 20_000;
/** Nudges closer together than this are folded into one read. */
const MIN_GAP_MS = 2_000;

export class StatusWatch {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running = false;
  private inFlight = false;
  private lastAt = 0;
  private readonly read: () => Promise<Lesson>;
  private readonly onLesson: (lesson: Lesson) => void;
  private readonly pollMs: number;

  constructor(read: () => Promise<Lesson>, onLesson: (lesson: Lesson) => void, pollMs = POLL_MS) {
    this.read = read;
    this.onLesson = onLesson;
    this.pollMs = pollMs;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.timer = setInterval(() => void this.check(), this.pollMs);
    globalThis.document?.addEventListener?.('visibilitychange', this.onVisible);
    globalThis.addEventListener?.('online', this.onOnline);
  }

  stop(): void {
    this.running = false;
    clearInterval(this.timer);
    globalThis.document?.removeEventListener?.('visibilitychange', this.onVisible);
    globalThis.removeEventListener?.('online', this.onOnline);
  }

  /** Reads the lesson now (unless a read is in flight or one just happened). */
  async check(force = false): Promise<void> {
    if (!this.running || this.inFlight || (!force && Date.now() - this.lastAt < MIN_GAP_MS)) return;
    this.inFlight = true;
    this.lastAt = Date.now();
    try {
      const lesson = await this.read();
      if (this.running) this.onLesson(lesson);
    } catch {
      // offline or the API is restarting: the next poll tries again
    } finally {
      this.inFlight = false;
    }
  }

  private readonly onVisible = () => {
    if (globalThis.document?.visibilityState === 'visible') void this.check();
  };

  private readonly onOnline = () => void this.check();
}
