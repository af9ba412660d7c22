// One FFmpeg per recorded lesson: a single SDP with one m-line per track (all RTP ports are bound
// at once, before probing) and one segment muxer per track, copying (no transcoding) into
// WebM/Matroska segments. Each FFmpeg process is a "run". When the set of tracks changes (a
// producer appears) a new run starts with the new set on NEW ports while the old run goes on
// recording (gapless, issue 15): the recorder's RTP relays (rtp-relay.ts, opts.relay) feed both,
// and the old run is closed once the new one has probed, so no packet falls between two runs.
// When FFmpeg exits unexpectedly a new run starts with the same set on the same ports, so a crash
// costs a moment, not a lesson.
//
// One process per lesson instead of one per track: FFmpeg maps ~40 MB of shared libraries per
// process, which dominated the live memory cost (see deploy/bench/results/recording.json).
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildSdp, type RtpCodec } from './sdp.ts';
import { udpPortBound } from './ports.ts';
import { parseSegmentRow, readStartMs, runArgs, runDirs, sendBye } from './run-files.ts';

export { parseSegmentRow, readStartMs, runDirs } from './run-files.ts';

export interface LessonInput {
  trackId: string;
  kind: 'audio' | 'video';
  codec: RtpCodec;
  container: 'webm' | 'matroska';
  /** RTP port (RTCP on port + 1); stays the same across runs while the track lives. */
  port: number;
}

export interface LessonProcessOptions {
  /** The recording directory: runs write `runs/run-<n>/` (SDP, log) and `tracks/<id>/run-<n>/` (segments). */
  dir: string;
  address: string;
  segmentSeconds: number;
  ffmpegPath: string;
  /** First run index (a recording adopted after a restart continues its numbering). */
  firstRun: number;
  log: (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;
  /**
   * Gapless mode: the recorder's RTP relays (rtp-relay.ts, live-tracks.ts) feed every run, so a
   * run's ports are its own. Told when a run listens (forward to it) and when it stops; counts
   * the packets that reached a run.
   */
  relay?: RunFeed;
}

export interface RunFeed {
  listening(run: number, inputs: LessonInput[]): void;
  stopped(run: number): void;
  sentTo(run: number): number;
}

export interface ClosedSegment {
  file: string;
  /** Seconds from the run's start (FFmpeg's input start time); the first segment starts at 0. */
  startS: number;
  endS: number;
  size: number;
}

export type RunEnd = 'stopped' | 'crashed' | 'idle';

export interface LessonProcessEvents {
  /** A run started for these tracks; `ffmpegDir` (relative to the recording dir) holds its SDP and log. */
  runStarted: [{ run: number; pid: number; trackIds: string[]; ffmpegDir: string }];
  /** FFmpeg saw the first packets: `startMs` is the wall-clock time its timestamps count from. */
  mediaStarted: [{ run: number; startMs: number }];
  segmentClosed: [{ run: number; trackId: string; segment: ClosedSegment }];
  /** `idle`: every RTP input was silent for 10 s (FFmpeg gives up); a new run starts at once. `ports`: the run's RTP ports. */
  runEnded: [{ run: number; end: RunEnd; code: number | null; signal: string | null; ports: number[] }];
}

interface LiveRun {
  run: number;
  child: ChildProcess;
  inputs: LessonInput[];
  exited: Promise<void>;
  stopping: boolean;
  seen: Map<string, number>;
  /** Size of each track's segment list at the last scan: unchanged means nothing to read. */
  listSizes: Map<string, number>;
  timers: NodeJS.Timeout[];
  /** Resolves once FFmpeg finished probing (media started) or exited. */
  probed: Promise<void>;
  markProbed: () => void;
  /** FFmpeg probed and records (mediaStarted). */
  media: boolean;
}

/** How long a track change waits for the running FFmpeg to finish probing before restarting it. */
const PROBE_WAIT_MS = 4_000;
/**
 * With the relay feeding runs, how long a change waits at most for a run that received media to
 * finish probing (the old run recording on). Normally it probes within a second; only a starved
 * machine gets near this. A run that received nothing has nothing to lose and is not waited for.
 */
const RELAY_PROBE_CAP_MS = 30_000;

export class LessonProcess extends EventEmitter<LessonProcessEvents> {
  private readonly opts: LessonProcessOptions;
  private current: LiveRun | undefined;
  /** The run a track change replaces, recording on until the new one has every track. */
  private previous: LiveRun | undefined;
  private desired: LessonInput[] = [];
  private nextRun: number;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private crashes = 0;

  constructor(opts: LessonProcessOptions) {
    super();
    this.opts = opts;
    this.nextRun = opts.firstRun;
  }

  /** Gapless mode from now on (before the first run): the relays feed every run. */
  useRelay(feed: RunFeed): void {
    this.opts.relay = feed;
  }

  get pid(): number | undefined {
    return this.current?.child.pid;
  }

  /** RTP ports an FFmpeg of this lesson listens on (the current run's and a replaced one's). */
  portsInUse(): Set<number> {
    // `desired` too: a run restarting after a crash takes them again.
    return new Set([...(this.current?.inputs ?? []), ...(this.previous?.inputs ?? []), ...this.desired].map((i) => i.port));
  }

  /** The run FFmpeg is in (its ports are bound), or -1 before the first one. */
  get currentRun(): number {
    return this.current?.run ?? this.nextRun - 1;
  }

  /** The current run (not being replaced) records at least these tracks (gapless mode: ports are the run's own). */
  recordsTracks(trackIds: string[]): boolean {
    const cur = this.current;
    if (!cur || cur.stopping) return false;
    return trackIds.every((id) => cur.inputs.some((c) => c.trackId === id));
  }

  /**
   * Tracks went away (gapless mode): the running FFmpeg goes on recording the others where it
   * is, and the gone ones simply stop sending (their last segment closes when the run ends). A
   * new run would only move every other track, and a video that sends nothing at that moment
   * (its person alone, leaving, or a paused camera) would leave the new run without a keyframe
   * to probe ("dimensions not set"). A restart after a crash records only `trackIds`.
   */
  narrowTo(trackIds: string[]): void {
    this.desired = (this.current?.inputs ?? this.desired).filter((i) => trackIds.includes(i.trackId));
  }

  /**
   * Records exactly these tracks from now on: the running FFmpeg (if any) closes its segments and a
   * new run starts with the new set. Resolves once the new FFmpeg listens on every port.
   */
  setInputs(inputs: LessonInput[]): Promise<void> {
    this.desired = [...inputs];
    let listening!: () => void;
    let failed!: (err: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      listening = resolve;
      failed = reject;
    });
    // The chain goes on (the old run's overlap) after the new run listens; errors after that are logged.
    this.enqueue(() => this.switchTo(this.desired, listening)).then(listening, failed);
    return ready;
  }

  /** Ends the current run cleanly; no new run starts. */
  stop(): Promise<void> {
    this.closed = true;
    this.desired = [];
    return this.enqueue(async () => {
      await this.endRun(this.previous);
      await this.endCurrent();
    });
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const next = this.chain.then(op);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async switchTo(inputs: LessonInput[], listening: () => void): Promise<void> {
    const cur = this.current;
    if (cur && !cur.stopping && sameInputs(cur.inputs, inputs)) return;
    // An FFmpeg stopped while still probing writes nothing: what it buffered would be lost (tracks
    // added in quick succession, e.g. both people joining at once). Let it finish probing first.
    if (cur && !cur.stopping) await (this.opts.relay ? this.takenOver() : Promise.race([cur.probed, sleep(PROBE_WAIT_MS)]));
    const overlap = cur && !cur.stopping && inputs.length > 0 && !this.closed && !inputs.some((i) => cur.inputs.some((c) => c.port === i.port));
    if (!overlap) {
      await this.endCurrent();
      if (inputs.length > 0 && !this.closed) await this.startRun(inputs);
      return;
    }
    // Gapless: the new run listens on its own ports before the old one stops.
    this.previous = cur;
    this.current = undefined;
    try {
      await this.startRun(inputs);
    } catch (err) {
      this.current = cur;
      this.previous = undefined;
      throw err;
    }
    listening();
    const next = this.current as LiveRun | undefined;
    const since = Date.now();
    const probed = next ? await this.takenOver() : false; // overlaps only happen with the relay (new ports)
    const stopping = Date.now();
    await this.endRun(cur);
    this.opts.log('info', 'track change: old run stopped after the new one took over', { oldRun: cur.run, newRun: next?.run, newRunProbed: probed, overlapMs: stopping - since, stopMs: Date.now() - stopping });
    if (this.previous === cur) this.previous = undefined;
  }

  /**
   * Gapless: resolves true once the lesson's current run (a new one, or its restart after a
   * crash: the old run records on meanwhile) has media, false when it has nothing to lose (no
   * packet reached it for a second: every track silent) or after RELAY_PROBE_CAP_MS. FFmpeg's own
   * progress, not a probe deadline: a CPU-starved FFmpeg that probes late still takes over.
   */
  private async takenOver(): Promise<boolean> {
    const since = Date.now();
    while (!this.closed && Date.now() - since < RELAY_PROBE_CAP_MS) {
      const cur = this.current;
      if (cur?.media) return true;
      if (cur && !cur.stopping && Date.now() - since >= 1_000 && (this.opts.relay?.sentTo(cur.run) ?? 0) === 0) return false;
      await sleep(100);
    }
    return false;
  }

  private endCurrent(): Promise<void> {
    return this.endRun(this.current);
  }

  private async endRun(cur: LiveRun | undefined): Promise<void> {
    if (!cur) return;
    cur.stopping = true;
    this.opts.relay?.stopped(cur.run); // the BYE below ends its input: nothing more goes there
    const { child } = cur;
    if (child.exitCode === null && child.signalCode === null) {
      // SIGINT ends FFmpeg cleanly (trailers written, segments listed), but only once a read
      // returns: FFmpeg checks it between packets, and a run whose tracks moved away (or whose
      // lesson ended) receives none, so it would hang until its 10-s RTP timeout. An RTCP BYE on
      // every track ends its input at once (FFmpeg's SDP demuxer: EOF once every stream said
      // BYE), as senders leaving do. SIGKILL only as a last resort: a second SIGINT would
      // interrupt the trailer write and lose the open segments.
      child.kill('SIGINT');
      const wake = setInterval(() => sendBye(cur.inputs), 1000);
      sendBye(cur.inputs);
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await cur.exited;
      clearTimeout(killer);
      clearInterval(wake);
    } else {
      await cur.exited;
    }
  }

  private async startRun(inputs: LessonInput[]): Promise<void> {
    const run = this.nextRun++;
    const { opts } = this;
    const ffmpegDir = runDirs(run, '').ffmpeg;
    const ffAbs = join(opts.dir, ffmpegDir);
    await mkdir(ffAbs, { recursive: true });
    const sdpPath = join(ffAbs, 'input.sdp');
    await writeFile(sdpPath, buildSdp(inputs.map((i) => ({ kind: i.kind, port: i.port, codec: i.codec })), opts.address));
    const args = runArgs(sdpPath, opts.segmentSeconds, inputs.map((input) => ({ dir: join(opts.dir, runDirs(run, input.trackId).track), container: input.container })));
    for (const input of inputs) await mkdir(join(opts.dir, runDirs(run, input.trackId).track), { recursive: true });
    // FFmpeg logs to a file, not a pipe: it survives the recorder (kill -9) and keeps the run's
    // start time readable after a restart.
    const logPath = join(ffAbs, 'ffmpeg.log');
    const logFd = openSync(logPath, 'a');
    const child = spawn(opts.ffmpegPath, args, { stdio: ['ignore', 'ignore', logFd] });
    closeSync(logFd);
    const tail = () => {
      try {
        return readFileSync(logPath, 'utf8').slice(-600);
      } catch {
        return '';
      }
    };
    let markProbed = () => {};
    const probed = new Promise<void>((r) => (markProbed = r));
    const live: LiveRun = { run, child, inputs, stopping: false, seen: new Map(), listSizes: new Map(), timers: [], exited: Promise.resolve(), probed, markProbed, media: false };
    let announced = false;
    let logSize = 0;
    const startPoll = setInterval(() => {
      // The log is read again only when FFmpeg wrote to it.
      const size = statSync(logPath, { throwIfNoEntry: false })?.size ?? 0;
      if (size === logSize) return;
      logSize = size;
      void readStartMs(ffAbs).then((startMs) => {
        if (startMs === undefined || announced) return;
        announced = true;
        live.media = true;
        clearInterval(startPoll);
        live.markProbed();
        this.emit('mediaStarted', { run, startMs });
      });
    }, 100);
    const listPoll = setInterval(() => void this.scanLists(live), 500);
    live.timers.push(startPoll, listPoll);
    for (const t of live.timers) t.unref();
    live.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        for (const t of live.timers) clearInterval(t);
        opts.relay?.stopped(run);
        live.markProbed();
        const text = tail();
        const end: RunEnd = live.stopping ? 'stopped' : code === 0 && /Connection timed out/.test(text) ? 'idle' : 'crashed';
        void this.scanLists(live).finally(() => {
          if (this.current === live) this.current = undefined;
          if (end === 'crashed') opts.log('warn', 'ffmpeg exited unexpectedly; restarting the lesson run', { run, code, signal, stderr: text });
          if (this.previous === live) this.previous = undefined;
          this.emit('runEnded', { run, end, code, signal: signal ?? null, ports: inputs.map((i) => i.port) });
          resolve();
          if (end !== 'stopped') this.restartAfter(end);
        });
      });
    });
    child.once('error', (err) => opts.log('error', 'cannot run ffmpeg', { error: err.message }));
    this.current = live;
    this.emit('runStarted', { run, pid: child.pid ?? -1, trackIds: inputs.map((i) => i.trackId), ffmpegDir });
    // FFmpeg binds every port right after reading the SDP; wait for that before media is sent.
    const deadline = Date.now() + 10_000;
    for (const input of inputs) {
      while (!(await udpPortBound(input.port))) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`ffmpeg exited before listening: ${tail().slice(-300)}`);
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error('ffmpeg did not open its RTP ports within 10 s');
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    opts.relay?.listening(run, inputs);
  }

  private restartAfter(end: RunEnd): void {
    if (this.closed) return;
    const delay = end === 'idle' ? 0 : Math.min(5000, 200 * 2 ** Math.min(this.crashes++, 5));
    setTimeout(() => {
      if (this.closed || this.current) return;
      this.enqueue(() => (this.current || this.desired.length === 0 ? Promise.resolve() : this.startRun(this.desired))).then(
        () => setTimeout(() => (this.crashes = 0), 30_000).unref(),
        (err: Error) => {
          this.opts.log('error', 'ffmpeg restart failed', { error: err.message });
          this.restartAfter('crashed');
        },
      );
    }, delay).unref();
  }

  /** Reports segments FFmpeg has closed (it lists a segment only once it is complete). */
  private async scanLists(live: LiveRun): Promise<void> {
    for (const input of live.inputs) {
      const dir = join(this.opts.dir, runDirs(live.run, input.trackId).track);
      const list = join(dir, 'segments.csv');
      // A stat per poll (synchronous: microseconds on the local work directory, where a promise
      // through the thread pool costs far more CPU at 2 Hz x every track of every lesson); the list
      // is read only when it changed since a scan that reported all of it.
      const listSize = statSync(list, { throwIfNoEntry: false })?.size ?? 0;
      if (listSize === 0 || listSize === live.listSizes.get(input.trackId)) continue;
      const text = await readFile(list, 'utf8').catch(() => '');
      const rows = text.split('\n').filter((l) => l.trim() !== '');
      let complete = true;
      for (let i = live.seen.get(input.trackId) ?? 0; i < rows.length; i++) {
        const seg = parseSegmentRow(rows[i]!);
        const size = seg ? await stat(join(dir, seg.file)).then((s) => s.size, () => -1) : -1;
        if (!seg || size < 0) {
          complete = false; // a row still being written: read again next time
          break;
        }
        if ((live.seen.get(input.trackId) ?? 0) > i) continue; // a concurrent scan reported it
        live.seen.set(input.trackId, i + 1);
        this.emit('segmentClosed', { run: live.run, trackId: input.trackId, segment: { ...seg, size } });
      }
      if (complete && Buffer.byteLength(text) === listSize) live.listSizes.set(input.trackId, listSize);
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

function sameInputs(a: LessonInput[], b: LessonInput[]): boolean {
  return a.length === b.length && a.every((x, i) => x.trackId === b[i]!.trackId && x.port === b[i]!.port);
}
