// The lesson's clock: warnings N minutes before the end and the end itself. The end can move
// (the tutor extends the lesson through the marketplace/API), so the clock re-reads it from the
// API periodically and right before each warning or the end fires; when the API cannot be
// reached the last known end stands.
export interface LessonClockDeps {
  /** The current end as the API knows it (throws when unreachable). */
  fetchEndsAt(): Promise<string>;
  onWarning(minutesLeft: number, endsAt: string): void;
  onEnd(): void;
  /** The end moved. */
  onReschedule(endsAt: string): void;
  warningMinutes: number[];
  refreshMs: number;
  now?: () => number;
}

// setTimeout caps at ~24.8 days; longer waits are chained.
const MAX_TIMEOUT = 2 ** 31 - 1;

export class LessonClock {
  private endsAtMs: number;
  private readonly deps: LessonClockDeps;
  private readonly fired = new Set<number>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private refresher: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  private checking = false;

  constructor(endsAt: string, deps: LessonClockDeps) {
    this.endsAtMs = Date.parse(endsAt);
    this.deps = deps;
    // Warnings whose moment is already past when the room opens are not sent late.
    for (const m of deps.warningMinutes) if (this.endsAtMs - m * 60_000 <= this.now()) this.fired.add(m);
    this.refresher = setInterval(() => void this.refresh(), deps.refreshMs);
    this.refresher.unref?.();
    this.schedule();
  }

  get endsAt(): string {
    return new Date(this.endsAtMs).toISOString();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.refresher);
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** The next moment something fires: a pending warning or the end. */
  private nextAt(): number {
    let next = this.endsAtMs;
    for (const m of this.deps.warningMinutes) {
      const at = this.endsAtMs - m * 60_000;
      if (!this.fired.has(m) && at < next) next = at;
    }
    return next;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    const wait = Math.max(0, Math.min(MAX_TIMEOUT, this.nextAt() - this.now()));
    this.timer = setTimeout(() => void this.tick(), wait);
    this.timer.unref?.();
  }

  private async refresh(): Promise<void> {
    let endsAt: string;
    try {
      endsAt = await this.deps.fetchEndsAt();
    } catch {
      return; // keep the known end
    }
    const ms = Date.parse(endsAt);
    if (this.stopped || Number.isNaN(ms) || ms === this.endsAtMs) return;
    this.endsAtMs = ms;
    // An extension re-arms the warnings that are now in the future again.
    for (const m of this.deps.warningMinutes) if (ms - m * 60_000 > this.now()) this.fired.delete(m);
    this.deps.onReschedule(this.endsAt);
    this.schedule();
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.checking) return;
    this.checking = true;
    try {
      await this.refresh(); // an extension granted a moment ago must win over a stale end
    } finally {
      this.checking = false;
    }
    if (this.stopped) return;
    const now = this.now();
    if (now >= this.endsAtMs) {
      this.stop();
      this.deps.onEnd();
      return;
    }
    // The latest due warning only (joining at 3 minutes left gets no stale 5-minute one).
    const due = this.deps.warningMinutes.filter((m) => !this.fired.has(m) && this.endsAtMs - m * 60_000 <= now).sort((a, b) => a - b);
    for (const m of due) this.fired.add(m);
    if (due.length > 0) this.deps.onWarning(due[0]!, this.endsAt);
    this.schedule();
  }
}
