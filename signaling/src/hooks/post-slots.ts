// A fixed number of slots, handed out in arrival order: the hook sender posts at most that many
// hooks at once across lessons (see "Posting" in hook-sender.ts).
export class PostSlots {
  private busy = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly size: number;

  constructor(size: number) {
    this.size = size;
  }

  /** Runs `work` once a slot is free; the slot passes straight to the next waiter when it is done. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.busy >= this.size) await new Promise<void>((resolve) => this.waiters.push(resolve));
    else this.busy++;
    try {
      return await work();
    } finally {
      const next = this.waiters.shift();
      if (next) next();
      else this.busy--;
    }
  }

  /** Slots in use, and callers waiting for one. */
  get state(): { posting: number; waiting: number } {
    return { posting: this.busy, waiting: this.waiters.length };
  }
}
