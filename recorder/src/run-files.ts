// The files and signals around one FFmpeg run of a lesson (lesson-process.ts): where a run writes,
// when its timestamps start, the segment list rows it appends, and the RTCP BYE that makes a run
// nobody sends to notice its SIGINT at once.
import { createSocket, type Socket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What sendBye needs of a run's input: its RTP port (RTCP is the next one). */
interface ByeTarget {
  port: number;
}

const START_RE = /Duration: N\/A, start: (\d+\.\d+)/;

/** Wall-clock ms a run's timestamps count from, from FFmpeg's input summary in the run's log. */
export async function readStartMs(ffmpegDir: string): Promise<number | undefined> {
  if (!ffmpegDir) return undefined;
  const text = await readFile(join(ffmpegDir, 'ffmpeg.log'), 'utf8').catch(() => '');
  const m = START_RE.exec(text);
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

export function runDirs(run: number, trackId: string): { track: string; ffmpeg: string } {
  return { track: `tracks/${trackId}/run-${run}`, ffmpeg: `runs/run-${run}` };
}

export function parseSegmentRow(row: string): { file: string; startS: number; endS: number } | undefined {
  const [file, start, end] = row.trim().split(',');
  if (!file || start === undefined || end === undefined) return undefined;
  const startS = Number(start);
  const endS = Number(end);
  if (!Number.isFinite(startS) || !Number.isFinite(endS)) return undefined;
  return { file, startS, endS };
}

/**
 * RTCP BYE (RFC 3550 6.6: V=2, SC=2, PT=203, length 2): 12 bytes, since FFmpeg drops anything
 * shorter than an RTP header before looking at it.
 */
const BYE = Buffer.from([0x82, 203, 0x00, 0x02, 0x0d, 0x0e, 0x7e, 0x01, 0x0d, 0x0e, 0x7e, 0x02]);
let byeSocket: Socket | undefined;
export function sendBye(inputs: ByeTarget[]): void {
  if (!byeSocket) {
    byeSocket = createSocket('udp4');
    byeSocket.on('error', () => undefined);
    byeSocket.unref();
  }
  for (const i of inputs) byeSocket.send(BYE, i.port + 1, '127.0.0.1');
}


/** FFmpeg's arguments for one run: the SDP in, one segment muxer per track (stream copy) out. */
export function runArgs(sdpPath: string, segmentSeconds: number, outputs: { dir: string; container: 'webm' | 'matroska' }[]): string[] {
  const args = [
    '-nostdin', '-hide_banner', '-loglevel', 'info', '-nostats',
    '-protocol_whitelist', 'file,udp,rtp',
    // Arrival time as timestamps: every track of the lesson shares one clock, so the finalizer
    // can line up tracks and runs (also across recorders) without RTCP.
    '-use_wallclock_as_timestamps', '1',
    '-fflags', '+genpts',
    // Probing ends as soon as every track has its parameters (a video's size: from its first
    // keyframe, which the relay replays to a new run and the media node asks for).
    '-analyzeduration', '5000000', '-probesize', '5000000',
    // No frame-rate probe (timestamps are arrival times, the output copies them): probing ends
    // with the first decodable frame of every track, instead of waiting for ~20 more frames of
    // each video, which a camera paused (or a share stopped) right after a run started never
    // sends, leaving the run probing, writing nothing, until its analyze duration.
    '-fpsprobesize', '0',
    '-i', sdpPath,
    // Timestamps relative to the run's start (the input start time in the log), the same for
    // every track: a track that started later keeps its offset inside its first segment.
    '-copyts', '-start_at_zero',
  ];
  for (const [i, { dir, container }] of outputs.entries()) {
    const ext = container === 'webm' ? 'webm' : 'mkv';
    args.push(
      '-map', `0:${i}`, '-c', 'copy',
      '-f', 'segment', '-segment_format', container, '-segment_time', String(segmentSeconds),
      '-segment_list', join(dir, 'segments.csv'), '-segment_list_type', 'csv',
      '-reset_timestamps', '1',
      join(dir, `seg-%05d.${ext}`),
    );
  }
  return args;
}
