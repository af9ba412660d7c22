// The two FFmpeg tools the finalizer runs: FFmpeg itself (with progress from `-progress pipe:1`)
// and ffprobe for a file's duration (also used to find segments FFmpeg could not finish).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

type Spawner = (bin: string, args: string[], options: SpawnOptions) => ChildProcess;

/** `spawner`: the compose queue's low-priority spawn (compose-queue.ts); `onSpawn` sees the process (tests, benches). */
export function runFfmpeg(bin: string, args: string[], durationS: number, progress: (pct: number) => void, spawner: Spawner = spawn, onSpawn?: (child: ChildProcess) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawner(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    onSpawn?.(child);
    if (!child.stdout || !child.stderr) throw new Error('ffmpeg spawned without pipes');
    let err = '';
    let lastLog = 0;
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-2000)));
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      const m = /out_time_us=(\d+)/.exec(c);
      if (m && Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        progress(Math.min(100, Math.round((Number(m[1]) / 1e6 / durationS) * 100)));
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}: ${err.trim().slice(-500)}`))));
  });
}

export function probeDuration(ffprobe: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffprobe, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.once('error', reject);
    child.once('exit', (code) => {
      const d = Number(out.trim());
      if (code === 0 && Number.isFinite(d)) resolve(Math.round(d * 1000) / 1000);
      else reject(new Error(`ffprobe could not read ${path}`));
    });
  });
}
