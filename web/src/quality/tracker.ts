// Samples over time (sample.ts) -> the numbers of one side of a lesson, the way a person feels
// them: how much sound was made up, how smooth and how sharp the picture was, how long it froze,
// how long the first picture took and how long media took to come back after a cut.
// Counters may restart (a new connection after a reconnect, a new consumer): every figure is a sum
// of per-step increases, and a counter that went down counts from zero.
import type { QualitySample } from './sample.ts';

export interface QualitySummary {
  durationMs: number;
  samples: number;
  /** Concealed audio samples / all audio samples played, %. */
  audioConcealedPct: number | null;
  /** Same, without concealment during silence (what is heard as a glitch), %. */
  audioAudibleConcealedPct: number | null;
  audioLossPct: number | null;
  videoLossPct: number | null;
  /** Decoded frames per second over the window. */
  videoFps: number | null;
  /** Median and lowest picture height received while frames came. */
  videoHeight: { median: number; min: number } | null;
  /** The browser's freeze figures over the window (Chromium), else ours (stallCount/stallMs). */
  freezeCount: number;
  freezeMs: number;
  /** Ours: spans of at least `stallMs` with no new frame (same in every browser). */
  stallCount: number;
  stallMs: number;
  /** From the tracker's start to the first sample showing a decoded frame. */
  timeToFirstFrameMs: number | null;
  /** After markOutageEnd: until both video frames and audio packets flow again. */
  mediaBackMs: number | null;
  rttMs: { median: number; p90: number } | null;
  /** Median height of what we sent (what the other side could get at best). */
  sentHeight: number | null;
  path: QualitySample['path'];
}

export interface TrackerOptions {
  /** When the clock starts (time to first frame). Default: the first sample. */
  startAt?: number;
  /** A gap with no new frame at least this long is a stall (ms). Default 600. */
  stallMs?: number;
}

const inc = (prev: number, cur: number) => (cur >= prev ? cur - prev : cur);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

export class QualityTracker {
  readonly samples: QualitySample[] = [];
  private readonly opts: TrackerOptions;
  private outageEnd: number | undefined;

  constructor(opts: TrackerOptions = {}) {
    this.opts = opts;
  }

  add(sample: QualitySample): void {
    const last = this.samples.at(-1);
    if (last && sample.at <= last.at) return; // the same report twice
    this.samples.push(sample);
  }

  /** The link came back at `at` (same clock as the samples): mediaBackMs counts from here. */
  markOutageEnd(at: number): void {
    this.outageEnd = at;
  }

  /** The figures between `from` and `to` (sample clock), default all. */
  summary(from = -Infinity, to = Infinity): QualitySummary {
    const all = this.samples;
    const win = all.filter((s) => s.at >= from && s.at <= to);
    const out: QualitySummary = {
      durationMs: win.length > 1 ? win.at(-1)!.at - win[0]!.at : 0,
      samples: win.length,
      audioConcealedPct: null,
      audioAudibleConcealedPct: null,
      audioLossPct: null,
      videoLossPct: null,
      videoFps: null,
      videoHeight: null,
      freezeCount: 0,
      freezeMs: 0,
      stallCount: 0,
      stallMs: 0,
      timeToFirstFrameMs: null,
      mediaBackMs: null,
      rttMs: null,
      sentHeight: null,
      path: win.at(-1)?.path ?? null,
    };
    let total = 0, concealed = 0, silent = 0, aRecv = 0, aLost = 0, vRecv = 0, vLost = 0, frames = 0;
    let browserFreezes = 0, browserFreezeS = 0, browserHasFreezes = false;
    const stallLimit = this.opts.stallMs ?? 600;
    let lastProgress: number | undefined;
    const heights: number[] = [];
    for (let i = 1; i < win.length; i++) {
      const [p, c] = [win[i - 1]!, win[i]!];
      if (p.audio && c.audio) {
        total += inc(p.audio.totalSamplesReceived, c.audio.totalSamplesReceived);
        concealed += inc(p.audio.concealedSamples, c.audio.concealedSamples);
        silent += inc(p.audio.silentConcealedSamples, c.audio.silentConcealedSamples);
        aRecv += inc(p.audio.packetsReceived, c.audio.packetsReceived);
        aLost += inc(p.audio.packetsLost, c.audio.packetsLost);
      }
      if (p.video && c.video) {
        const f = inc(p.video.framesDecoded, c.video.framesDecoded);
        frames += f;
        vRecv += inc(p.video.packetsReceived, c.video.packetsReceived);
        vLost += inc(p.video.packetsLost, c.video.packetsLost);
        if (c.video.freezeCount !== null && p.video.freezeCount !== null) {
          browserHasFreezes = true;
          browserFreezes += inc(p.video.freezeCount, c.video.freezeCount);
          browserFreezeS += inc(p.video.totalFreezesDuration ?? 0, c.video.totalFreezesDuration ?? 0);
        }
        if (f > 0) {
          if (c.video.height) heights.push(c.video.height);
          // The frames of this step came somewhere in it: the gap before them is at least the
          // time since the last step with frames, less one step.
          if (lastProgress !== undefined) {
            const gap = p.at - lastProgress;
            if (gap >= stallLimit) (out.stallCount++, (out.stallMs += gap));
          }
          lastProgress = c.at;
        }
      }
    }
    if (lastProgress !== undefined && win.length && win.at(-1)!.at - lastProgress >= stallLimit) {
      out.stallCount++;
      out.stallMs += win.at(-1)!.at - lastProgress;
    }
    const secs = out.durationMs / 1000;
    if (total > 0) {
      out.audioConcealedPct = round((100 * concealed) / total, 2);
      out.audioAudibleConcealedPct = round((100 * Math.max(0, concealed - silent)) / total, 2);
    }
    if (aRecv + aLost > 0) out.audioLossPct = round((100 * aLost) / (aRecv + aLost), 2);
    if (vRecv + vLost > 0) out.videoLossPct = round((100 * vLost) / (vRecv + vLost), 2);
    if (secs > 0 && win.some((s) => s.video)) out.videoFps = round(frames / secs);
    if (heights.length) {
      heights.sort((a, b) => a - b);
      out.videoHeight = { median: quantile(heights, 0.5), min: heights[0]! };
    }
    out.stallMs = Math.round(out.stallMs);
    out.freezeCount = browserHasFreezes ? browserFreezes : out.stallCount;
    out.freezeMs = browserHasFreezes ? Math.round(browserFreezeS * 1000) : out.stallMs;
    const rtts = win.flatMap((s) => (s.rttMs === null ? [] : [s.rttMs])).sort((a, b) => a - b);
    if (rtts.length) out.rttMs = { median: round(quantile(rtts, 0.5)), p90: round(quantile(rtts, 0.9)) };
    const sent = win.map((s) => s.sent.videoHeight).filter((h) => h > 0).sort((a, b) => a - b);
    if (sent.length) out.sentHeight = quantile(sent, 0.5);
    out.timeToFirstFrameMs = this.firstFrame();
    out.mediaBackMs = this.mediaBack();
    return out;
  }

  private firstFrame(): number | null {
    const start = this.opts.startAt ?? this.samples[0]?.at;
    const first = this.samples.find((s) => (s.video?.framesDecoded ?? 0) > 0);
    return first && start !== undefined ? Math.round(first.at - start) : null;
  }

  /**
   * After the mark, per kind: the first step with new video frames (audio packets) that follows
   * a step without any — so media still draining from before a break (an address change marks
   * the break itself) is not taken for media that came back.
   */
  private mediaBack(): number | null {
    const end = this.outageEnd;
    if (end === undefined) return null;
    let video: number | undefined, audio: number | undefined;
    let videoStopped = false, audioStopped = false;
    for (let i = 1; i < this.samples.length; i++) {
      const [p, c] = [this.samples[i - 1]!, this.samples[i]!];
      const frames = c.video ? inc(p.video?.framesDecoded ?? 0, c.video.framesDecoded) : 0;
      const packets = c.audio ? inc(p.audio?.packetsReceived ?? 0, c.audio.packetsReceived) : 0;
      if (c.at < end) {
        // Already stopped when the mark came (an outage that just ended): the next media counts.
        videoStopped = frames === 0;
        audioStopped = packets === 0;
        continue;
      }
      if (video === undefined) {
        if (frames === 0) videoStopped = true;
        else if (videoStopped) video = c.at;
      }
      if (audio === undefined) {
        if (packets === 0) audioStopped = true;
        else if (audioStopped) audio = c.at;
      }
      if (video !== undefined && audio !== undefined) return Math.round(Math.max(video, audio) - end);
    }
    return null;
  }
}
