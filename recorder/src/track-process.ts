// One FFmpeg per recorded track: reads RTP described by an SDP and copies it (no transcoding) into
// WebM/Matroska segments. Each FFmpeg process is a "run"; when FFmpeg exits unexpectedly a new run
// starts on the same ports (mediasoup keeps sending there), so a crash costs a moment, not a lesson.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildSdp, type RtpCodec } from './sdp.ts';
import { udpPortBound } from './ports.ts';

export interface TrackProcessOptions {
  /** Directory of this track; runs go into run-<n> below it. */
  dir: string;
  kind: 'audio' | 'video';
  codec: RtpCodec;
  container: 'webm' | 'matroska';
  port: number;
  address: string;
  segmentSeconds: number;
  ffmpegPath: string;
  /** First run index (a track adopted after a restart continues its numbering). */
  firstRun: number;
  log: (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;
}

export interface ClosedSegment {
  file: string;
  startS: number;
  endS: number;
  size: number;
}

export interface TrackProcessEvents {
  runStarted: [{ run: number; dir: string; pid: number }];
  /** FFmpeg saw the first packet: `startMs` is its wall-clock time. */
  mediaStarted: [{ run: number; startMs: number }];
  segmentClosed: [{ run: number; segment: ClosedSegment }];
  /** `idle`: FFmpeg's RTP input gives up after 10 s without packets (paused producer); restarted at once. */
  runEnded: [{ run: number; end: 'stopped' | 'crashed' | 'idle'; code: number | null; signal: string | null }];
}

const START_RE = /Duration: N\/A, start: (\d+\.\d+)/;

/** Wall-clock ms of a run's first packet, from FFmpeg's input summary in the run's log. */
export async function readStartMs(runDir: string): Promise<number | undefined> {
  if (!runDir) return undefined;
  const text = await readFile(join(runDir, 'ffmpeg.log'), 'utf8').catch(() => '');
  const m = START_RE.exec(text);
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

export class TrackProcess extends EventEmitter<TrackProcessEvents> {
  private readonly opts: TrackProcessOptions;
  private child: ChildProcess | undefined;
  private run: number;
  private stopping = false;
  private exited: Promise<void> = Promise.resolve();
  private listTimer: NodeJS.Timeout | undefined;
  private seenSegments = 0;
  private crashes = 0;
  private runDir = '';

  constructor(opts: TrackProcessOptions) {
    super();
    this.opts = opts;
    this.run = opts.firstRun - 1;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get currentRun(): number {
    return this.run;
  }

  /** Starts a run and resolves once FFmpeg listens on its RTP port (media may flow from then on). */
  async start(): Promise<void> {
    this.run++;
    const run = this.run;
    const { opts } = this;
    this.runDir = join(opts.dir, `run-${run}`);
    await mkdir(this.runDir, { recursive: true });
    const sdpPath = join(this.runDir, 'input.sdp');
    await writeFile(sdpPath, buildSdp([{ kind: opts.kind, port: opts.port, codec: opts.codec }], opts.address));
    const ext = opts.container === 'webm' ? 'webm' : 'mkv';
    const args = [
      '-nostdin', '-hide_banner', '-loglevel', 'info', '-nostats',
      '-protocol_whitelist', 'file,udp,rtp',
      // Arrival time as timestamps: every track of the lesson shares one clock, so the finalizer
      // can line up tracks (and runs after a restart) without RTCP.
      '-use_wallclock_as_timestamps', '1',
      '-fflags', '+genpts',
      '-analyzeduration', '2000000', '-probesize', '2000000',
      '-i', sdpPath,
      '-map', '0', '-c', 'copy',
      '-f', 'segment', '-segment_format', opts.container, '-segment_time', String(opts.segmentSeconds),
      '-segment_list', join(this.runDir, 'segments.csv'), '-segment_list_type', 'csv',
      '-reset_timestamps', '1',
      join(this.runDir, `seg-%05d.${ext}`),
    ];
    // FFmpeg logs to a file, not a pipe: it survives the recorder (kill -9) and keeps the run's
    // start time readable after a restart.
    const logPath = join(this.runDir, 'ffmpeg.log');
    const logFd = openSync(logPath, 'a');
    const child = spawn(opts.ffmpegPath, args, { stdio: ['ignore', 'ignore', logFd] });
    closeSync(logFd);
    this.child = child;
    this.seenSegments = 0;
    const runDir = this.runDir;
    let announced = false;
    const startPoll = setInterval(() => {
      void readStartMs(runDir).then((startMs) => {
        if (startMs === undefined || announced) return;
        announced = true;
        clearInterval(startPoll);
        this.emit('mediaStarted', { run, startMs });
      });
    }, 100);
    startPoll.unref();
    const stderrTail = () => readFileSync(logPath, 'utf8').slice(-600);
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        clearInterval(startPoll);
        if (this.listTimer) clearInterval(this.listTimer);
        const tail = stderrTail();
        const end = this.stopping ? 'stopped' : code === 0 && /Connection timed out/.test(tail) ? 'idle' : 'crashed';
        void this.scanList(run, runDir).finally(() => {
          if (end === 'crashed') opts.log('warn', 'ffmpeg exited unexpectedly; restarting the track', { run, code, signal, stderr: tail });
          this.emit('runEnded', { run, end, code, signal: signal ?? null });
          resolve();
          if (end !== 'stopped') this.restart(end === 'idle');
        });
      });
    });
    child.once('error', (err) => opts.log('error', 'cannot run ffmpeg', { error: err.message }));
    this.emit('runStarted', { run, dir: this.runDir, pid: child.pid ?? -1 });
    const dir = this.runDir;
    this.listTimer = setInterval(() => void this.scanList(run, dir), 500);
    this.listTimer.unref();
    // FFmpeg binds its ports right after reading the SDP; wait for that before media is sent.
    const deadline = Date.now() + 10_000;
    while (!(await udpPortBound(opts.port))) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`ffmpeg exited before listening: ${stderrTail().slice(-300)}`);
      if (Date.now() > deadline) throw new Error('ffmpeg did not open its RTP port within 10 s');
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private restart(idle: boolean): void {
    if (this.stopping) return;
    const delay = idle ? 0 : Math.min(5000, 200 * 2 ** Math.min(this.crashes++, 5));
    setTimeout(() => {
      if (this.stopping) return;
      this.start().then(
        () => setTimeout(() => (this.crashes = 0), 30_000).unref(),
        (err: Error) => this.opts.log('error', 'ffmpeg restart failed', { error: err.message }),
      );
    }, delay).unref();
  }

  /** Reports segments FFmpeg has closed (it lists a segment only once it is complete). */
  private async scanList(run: number, dir: string): Promise<void> {
    const text = await readFile(join(dir, 'segments.csv'), 'utf8').catch(() => '');
    const rows = text.split('\n').filter((l) => l.trim() !== '');
    for (let i = this.run === run ? this.seenSegments : 0; i < rows.length; i++) {
      const [file, start, end] = rows[i]!.split(',');
      if (!file || start === undefined || end === undefined) break;
      const size = await stat(join(dir, file)).then((s) => s.size, () => -1);
      if (size < 0) break;
      if (this.run === run) this.seenSegments = i + 1;
      this.emit('segmentClosed', { run, segment: { file, startS: Number(start), endS: Number(end), size } });
    }
  }

  /** Ends the current run cleanly (FFmpeg closes and lists its last segment). */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      // SIGINT ends FFmpeg cleanly (trailer written, segment listed) at its next packet, or when
      // its RTP input times out after 10 s without packets. A second SIGINT would interrupt the
      // trailer write and lose the open segment, so it gets one, and SIGKILL only as a last resort.
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(killer);
    } else {
      await this.exited;
    }
  }
}
