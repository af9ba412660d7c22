// Plays a recording from its copied per-track WebM segments (no transcode, ready seconds after the
// lesson): one media element per track, each fed by Media Source Extensions, all following one
// lesson clock. Per element instead of one MediaSource for everything: a track with a gap (camera
// off, a screen share that ended) would stall the others; here an element outside its segments is
// just paused (and its video hidden) while the rest play on. Segments are fetched around the
// playhead only (a window ahead, old ones removed), so a 60-minute lesson costs what a minute does.

export interface PlaybackSegment {
  url: string;
  start: number;
  duration: number;
}

export interface PlaybackTrackJson {
  role: string;
  source: string;
  kind: string;
  mime_type: string;
  segments: PlaybackSegment[];
}

const AHEAD_S = 25;
const BEHIND_S = 20;
/** Elements further than this from the lesson clock are moved to it. */
const MAX_DRIFT_S = 0.25;

/** One track: its element, MediaSource and which segments are appended. */
export class TrackFeed {
  readonly track: PlaybackTrackJson;
  readonly el: HTMLMediaElement;
  private readonly source = new MediaSource();
  private buffer: SourceBuffer | undefined;
  private readonly appended = new Set<number>();
  private busy = false;
  private failed = false;
  private readonly opened: Promise<void>;

  constructor(track: PlaybackTrackJson, el: HTMLMediaElement, durationS: number) {
    this.track = track;
    this.el = el;
    el.src = URL.createObjectURL(this.source);
    this.opened = new Promise((resolve) =>
      this.source.addEventListener(
        'sourceopen',
        () => {
          try {
            this.buffer = this.source.addSourceBuffer(track.mime_type);
            // Every segment is a whole WebM file placed by its own offset on the lesson clock.
            this.buffer.mode = 'segments';
            this.source.duration = durationS;
          } catch {
            this.failed = true;
          }
          resolve();
        },
        { once: true },
      ),
    );
  }

  /** Whether the lesson clock `t` falls inside one of this track's segments. */
  covers(t: number): boolean {
    return this.track.segments.some((s) => t >= s.start && t < s.start + s.duration);
  }

  /** Whether the segment covering `t` (if any) is appended: otherwise the clock waits for it (start, seek). */
  loaded(t: number): boolean {
    if (this.failed) return true;
    const i = this.track.segments.findIndex((s) => t >= s.start && t < s.start + s.duration);
    return i < 0 || this.appended.has(i);
  }

  /** Appends the segments around `t` (one at a time), drops those far behind. */
  async fill(t: number): Promise<void> {
    await this.opened;
    const sb = this.buffer;
    if (!sb || this.busy || this.failed) return;
    this.busy = true;
    try {
      // Far behind the playhead (or ahead after a seek back): out of memory.
      for (const i of [...this.appended]) {
        const s = this.track.segments[i]!;
        if (s.start + s.duration < t - BEHIND_S || s.start > t + AHEAD_S * 2) {
          await this.op(() => sb.remove(s.start, s.start + s.duration));
          this.appended.delete(i);
        }
      }
      const wanted = this.track.segments
        .map((s, i) => ({ s, i }))
        .filter(({ s, i }) => !this.appended.has(i) && s.start + s.duration > t - 1 && s.start < t + AHEAD_S)
        .sort((a, b) => Math.abs(a.s.start - t) - Math.abs(b.s.start - t));
      for (const { s, i } of wanted) {
        const res = await fetch(s.url, { credentials: 'omit' });
        if (!res.ok) continue;
        const bytes = await res.arrayBuffer();
        if (sb.updating) await this.op(() => undefined);
        sb.timestampOffset = s.start;
        await this.op(() => sb.appendBuffer(bytes));
        this.appended.add(i);
      }
    } catch {
      // A segment that does not play (quota, decode) leaves a gap, not a broken player.
    } finally {
      this.busy = false;
    }
  }

  private op(start: () => void): Promise<void> {
    const sb = this.buffer!;
    return new Promise((resolve, reject) => {
      const done = () => {
        sb.removeEventListener('updateend', done);
        sb.removeEventListener('error', fail);
        resolve();
      };
      const fail = () => {
        sb.removeEventListener('updateend', done);
        sb.removeEventListener('error', fail);
        reject(new Error('source buffer error'));
      };
      sb.addEventListener('updateend', done);
      sb.addEventListener('error', fail);
      start();
      if (!sb.updating) done();
    });
  }

  /** Keeps the element on the lesson clock: playing inside its segments, paused outside. */
  follow(t: number, playing: boolean): void {
    const el = this.el;
    const inside = this.covers(t);
    el.dataset.active = String(inside);
    if (!inside) {
      if (!el.paused) el.pause();
      return;
    }
    if (Math.abs(el.currentTime - t) > MAX_DRIFT_S) el.currentTime = t;
    if (playing && el.paused) void el.play().catch(() => undefined);
    if (!playing && !el.paused) el.pause();
  }

  close(): void {
    URL.revokeObjectURL(this.el.src);
    this.el.removeAttribute('src');
    this.el.load();
  }
}

/** The lesson clock every track follows: wall time while playing, frozen while paused. */
export class LessonClock {
  private base = 0;
  private since: number | null = null;
  readonly duration: number;

  constructor(duration: number) {
    this.duration = duration;
  }

  get playing(): boolean {
    return this.since !== null;
  }

  now(): number {
    const t = this.since === null ? this.base : this.base + (performance.now() - this.since) / 1000;
    if (t >= this.duration) {
      this.base = this.duration;
      this.since = null;
      return this.duration;
    }
    return t;
  }

  play(): void {
    if (this.since !== null) return;
    if (this.base >= this.duration) this.base = 0;
    this.since = performance.now();
  }

  pause(): void {
    this.base = this.now();
    this.since = null;
  }

  seek(t: number): void {
    this.base = Math.max(0, Math.min(this.duration, t));
    if (this.since !== null) this.since = performance.now();
  }
}
