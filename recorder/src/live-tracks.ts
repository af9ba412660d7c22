// The tracks a recording records now and the RTP port of each in the lesson's current FFmpeg run.
// A track change moves every track to NEW ports in a new run that starts while the old run still
// records (gapless, lesson-process.ts); the media node follows the ports it reads in the status.
// Ports are released only once no FFmpeg of the lesson holds them.
import type { LessonProcess } from './lesson-process.ts';
import type { TrackEntry } from './manifest.ts';
import { allocatePortPair, releasePortPair } from './ports.ts';

export class LiveTracks {
  /** trackId -> RTP port of the current run; -1 while the run that records it is starting. */
  readonly ports = new Map<string, number>();
  /**
   * The media node follows port changes (it re-plumbs a track whose port the status changed; its
   * start call says so): track changes are then gapless, every track moving to the new run's
   * ports. Without it (older callers, fixed RTP senders) a change restarts FFmpeg on the same ports.
   */
  gapless = false;
  /** Track changes in flight; stop and finalize wait for them. */
  changes: Promise<void> = Promise.resolve();
  private applying: Promise<void> = Promise.resolve();
  private readonly proc: LessonProcess;
  private readonly address: string;
  private readonly entry: (trackId: string) => TrackEntry;

  constructor(proc: LessonProcess, address: string, entry: (trackId: string) => TrackEntry) {
    this.proc = proc;
    this.address = address;
    this.entry = entry;
  }

  /** Resolves once the changes asked for so far are applied (or failed). */
  settled(): Promise<void> {
    return this.applying;
  }

  /**
   * Points the lesson's FFmpeg at the tracks in `ports`: a new run on new ports when a track came
   * (gapless; the same ports without it); when tracks only went away, the gapless run goes on. One change at a time.
   */
  apply(): Promise<void> {
    const apply = this.applying.then(async () => {
      const kept = [...this.ports].map(([trackId, port]) => ({ trackId, port }));
      if (this.gapless && this.proc.records(kept)) {
        // Only tracks went away: nothing moves, no new run (lesson-process.ts narrowTo).
        this.proc.narrowTo(kept.map((k) => k.trackId));
        return;
      }
      const next = new Map<string, number>();
      try {
        for (const [trackId, port] of this.ports) next.set(trackId, port >= 0 && !this.gapless ? port : await allocatePortPair(this.address));
        const inputs = [...next].map(([trackId, port]) => {
          const t = this.entry(trackId);
          return { trackId, kind: t.kind, codec: t.codec, container: t.container, port };
        });
        const change = this.proc.setInputs(inputs);
        this.changes = this.changes.then(() => change).catch(() => undefined);
        await change;
      } catch (err) {
        for (const [trackId, p] of next) if (p !== this.ports.get(trackId)) releasePortPair(p);
        throw err;
      }
      const old = [...this.ports.values()];
      for (const [trackId, port] of next) if (this.ports.has(trackId)) this.ports.set(trackId, port);
      this.releaseUnused([...old, ...next.values()]);
    });
    this.applying = apply.catch(() => undefined);
    return apply;
  }

  /** Releases those of `ports` no live track uses and no FFmpeg of the lesson holds (a run ended). */
  releaseUnused(ports: number[]): void {
    const held = this.proc.portsInUse();
    const live = new Set(this.ports.values());
    for (const p of ports) if (p >= 0 && !live.has(p) && !held.has(p)) releasePortPair(p);
  }
}
