// Recording benchmark, issue 15 part (imported by recording.ts): how soon a lesson is watchable
// after it ends (playback.json in storage: the copied segments, no transcode) for a 10- and a
// 60-minute lesson, and the compose CPU per lesson-minute (nice 19, off the live path).
// The lesson is fed faster than real time: a manifest in state `finalizing` whose segments (10-s
// copies of pre-encoded VP8/Opus) are on the recorder's disk, all but the last of each track
// already in storage, as after a live lesson (segments upload as they close). The recorder adopts it
// at start, as after a restart; `stoppedAt` is set just before it starts, so the figure includes
// the recorder's own startup (conservative).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@duet/deploy/testing';

export interface ReadyResult {
  minutes: number;
  readyS: number;
  /** CPU seconds of the compose FFmpeg (waited-for children of the recorder), when it was run. */
  composeCpuS: number | null;
  composeWallS: number | null;
}

const CLK_TCK = 100;

/** utime+stime of a process and of its waited-for children, in seconds. */
function cpuOf(pid: number): { self: number; children: number } {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { self: (Number(f[11]) + Number(f[12])) / CLK_TCK, children: (Number(f[13]) + Number(f[14])) / CLK_TCK };
}

export async function readyAfterEnd(o: { work: string; cam: string; mic: string; minutes: number; compose: boolean; argv: string[]; cwd: string; env: NodeJS.ProcessEnv; children: ChildProcess[] }): Promise<ReadyResult> {
  const lessonId = randomUUID();
  const recordingId = randomUUID();
  const root = join(o.work, `ready-${o.minutes}`);
  const dir = join(root, recordingId);
  const n = o.minutes * 6;
  const t0 = Date.now() - n * 10_000 - 5_000;
  const tracks = (['tutor', 'student'] as const).flatMap((role) =>
    (['video', 'audio'] as const).map((kind) => {
      const trackId = `${role}-${kind}`;
      const runDir = `tracks/${trackId}/run-0`;
      mkdirSync(join(dir, runDir), { recursive: true });
      const segments = Array.from({ length: n }, (_, i) => {
        const file = `seg-${String(i).padStart(5, '0')}.webm`;
        copyFileSync(kind === 'video' ? o.cam : o.mic, join(dir, runDir, file));
        return { file, startS: i * 10, endS: (i + 1) * 10, size: 0, key: `recordings/sessions/${lessonId}/${recordingId}/${runDir}/${file}`, uploaded: i < n - 1 };
      });
      return {
        trackId, role, source: kind === 'video' ? 'camera' : 'microphone', kind,
        codec: kind === 'video' ? { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 } : { mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 },
        container: 'webm', addedAt: t0,
        runs: [{ index: 0, dir: runDir, startMs: t0 + (kind === 'audio' ? 40 : 0), end: 'stopped', segments }],
      };
    }),
  );
  const stoppedAt = Date.now();
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version: 1, recordingId, lessonId, state: 'finalizing', partial: false, partialReasons: [], createdAt: t0, stoppedAt, segmentSeconds: 10, tracks, pendingHooks: [] }));
  const recorder = spawn(process.execPath, o.argv, {
    cwd: o.cwd,
    env: { ...o.env, API_INTERNAL_URL: 'http://127.0.0.1:9', RECORDER_WORK_DIR: root, RECORDER_PORT: String(await freePort()), RECORDER_KEEP_LOCAL: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  o.children.push(recorder);
  let out = '';
  let readyS: number | undefined;
  let composeStarted: number | undefined;
  let composeCpuS: number | null = null;
  let composeWallS: number | null = null;
  const cpu0 = { children: 0 };
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no result within 15 minutes:\n${out.slice(-1500)}`)), 900_000);
    recorder.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      for (const line of c.toString().split('\n')) {
        if (!line.startsWith('{')) continue;
        const e = JSON.parse(line) as { msg: string; secondsAfterEnd?: number };
        if (e.msg === 'playback: ready') readyS = e.secondsAfterEnd;
        if (e.msg === 'finalize: composing') {
          composeStarted = Date.now();
          cpu0.children = cpuOf(recorder.pid!).children;
        }
        if (e.msg === 'finalize: composed' && composeStarted) {
          composeWallS = (Date.now() - composeStarted) / 1000;
          composeCpuS = cpuOf(recorder.pid!).children - cpu0.children;
        }
      }
      const done = readyS !== undefined && (!o.compose || composeWallS !== null || /recording failed/.test(out));
      if (done) {
        clearTimeout(timer);
        ok();
      }
    });
  });
  recorder.kill('SIGTERM');
  await new Promise((r) => recorder.once('exit', r));
  return { minutes: o.minutes, readyS: readyS!, composeCpuS, composeWallS };
}
