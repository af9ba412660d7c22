// Finalize = compose every track of a recording into one MP4: cameras side by side (tutor left,
// student right), the screen share below them when there was one, all audio mixed. This is the
// only place the recorder transcodes. Every FFmpeg run is placed on the lesson timeline by its
// wall-clock start (all tracks of a run share it; a track's own offset is in its first segment's
// timestamps); inside a run the segments are joined by their listed durations, so gaps
// (muted, camera off, reconnect, crash) stay gaps and audio stays in sync with video.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest, RunEntry, TrackEntry } from './manifest.ts';

export const TILE_W = 640;
export const TILE_H = 480;
export const SCREEN_H = 720;
const FPS = 25;

interface PlacedRun {
  track: TrackEntry;
  run: RunEntry & { startMs: number };
  /** Seconds from the recording's first media. */
  offset: number;
  length: number;
}

export interface ComposePlan {
  args: string[];
  durationS: number;
  width: number;
  height: number;
  hasScreen: boolean;
}

export function placedRuns(m: Manifest): { runs: PlacedRun[]; t0: number; durationS: number } {
  const all: { track: TrackEntry; run: RunEntry & { startMs: number } }[] = [];
  for (const track of m.tracks) {
    for (const run of track.runs) {
      // Segments FFmpeg closed without media, or found unreadable before finalize, are left out.
      const segments = run.segments.filter((s) => !s.invalid && s.endS > s.startS);
      if (run.startMs !== undefined && segments.length > 0) all.push({ track, run: { ...run, segments } as RunEntry & { startMs: number } });
    }
  }
  if (all.length === 0) return { runs: [], t0: 0, durationS: 0 };
  const t0 = Math.min(...all.map((r) => r.run.startMs));
  const runs = all.map(({ track, run }) => {
    const last = run.segments[run.segments.length - 1]!;
    return { track, run, offset: (run.startMs - t0) / 1000, length: last.endS };
  });
  const durationS = Math.max(...runs.map((r) => r.offset + r.length));
  return { runs, t0, durationS };
}

/** Builds the FFmpeg command (and writes the per-run concat lists into `workDir`). */
export async function planCompose(m: Manifest, recordingDir: string, workDir: string, output: string): Promise<ComposePlan | null> {
  const { runs, durationS } = placedRuns(m);
  if (runs.length === 0 || durationS <= 0) return null;
  const hasScreen = runs.some((r) => r.track.kind === 'video' && r.track.source === 'screen');
  const width = 2 * TILE_W;
  const height = TILE_H + (hasScreen ? SCREEN_H : 0);
  const T = durationS.toFixed(3);
  const args: string[] = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-progress', 'pipe:1', '-nostats'];
  const filters: string[] = [`color=c=black:s=${width}x${height}:r=${FPS}:d=${T}[base0]`];
  const audio: string[] = [];
  let input = 0;
  let base = 'base0';
  for (const r of runs) {
    const list = join(workDir, `concat-${input}.txt`);
    // `inpoint 0` keeps each file's own start time: the run's first segment of a track that
    // started after the run begins with that offset, not at zero.
    const lines = r.run.segments.map((s) => `file '${join(recordingDir, r.run.dir, s.file).replace(/'/g, "'\\''")}'\ninpoint 0\nduration ${(s.endS - s.startS).toFixed(6)}`);
    await writeFile(list, lines.join('\n') + '\n');
    if (r.track.kind === 'video') args.push('-reinit_filter', '0');
    args.push('-f', 'concat', '-safe', '0', '-i', list);
    const off = r.offset.toFixed(3);
    // A track change starts the next run before this one stops (gapless): where they overlap, the
    // next run's media wins (the media node moved the track there), so this run ends where it starts.
    const next = Math.min(...runs.filter((o) => o.track.trackId === r.track.trackId && o.offset > r.offset).map((o) => o.offset));
    const trim = next < r.offset + r.length ? `${r.track.kind === 'video' ? 'trim' : 'atrim'}=end=${(next - r.offset).toFixed(3)},` : '';
    if (r.track.kind === 'video') {
      const screen = r.track.source === 'screen';
      const w = screen ? width : TILE_W;
      const h = screen ? SCREEN_H : TILE_H;
      const x = screen ? 0 : r.track.role === 'tutor' ? 0 : TILE_W;
      const y = screen ? TILE_H : 0;
      filters.push(
        `[${input}:v:0]${trim}setpts=PTS+${off}/TB,scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,setsar=1[v${input}]`,
        `[${base}][v${input}]overlay=x=${x}:y=${y}:eof_action=pass:repeatlast=0[b${input}]`,
      );
      base = `b${input}`;
    } else {
      filters.push(`[${input}:a:0]${trim}asetpts=PTS+${off}/TB,aresample=48000:async=1000:first_pts=0,aformat=channel_layouts=stereo[a${input}]`);
      audio.push(`[a${input}]`);
    }
    input++;
  }
  filters.push(`[${base}]format=yuv420p[vout]`);
  if (audio.length > 0) filters.push(`${audio.join('')}amix=inputs=${audio.length}:duration=longest:normalize=0,apad[aout]`);
  else filters.push(`anullsrc=r=48000:cl=stereo[aout]`);
  args.push(
    '-filter_complex', filters.join(';'),
    '-map', '[vout]', '-map', '[aout]',
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '27', '-r', String(FPS),
    '-c:a', 'aac', '-b:a', '96k', '-ar', '48000',
    '-t', T, '-movflags', '+faststart', '-f', 'mp4', output,
  );
  return { args, durationS, width, height, hasScreen };
}
