// ffprobe/ffmpeg checks on a recording: streams, duration, and the colour of regions of a frame.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Probe {
  duration: number;
  streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
}

export async function probe(path: string): Promise<Probe> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,codec_name,width,height', '-of', 'json', path]);
  const j = JSON.parse(stdout) as { format: { duration: string }; streams: Probe['streams'] };
  return { duration: Number(j.format.duration), streams: j.streams };
}

/** Mean RGB of a rectangle of the frame at `atS` seconds. */
export async function regionColour(path: string, atS: number, rect: { x: number; y: number; w: number; h: number }): Promise<[number, number, number]> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-ss', String(atS), '-i', path, '-frames:v', '1', '-vf', `crop=${rect.w}:${rect.h}:${rect.x}:${rect.y},scale=1:1:flags=area`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    { encoding: 'buffer', maxBuffer: 1024 },
  );
  const b = stdout as unknown as Buffer;
  if (b.length < 3) throw new Error(`no frame at ${atS}s in ${path}`);
  return [b[0]!, b[1]!, b[2]!];
}

/** RMS level (dBFS) of the audio between `fromS` and `toS`. */
export async function audioLevel(path: string, fromS: number, toS: number): Promise<number> {
  const { stderr } = await run('ffmpeg', ['-v', 'info', '-ss', String(fromS), '-to', String(toS), '-i', path, '-vn', '-af', 'volumedetect', '-f', 'null', '-']);
  const m = /mean_volume: (-?[\d.]+|-inf) dB/.exec(stderr);
  return m && m[1] !== '-inf' ? Number(m[1]) : -Infinity;
}

export function isColour(rgb: [number, number, number], colour: 'red' | 'blue' | 'green' | 'black'): boolean {
  const [r, g, b] = rgb;
  switch (colour) {
    case 'red':
      return r > 150 && g < 90 && b < 90;
    case 'blue':
      return b > 150 && r < 90 && g < 90;
    case 'green':
      return g > 100 && r < 90 && b < 90;
    case 'black':
      return r < 40 && g < 40 && b < 40;
  }
}

/**
 * A manifest's runs that hold media, each with only its segments that hold media, flattened with
 * their track: what the composed file is built from (compose.ts leaves out segments FFmpeg closed
 * without media and unreadable ones; under load a run can get its first packet and be replaced
 * by the next track's run before a frame is written, and the file starts at the first media).
 */
export function runsWithMedia(tracks: any[]): any[] {
  return tracks.flatMap((t: any) =>
    t.runs
      .map((r: any) => ({ ...r, track: t, trackId: t.trackId, segments: r.segments.filter((g: any) => !g.invalid && g.endS > g.startS) }))
      .filter((r: any) => r.startMs && r.segments.length > 0),
  );
}
