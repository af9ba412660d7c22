// The Go load generator (deploy/bench/webrtc-load) as a child process: built and cached on first
// use, pinned to its own CPU, driven one JSON line at a time over stdin/stdout.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const CACHE = process.env.DUET_CACHE_DIR ?? join(homedir(), '.cache/duet');

export function generatorBinary(): string {
  return execFileSync('bash', [join(import.meta.dirname, '../webrtc-load/build.sh')], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();
}

/** A 10 s VP8 clip at ~900 kbit/s, 640x360, 30 fps, a keyframe a second (FFmpeg, made once). */
export function videoClip(): string {
  const file = join(CACHE, 'webrtc-load-clip-v1.ivf');
  if (existsSync(file)) return file;
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-t', '10', '-c:v', 'libvpx', '-b:v', '900k', '-minrate', '900k', '-maxrate', '900k', '-bufsize', '300k', '-deadline', 'realtime', '-cpu-used', '8', '-g', '30', '-keyint_min', '30', '-f', 'ivf', tmp], { stdio: 'inherit' });
  renameSync(tmp, file);
  return file;
}

export interface Generator {
  pid: number;
  ask<T = Record<string, unknown>>(msg: unknown, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
  logs(): string;
}

export function startGenerator(bin: string, sfu: string, url: string, clip: string, cpus?: string): Generator {
  const args = ['--sfu', sfu, '--url', url, '--ivf', clip];
  const child: ChildProcess = cpus ? spawn('taskset', ['-c', cpus, bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }) : spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-20_000);
  });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  return {
    pid: child.pid!,
    logs: () => stderr,
    ask<T>(msg: unknown, timeoutMs = 120_000) {
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`generator: no answer to ${JSON.stringify(msg).slice(0, 40)} in ${timeoutMs} ms\n${stderr.slice(-2000)}`)), timeoutMs);
        waiting.push((l) => {
          clearTimeout(timer);
          resolve(JSON.parse(l) as T);
        });
        child.stdin!.write(`${JSON.stringify(msg)}\n`);
      });
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.stdin!.write('{"cmd":"quit"}\n');
      await new Promise((r) => {
        const t = setTimeout(() => (child.kill('SIGKILL'), r(undefined)), 10_000);
        child.once('exit', () => (clearTimeout(t), r(undefined)));
      });
    },
  };
}
