// Recording benchmark (on demand, not in the suite; run inside the lo-only namespace):
//   bash scripts/in-lo-netns.sh node deploy/bench/recording.ts [--lessons N] [--seconds S] [--skip-finalize]
// 1) Live cost: the recorder as its own process, started as production starts it (RECORDER_ARGV:
//    recorder/dist/main.js, built first by scripts/build-recorder.sh, and its Node flags), 1 and then N recorded
//    lessons of 4 tracks each (2 x VP8 640x480 20 fps, 2 x Opus) sent as real RTP by FFmpeg
//    copying pre-encoded files (so the senders cost almost nothing). CPU (% of one core) and
//    memory of the recorder + its FFmpeg children (one FFmpeg per lesson), per lesson; and the
//    floor: the RSS/PSS of the one FFmpeg copying one lesson.
// 2) Watchable after the end (issue 15): playback.json in storage for a 10- and a 60-minute lesson
//    (recording-ready.ts), and the compose of the 10-minute one (4 tracks x 60 segments of 10 s, by
//    the real resumable finalize path, at nice 19): wall time and CPU-seconds per lesson-minute.
// Prints the numbers next to the anchors' Chrome-composite cost and writes results/recording.json.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createApiServer, loadApiConfig } from '@duet/api';
import { freePort } from '@duet/deploy/testing';
import { RECORDER_ARGV } from '@duet/recorder/launch';
import { readyAfterEnd } from './recording-ready.ts';

const REPO = resolve(import.meta.dirname, '../..');
const { values: args } = parseArgs({ options: { lessons: { type: 'string', default: '4' }, seconds: { type: 'string', default: '20' }, 'skip-finalize': { type: 'boolean', default: false }, 'compose-minutes': { type: 'string', default: '10' } } });
/** Length of the lesson whose compose is measured (CPU-seconds per lesson-minute); 10 by default. */
const COMPOSE_MIN = Math.max(1, Math.min(60, Number(args['compose-minutes'])));
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
  // ---- watchable after the end (10 and 60 minutes) and compose cost (recording-ready.ts) --------
  const readyOpts = { work, cam, mic, argv: [...RECORDER_ARGV], cwd: REPO, env: { ...process.env, INTERNAL_HOOK_SECRET: SECRET, OBJECTS_DIR: join(work, 'objects') }, children };
  const ready60 = await readyAfterEnd({ ...readyOpts, minutes: 60, compose: false });
  log(`60-minute lesson: watchable ${ready60.readyS.toFixed(2)} s after it ended`);
  const ready10 = await readyAfterEnd({ ...readyOpts, minutes: 10, compose: !args['skip-finalize'] && COMPOSE_MIN === 10 });
  log(`10-minute lesson: watchable ${ready10.readyS.toFixed(2)} s after it ended`);
  const composed = args['skip-finalize'] ? null : COMPOSE_MIN === 10 ? ready10 : await readyAfterEnd({ ...readyOpts, minutes: COMPOSE_MIN, compose: true });
  if (composed?.composeWallS != null) log(`${COMPOSE_MIN}-minute lesson composed in ${composed.composeWallS.toFixed(1)} s at nice 19 using ${composed.composeCpuS!.toFixed(1)} CPU-seconds`);
  const finalizeS = COMPOSE_MIN === 10 ? (composed?.composeWallS ?? null) : null;

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
    // Issue 15: watchable from the copied segments (goal <= 5 s whatever the length), and the compose cost.
    ready_s_10min: round(ready10.readyS, 2),
    ready_s_60min: round(ready60.readyS, 2),
    compose_cpu_s_per_lesson_minute: composed?.composeCpuS == null ? null : round(composed.composeCpuS / COMPOSE_MIN, 2),
    compose_measured_minutes: composed ? COMPOSE_MIN : null,
    window_s: WINDOW_S,
  };
  const ratios = { core_vs_chrome_composite: round(perLesson.core / ANCHOR.core, 4), rss_vs_chrome_composite: round(perLesson.rssMb / ANCHOR.rssMb, 4) };
  log('');
  log(`per live lesson (${N} lessons): ${(perLesson.core * 100).toFixed(2)} % of a core, RSS ${perLesson.rssMb.toFixed(0)} MB (PSS ${perLesson.pssMb.toFixed(0)} MB); marginal ${(perLesson.marginalCore * 100).toFixed(2)} %, RSS +${perLesson.marginalRssMb.toFixed(0)} MB (PSS +${perLesson.marginalPssMb.toFixed(0)} MB)`);
  log(`anchor (${ANCHOR.what}): ${ANCHOR.core * 100} % of a core, ${ANCHOR.rssMb} MB  ->  Duet uses ${(ratios.core_vs_chrome_composite * 100).toFixed(2)} % of the CPU and ${(ratios.rss_vs_chrome_composite * 100).toFixed(1)} % of the memory`);
  log(`goal per live lesson: <= 2 % of a core and <= 64 MB; FFmpeg alone copying one lesson: RSS ${results[1]!.ffmpegRssMb.toFixed(0)} MB, PSS ${results[1]!.ffmpegPssMb.toFixed(0)} MB`);
  if (finalizeS !== null) log(`finalize of a 10-minute lesson: ${finalizeS.toFixed(1)} s`);
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', load_avg_at_end: loadavg().map((l) => round(l, 2)), ffmpeg: execFileSync('ffmpeg', ['-version']).toString().split('\n')[0], commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO }).toString().trim() };
  const out = { name: 'recording', date: new Date().toISOString(), node: process.version, cpus: cpus().length, machine, recorder: `node ${RECORDER_ARGV.join(' ')}`, metrics, ratios, baseline: `${ANCHOR.what}: ~${ANCHOR.core} core and ~${ANCHOR.rssMb} MB per recording` };
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(join(import.meta.dirname, 'results/recording.json'), JSON.stringify(out, null, 2) + '\n');
  log(`wrote deploy/bench/results/recording.json`);
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
