// One FFmpeg per recorded lesson: a single SDP with one m-line per track (all RTP ports are bound
// at once, before probing) and one segment muxer per track, copying (no transcoding) into
// WebM/Matroska segments. Each FFmpeg process is a "run". When the set of tracks changes (a
// producer appears or goes away) a new run starts with the new set on NEW ports while the old run
// goes on recording (gapless, issue 15): the media node moves each track to its new port when it
// sees it, the new run finishes probing once every track arrives there, and only then is the old
// run closed, so no packet falls between two runs. When FFmpeg exits unexpectedly a new run starts with the same set on the same ports (mediasoup
// keeps sending there), so a crash costs a moment, not a lesson.
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
import { parseSegmentRow, readStartMs, runDirs, sendBye } from './run-files.ts';

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
}

/** How long a track change waits for the running FFmpeg to finish probing before restarting it. */
const PROBE_WAIT_MS = 4_000;
/**
 * How long the old run of a track change records on after the new one listens: until the new run
 * has probed every track (the node moved them all; FFmpeg's -analyzeduration bounds it at 5 s for a
 * track that sends nothing), at most this.
 */
const OVERLAP_MAX_MS = 6_000;

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

  get pid(): number | undefined {
    return this.current?.child.pid;
  }

  /** RTP ports an FFmpeg of this lesson listens on (the current run's and a replaced one's). */
  portsInUse(): Set<number> {
    return new Set([...(this.current?.inputs ?? []), ...(this.previous?.inputs ?? [])].map((i) => i.port));
  }

  /** The run FFmpeg is in (its ports are bound), or -1 before the first one. */
  get currentRun(): number {
    return this.current?.run ?? this.nextRun - 1;
  }

  /**
   * True when the current run records every one of these tracks on these ports (and is not being
   * replaced): a set that only lost tracks needs no new run.
   */
  records(inputs: { trackId: string; port: number }[]): boolean {
    const cur = this.current;
    if (!cur || cur.stopping || this.previous || inputs.length === 0) return false;
    return inputs.every((i) => cur.inputs.some((c) => c.trackId === i.trackId && c.port === i.port));
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
    if (cur && !cur.stopping) await Promise.race([cur.probed, sleep(PROBE_WAIT_MS)]);
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
    const probed = next ? await Promise.race([next.probed.then(() => true), sleep(OVERLAP_MAX_MS).then(() => false)]) : false;
    const stopping = Date.now();
    await this.endRun(cur);
    this.opts.log('info', 'track change: old run stopped after the new one took over', { oldRun: cur.run, newRun: next?.run, newRunProbed: probed, overlapMs: stopping - since, stopMs: Date.now() - stopping });
    if (this.previous === cur) this.previous = undefined;
  }

  private endCurrent(): Promise<void> {
    return this.endRun(this.current);
  }

  private async endRun(cur: LiveRun | undefined): Promise<void> {
    if (!cur) return;
    cur.stopping = true;
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
    const args = [
      '-nostdin', '-hide_banner', '-loglevel', 'info', '-nostats',
      '-protocol_whitelist', 'file,udp,rtp',
      // Arrival time as timestamps: every track of the lesson shares one clock, so the finalizer
      // can line up tracks and runs (also across recorders) without RTCP.
      '-use_wallclock_as_timestamps', '1',
      '-fflags', '+genpts',
      // Probing ends as soon as every track has its parameters; a keyframe is requested for each
      // video track when the run starts.
      '-analyzeduration', '5000000', '-probesize', '5000000',
      '-i', sdpPath,
      // Timestamps relative to the run's start (the input start time in the log), the same for
      // every track: a track that started later keeps its offset inside its first segment.
      '-copyts', '-start_at_zero',
    ];
    for (const [i, input] of inputs.entries()) {
      const dir = join(opts.dir, runDirs(run, input.trackId).track);
      await mkdir(dir, { recursive: true });
      const ext = input.container === 'webm' ? 'webm' : 'mkv';
      args.push(
        '-map', `0:${i}`, '-c', 'copy',
        '-f', 'segment', '-segment_format', input.container, '-segment_time', String(opts.segmentSeconds),
        '-segment_list', join(dir, 'segments.csv'), '-segment_list_type', 'csv',
        '-reset_timestamps', '1',
        join(dir, `seg-%05d.${ext}`),
      );
    }
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
    const live: LiveRun = { run, child, inputs, stopping: false, seen: new Map(), listSizes: new Map(), timers: [], exited: Promise.resolve(), probed, markProbed };
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
