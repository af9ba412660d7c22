// The tracks a recording records now and the RTP port the media node sends each to.
// Gapless (the media node's start call asks for it): each track has its own RTP relay on a port
// that stays for the recording (rtp-relay.ts); a track change starts a new FFmpeg run on new
// internal ports, the relays feed the old and the new run until the new one probed, then the old
// one stops (lesson-process.ts). A video track joins the runs once it sent a keyframe.
// Without it (older callers, fixed RTP senders) FFmpeg listens on the track's port itself and a
// change restarts it there. Ports are released only once no FFmpeg of the lesson holds them.
import type { LessonInput, LessonProcess, RunFeed } from './lesson-process.ts';
import type { TrackEntry } from './manifest.ts';
import { allocatePortPair, releasePortPair } from './ports.ts';
import { TrackRelay } from './rtp-relay.ts';

/**
 * Gapless: a run change waits until no track changed for this long (the rest of its burst)...
 * The window slides: the media node adds a lesson's tracks one request after the other, and on
 * a loaded node those requests can together take longer than one fixed window (fresh run 23 saw
 * a lesson's four tracks start two runs).
 */
const COALESCE_MS = 300;
/** ...but no longer than this after the burst's first change (a steady trickle must not hold the run back). */
const COALESCE_MAX_MS = 2_000;
/** Gapless: how long a run change waits for a new video's first keyframe before starting without it. */
const FIRST_KEYFRAME_WAIT_MS = 2_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LiveTracks {
  /** trackId -> RTP port of the current run; -1 while the run that records it is starting. */
  readonly ports = new Map<string, number>();
  /** Gapless: trackId -> its relay (port = the relay's). */
  private readonly relays = new Map<string, TrackRelay>();
  /** Gapless: run -> the relays feeding it. */
  private readonly feeding = new Map<number, TrackRelay[]>();
  /**
   * The media node follows port changes (it re-plumbs a track whose port the status changed; its
   * start call says so): track changes are then gapless, every track moving to the new run's
   * ports. Without it (older callers, fixed RTP senders) a change restarts FFmpeg on the same ports.
   */
  gapless = false;
  /** Track changes in flight; stop and finalize wait for them. */
  changes: Promise<void> = Promise.resolve();
  private applying: Promise<void> = Promise.resolve();
  /** Gapless: run changes, one after the other (scheduleRun). */
  private runs: Promise<void> = Promise.resolve();
  private runScheduled = false;
  /** Gapless: when a track last changed (scheduleRun's window slides with it). */
  private lastChange = 0;
  private stopped = false;
  /** Gapless: when each relay opened (a new video gets a moment for its first keyframe). */
  private readonly opened = new WeakMap<TrackRelay, number>();
  private readonly proc: LessonProcess;
  private readonly address: string;
  private readonly entry: (trackId: string) => TrackEntry;

  private readonly log: (msg: string, extra: Record<string, unknown>) => void;

  constructor(proc: LessonProcess, address: string, entry: (trackId: string) => TrackEntry, log: (msg: string, extra: Record<string, unknown>) => void = () => undefined) {
    this.proc = proc;
    this.address = address;
    this.entry = entry;
    this.log = log;
  }

  /** What LessonProcess tells the relays (only used once `gapless` is on). */
  readonly feed: RunFeed = {
    listening: (run, inputs) => {
      const relays: TrackRelay[] = [];
      for (const input of inputs) {
        const relay = this.relays.get(input.trackId);
        if (!relay) continue;
        relay.addTarget(run, input.port);
        relays.push(relay);
      }
      this.feeding.set(run, relays);
    },
    stopped: (run) => {
      for (const relay of this.feeding.get(run) ?? []) relay.removeTarget(run);
      this.feeding.delete(run);
    },
    sentTo: (run) => (this.feeding.get(run) ?? []).reduce((n, r) => n + r.sentTo(run), 0),
  };

  /** Gapless: a video whose relay has seen no keyframe yet (no run records it), or none since its newest run started. */
  waitingForKeyframe(trackId: string): boolean {
    return this.relays.get(trackId)?.needsKeyframe ?? false;
  }

  /** Resolves once the changes asked for so far are applied (or failed). */
  settled(): Promise<void> {
    return this.applying;
  }

  /**
   * Points the lesson's FFmpeg at the tracks in `ports`: gapless, through the relays (opened now;
   * the run follows, scheduleRun); without it, FFmpeg restarted on the tracks' own ports. One
   * change at a time.
   */
  apply(): Promise<void> {
    if (this.gapless) {
      // The port is the relay's, known at once: the caller (adding a track) gets it now, and the
      // run change follows on its own (scheduleRun), one for a burst of changes.
      const opened = this.applying.then(() => this.openRelays());
      this.applying = opened.catch(() => undefined);
      void opened.then(() => this.scheduleRun(), () => undefined);
      return opened;
    }
    const apply = this.applying.then(async () => {
      const next = new Map<string, number>();
      try {
        for (const [trackId, port] of this.ports) next.set(trackId, port >= 0 ? port : await allocatePortPair(this.address));
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

  /**
   * Gapless: every live track has a relay (opened here for a new one); the run records the ready
   * ones (audio; video once it sent a keyframe). A ready track the current run lacks starts a new
   * run on new internal ports, the old one recording on until it probed; tracks that only went
   * away leave the run as it is.
   */
  /** Gapless: a relay for every live track (opened here for a new one), none for a gone one. */
  private async openRelays(): Promise<void> {
    for (const [trackId, relay] of this.relays) {
      if (this.ports.has(trackId)) continue;
      relay.close();
      this.relays.delete(trackId);
      releasePortPair(relay.port);
    }
    for (const [trackId, port] of this.ports) {
      if (port >= 0 && this.relays.has(trackId)) continue;
      const t = this.entry(trackId);
      const relay = await TrackRelay.open(t.kind, t.codec.mimeType, this.address, () => allocatePortPair(this.address), releasePortPair);
      relay.on('ready', () => {
        if (this.relays.get(trackId) !== relay) return;
        this.log('recording track has its first keyframe; adding it to the run', { trackId });
        this.scheduleRun();
      });
      if (!relay.ready) {
        // Not recorded until its first keyframe: say so if that takes long (an operator's clue).
        setTimeout(() => {
          if (this.relays.get(trackId) === relay && !relay.ready) this.log('video track has sent no keyframe yet; not recorded until it does', { trackId, packets: relay.received });
        }, 10_000).unref();
      }
      this.relays.set(trackId, relay);
      this.opened.set(relay, Date.now());
      this.ports.set(trackId, relay.port);
    }
  }

  /**
   * Gapless: one run change for a burst of track changes. Tracks come in bursts (a lesson's start,
   * a participant's reconnect, the media node re-adding every track after a recorder restart) and
   * a new video's first keyframe follows its track by a moment (the node asks for one when it
   * connects): each of those starting its own run made a chain of FFmpeg runs replaced before they
   * probed (a CPU-starved machine recorded 0.05 s of a camera in the 6 s after a restart). So a
   * change waits until its burst has been quiet for COALESCE_MS (at most COALESCE_MAX_MS), and up
   * to FIRST_KEYFRAME_WAIT_MS for new videos' first keyframes; a video later than that joins with
   * a run of its own.
   */
  private scheduleRun(): void {
    this.lastChange = Date.now();
    if (this.runScheduled || this.stopped) return;
    this.runScheduled = true;
    const pass = this.runs.then(async () => {
      const first = Date.now();
      for (;;) {
        const wait = Math.min(this.lastChange + COALESCE_MS, first + COALESCE_MAX_MS) - Date.now();
        if (wait <= 0 || this.stopped) break;
        await sleep(wait);
      }
      const fresh = () => [...this.relays.values()].some((r) => !r.ready && Date.now() - (this.opened.get(r) ?? 0) < FIRST_KEYFRAME_WAIT_MS);
      while (fresh() && !this.stopped) await sleep(50);
      this.runScheduled = false; // changes from now on need a pass of their own
      await this.applying;
      if (!this.stopped) await this.startRun();
    });
    this.runs = pass.catch((err: Error) => this.log('ffmpeg restart failed', { error: err.message }));
    this.changes = this.changes.then(() => this.runs);
  }

  /** No run changes from now on (the recording stops; its runs end with it). */
  stopRuns(): void {
    this.stopped = true;
  }

  /** The run records the ready tracks (audio; video once it sent a keyframe); a ready track it lacks starts a new run. */
  private async startRun(): Promise<void> {
    const ready = [...this.relays].filter(([, r]) => r.ready).map(([trackId]) => trackId);
    if (this.proc.recordsTracks(ready)) {
      this.proc.narrowTo(ready);
      return;
    }
    const inputs: LessonInput[] = [];
    try {
      for (const trackId of ready) {
        const t = this.entry(trackId);
        inputs.push({ trackId, kind: t.kind, codec: t.codec, container: t.container, port: await allocatePortPair(this.address) });
      }
      const change = this.proc.setInputs(inputs);
      this.changes = this.changes.then(() => change).catch(() => undefined);
      await change;
    } catch (err) {
      for (const i of inputs) releasePortPair(i.port);
      throw err;
    }
  }

  /** Releases those of `ports` no live track uses and no FFmpeg of the lesson holds (a run ended). */
  releaseUnused(ports: number[]): void {
    const held = this.proc.portsInUse();
    const live = new Set(this.ports.values());
    for (const p of ports) if (p >= 0 && !live.has(p) && !held.has(p)) releasePortPair(p);
  }
}
