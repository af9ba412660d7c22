// Recording benchmark (on demand, not in the suite; run inside the lo-only namespace):
//   bash scripts/in-lo-netns.sh node deploy/bench/recording.ts [--lessons N] [--seconds S] [--skip-finalize]
// 1) Live cost: the recorder as its own process, started as production starts it (RECORDER_ARGV:
//    recorder/dist/main.js, built first by scripts/build-recorder.sh, and its Node flags), 1 and then N recorded
//    lessons of 4 tracks each (2 x VP8 640x480 20 fps, 2 x Opus) sent as real RTP by FFmpeg
//    copying pre-encoded files (so the senders cost almost nothing). CPU (% of one core) and
//    memory of the recorder + its FFmpeg children (one FFmpeg per lesson), per lesson; and the
//    floor: the RSS/PSS of the one FFmpeg copying one lesson.
// 2) Finalize time for a 10-minute lesson: 4 tracks x 60 segments of 10 s, composed by the real
//    resumable finalize path (a manifest in state "finalizing" adopted by a recorder at start).
// Prints the numbers next to the anchors' Chrome-composite cost and writes results/recording.json.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createApiServer, loadApiConfig } from '@duet/api';
import { freePort } from '@duet/deploy/testing';
import { RECORDER_ARGV } from '@duet/recorder/launch';

const REPO = resolve(import.meta.dirname, '../..');
const { values: args } = parseArgs({ options: { lessons: { type: 'string', default: '4' }, seconds: { type: 'string', default: '20' }, 'skip-finalize': { type: 'boolean', default: false } } });
const N = Math.max(1, Math.min(8, Number(args.lessons)));
const WINDOW_S = Math.max(5, Math.min(40, Number(args.seconds)));
const ANCHOR = { core: 0.9, rssMb: 1270, what: 'one Chrome composite recorder per lesson (LiveKit egress / Jibri class)' };
const SECRET = 'bench-internal-secret-0123456789abcdef0123';
const API_KEY = 'bench-api-key-0123456789abcdef';
const CLK_TCK = 100;
const PAGE_KB = 4;

const work = mkdtempSync(join(tmpdir(), 'duet-bench-rec-'));
const children: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => process.stdout.write(`${msg}\n`);

function ff(argv: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...argv]);
}

// ---- process accounting from /proc -----------------------------------------------------------
function procStat(pid: number): { ticks: number; ppid: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}
function memKb(pid: number): { rss: number; pss: number } {
  try {
    const roll = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const get = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(roll)?.[1] ?? 0);
    return { rss: get('Rss'), pss: get('Pss') };
  } catch {
    const statm = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
    return { rss: Number(statm[1]) * PAGE_KB, pss: Number(statm[1]) * PAGE_KB };
  }
}
/** The recorder and its FFmpeg children. */
function tree(root: number): number[] {
  const pids = [root];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    if (procStat(Number(d))?.ppid === root) pids.push(Number(d));
  }
  return pids;
}
async function measure(root: number, seconds: number): Promise<{ cores: number; recorderCores: number; rssMb: number; pssMb: number; ffmpegs: number; ffmpegRssMb: number; ffmpegPssMb: number }> {
  const ticks = (pids: number[]) => pids.reduce((a, p) => a + (procStat(p)?.ticks ?? 0), 0);
  const pids = tree(root);
  const t0 = ticks(pids);
  const r0 = ticks([root]);
  const w0 = performance.now();
  await sleep(seconds * 1000);
  const wall = (performance.now() - w0) / 1000;
  const cores = (ticks(pids) - t0) / CLK_TCK / wall;
  const recorderCores = (ticks([root]) - r0) / CLK_TCK / wall;
  let rss = 0;
  let pss = 0;
  let ffRss = 0;
  let ffPss = 0;
  for (const p of pids) {
    const m = memKb(p);
    rss += m.rss;
    pss += m.pss;
    if (p !== root) {
      ffRss += m.rss;
      ffPss += m.pss;
    }
  }
  return { cores, recorderCores, rssMb: rss / 1024, pssMb: pss / 1024, ffmpegs: pids.length - 1, ffmpegRssMb: ffRss / 1024, ffmpegPssMb: ffPss / 1024 };
}

// ---- live lessons ----------------------------------------------------------------------------
async function call(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

function sendCopy(file: string, pt: number, port: number): ChildProcess {
  const c = spawn('ffmpeg', ['-nostdin', '-v', 'error', '-re', '-stream_loop', '-1', '-i', file, '-c', 'copy', '-f', 'rtp', '-payload_type', String(pt), `rtp://127.0.0.1:${port}?rtcpport=${port + 1}&pkt_size=1200`], { stdio: 'ignore' });
  children.push(c);
  return c;
}

async function main(): Promise<void> {
  log(`duet recording benchmark: ${cpus().length} cpus, node ${process.version}, lessons 1 and ${N}, ${WINDOW_S} s windows`);
  execFileSync('bash', [join(REPO, 'scripts/build-recorder.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  // Pre-encoded media (once): VP8 640x480 20 fps ~500 kb/s with a keyframe every 2 s, Opus 32 kb/s.
  const cam = join(work, 'cam.webm');
  const mic = join(work, 'mic.webm');
  ff(['-f', 'lavfi', '-i', 'testsrc=size=640x480:rate=20', '-t', '10', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '500k', '-g', '40', cam]);
  ff(['-f', 'lavfi', '-i', 'sine=f=440:r=48000', '-t', '10', '-ac', '2', '-c:a', 'libopus', '-b:a', '32k', mic]);

  const apiPort = await freePort();
  const api = createApiServer(loadApiConfig({ DATABASE_URL: 'pglite:memory', API_HOST: '127.0.0.1', API_PORT: String(apiPort), DUET_API_KEY: API_KEY, JOIN_TOKEN_SECRET: 'bench-join-secret-0123456789abcdef0123', INTERNAL_HOOK_SECRET: SECRET, LOG_LEVEL: 'silent', OBJECTS_DIR: join(work, 'objects') }));
  const { url: apiUrl } = await api.start();
  const recPort = await freePort();
  const recorderEnv = { ...process.env, INTERNAL_HOOK_SECRET: SECRET, API_INTERNAL_URL: apiUrl, RECORDER_WORK_DIR: join(work, 'recorder'), OBJECTS_DIR: join(work, 'objects'), RECORDER_PORT: String(recPort), RECORDER_SEGMENT_SECONDS: '10' };
  const recorder = spawn(process.execPath, [...RECORDER_ARGV], { cwd: REPO, env: recorderEnv, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(recorder);
  const recUrl = `http://127.0.0.1:${recPort}`;
  await new Promise<void>((ok) => recorder.stdout!.on('data', (c: Buffer) => c.toString().includes('recorder listening') && ok()));

  const idle = await measure(recorder.pid!, 3);
  log(`recorder idle: ${(idle.cores * 100).toFixed(2)} % of a core, RSS ${idle.rssMb.toFixed(0)} MB`);

  const lessons: { rid: string }[] = [];
  const results: Record<number, Awaited<ReturnType<typeof measure>>> = {};
  for (const target of N === 1 ? [1] : [1, N]) {
    while (lessons.length < target) {
      const res = await fetch(`${apiUrl}/v1/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'bench', scheduled_start: new Date().toISOString(), scheduled_end: new Date(Date.now() + 3600_000).toISOString(), recording: true, tutor: { id: 't', name: 'T' }, student: { id: 's', name: 'S' } }),
      });
      const lesson = (await res.json()) as { id: string };
      const { recordingId: rid } = await call(recUrl, 'POST', '/v1/recordings', { lessonId: lesson.id });
      for (const role of ['tutor', 'student'] as const) {
        const v = await call(recUrl, 'POST', `/v1/recordings/${rid}/tracks`, { trackId: `${role}-cam`, role, source: 'camera', kind: 'video', codec: { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 } });
        sendCopy(cam, 101, v.port);
        const a = await call(recUrl, 'POST', `/v1/recordings/${rid}/tracks`, { trackId: `${role}-mic`, role, source: 'microphone', kind: 'audio', codec: { mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 } });
        sendCopy(mic, 100, a.port);
      }
      lessons.push({ rid });
    }
    await sleep(4000); // probing done, segments open
    const m = await measure(recorder.pid!, WINDOW_S);
    results[target] = m;
    log(`${target} live lesson(s): ${(m.cores * 100).toFixed(2)} % of a core (recorder ${(m.recorderCores * 100).toFixed(2)} %), RSS ${m.rssMb.toFixed(0)} MB, PSS ${m.pssMb.toFixed(0)} MB (recorder ${(m.rssMb - m.ffmpegRssMb).toFixed(0)} MB + ${m.ffmpegs} FFmpeg ${m.ffmpegRssMb.toFixed(0)} MB)`);
  }
  for (const c of children.slice(1)) c.kill('SIGTERM');
  for (const { rid } of lessons) await call(recUrl, 'POST', `/v1/recordings/${rid}/stop`, { reason: 'bench' }).catch(() => undefined);

  const nBig = results[N]!;
  const perLesson = {
    core: nBig.cores / N,
    rssMb: nBig.rssMb / N,
    pssMb: nBig.pssMb / N,
    marginalCore: N > 1 ? (nBig.cores - results[1]!.cores) / (N - 1) : nBig.cores - idle.cores,
    marginalRssMb: N > 1 ? (nBig.rssMb - results[1]!.rssMb) / (N - 1) : nBig.rssMb - idle.rssMb,
    marginalPssMb: N > 1 ? (nBig.pssMb - results[1]!.pssMb) / (N - 1) : nBig.pssMb - idle.pssMb,
  };
  recorder.kill('SIGTERM');
  await sleep(1000);
  await api.close();

  // ---- finalize of a 10-minute lesson ------------------------------------------------------
  let finalizeS: number | null = null;
  if (!args['skip-finalize']) finalizeS = await finalizeTenMinutes(cam, mic);

  const metrics = {
    lessons: N,
    core_per_lesson: round(perLesson.core, 4),
    rss_mb_per_lesson: round(perLesson.rssMb, 1),
    pss_mb_per_lesson: round(perLesson.pssMb, 1),
    marginal_core_per_lesson: round(perLesson.marginalCore, 4),
    marginal_rss_mb_per_lesson: round(perLesson.marginalRssMb, 1),
    marginal_pss_mb_per_lesson: round(perLesson.marginalPssMb, 1),
    one_lesson_core: round(results[1]!.cores, 4),
    one_lesson_rss_mb: round(results[1]!.rssMb, 1),
    recorder_idle_rss_mb: round(idle.rssMb, 1),
    // The recorder process alone (no FFmpeg) while it records N lessons.
    recorder_rss_mb: round(nBig.rssMb - nBig.ffmpegRssMb, 1),
    recorder_core: round(nBig.recorderCores, 4),
    // The floor with Debian's FFmpeg: the one FFmpeg copying one lesson (4 tracks), nothing else.
    ffmpeg_rss_mb_one_lesson: round(results[1]!.ffmpegRssMb, 1),
    ffmpeg_pss_mb_one_lesson: round(results[1]!.ffmpegPssMb, 1),
    finalize_s_10min: finalizeS === null ? null : round(finalizeS, 1),
    window_s: WINDOW_S,
  };
  const ratios = { core_vs_chrome_composite: round(perLesson.core / ANCHOR.core, 4), rss_vs_chrome_composite: round(perLesson.rssMb / ANCHOR.rssMb, 4) };
  log('');
  log(`per live lesson (${N} lessons): ${(perLesson.core * 100).toFixed(2)} % of a core, RSS ${perLesson.rssMb.toFixed(0)} MB (PSS ${perLesson.pssMb.toFixed(0)} MB); marginal ${(perLesson.marginalCore * 100).toFixed(2)} %, RSS +${perLesson.marginalRssMb.toFixed(0)} MB (PSS +${perLesson.marginalPssMb.toFixed(0)} MB)`);
  log(`anchor (${ANCHOR.what}): ${ANCHOR.core * 100} % of a core, ${ANCHOR.rssMb} MB  ->  Duet uses ${(ratios.core_vs_chrome_composite * 100).toFixed(2)} % of the CPU and ${(ratios.rss_vs_chrome_composite * 100).toFixed(1)} % of the memory`);
  log(`goal per live lesson: <= 2 % of a core and <= 64 MB; FFmpeg alone copying one lesson: RSS ${results[1]!.ffmpegRssMb.toFixed(0)} MB, PSS ${results[1]!.ffmpegPssMb.toFixed(0)} MB`);
  if (finalizeS !== null) log(`finalize of a 10-minute lesson: ${finalizeS.toFixed(1)} s`);
  const out = { name: 'recording', date: new Date().toISOString(), node: process.version, cpus: cpus().length, recorder: `node ${RECORDER_ARGV.join(' ')}`, metrics, ratios, baseline: `${ANCHOR.what}: ~${ANCHOR.core} core and ~${ANCHOR.rssMb} MB per recording` };
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(join(import.meta.dirname, 'results/recording.json'), JSON.stringify(out, null, 2) + '\n');
  log(`wrote deploy/bench/results/recording.json`);
}

async function finalizeTenMinutes(cam: string, mic: string): Promise<number> {
  const lessonId = randomUUID();
  const recordingId = randomUUID();
  const dir = join(work, 'fin', recordingId);
  // 10-s segments cut from the pre-encoded files, repeated 60 times per track (same bytes, same cost).
  const seg = { video: join(work, 'seg.webm'), audio: join(work, 'seg-a.webm') };
  copyFileSync(cam, seg.video);
  copyFileSync(mic, seg.audio);
  const t0 = Date.now() - 700_000;
  const tracks = (['tutor', 'student'] as const).flatMap((role) =>
    (['video', 'audio'] as const).map((kind) => {
      const trackId = `${role}-${kind}`;
      const runDir = `tracks/${trackId}/run-0`;
      mkdirSync(join(dir, runDir), { recursive: true });
      const segments = Array.from({ length: 60 }, (_, i) => {
        const file = `seg-${String(i).padStart(5, '0')}.webm`;
        copyFileSync(kind === 'video' ? seg.video : seg.audio, join(dir, runDir, file));
        return { file, startS: i * 10, endS: (i + 1) * 10, size: 0, key: `recordings/sessions/${lessonId}/${recordingId}/${runDir}/${file}`, uploaded: true };
      });
      return {
        trackId,
        role,
        source: kind === 'video' ? 'camera' : 'microphone',
        kind,
        codec: kind === 'video' ? { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 } : { mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 },
        container: 'webm',
        addedAt: t0,
        runs: [{ index: 0, dir: runDir, startMs: t0 + (kind === 'audio' ? 40 : 0), end: 'stopped', segments }],
      };
    }),
  );
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version: 1, recordingId, lessonId, state: 'finalizing', partial: false, partialReasons: [], createdAt: t0, stoppedAt: Date.now(), segmentSeconds: 10, tracks, pendingHooks: [] }));
  const recorder = spawn(process.execPath, [...RECORDER_ARGV], { cwd: REPO,
    env: { ...process.env, INTERNAL_HOOK_SECRET: SECRET, API_INTERNAL_URL: 'http://127.0.0.1:9', RECORDER_WORK_DIR: join(work, 'fin'), OBJECTS_DIR: join(work, 'objects'), RECORDER_PORT: String(await freePort()), RECORDER_KEEP_LOCAL: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(recorder);
  const started = Date.now();
  log('finalizing a 10-minute lesson (4 tracks, 240 segments; libx264 veryfast, 1280x480, 25 fps)...');
  let out = '';
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('finalize did not finish within 10 minutes')), 600_000);
    recorder.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      for (const line of c.toString().split('\n')) if (line.includes('finalize: progress')) log(`  ${JSON.parse(line).percent} %`);
      if (/finalize: composed|recording failed/.test(out)) {
        clearTimeout(timer);
        ok();
      }
    });
  });
  const seconds = (Date.now() - started) / 1000;
  recorder.kill('SIGTERM');
  if (!out.includes('finalize: composed')) throw new Error(`finalize failed:\n${out.slice(-2000)}`);
  return seconds;
}

const round = (n: number, d: number) => Math.round(n * 10 ** d) / 10 ** d;

main()
  .catch((err: Error) => {
    process.stderr.write(`benchmark failed: ${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });
