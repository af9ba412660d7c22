// Composes run off the live path (issue 15 item 2): three recordings finalizing at once on one
// recorder compose one at a time (RECORDER_COMPOSE_CONCURRENCY=1, the default), the others wait
// in the queue (its depth is a metric), and each compose FFmpeg runs at niceness 19.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadRecorderConfig } from '../src/config.ts';
import { createRecorderService } from '../src/service.ts';
import { createLocalStore, recorderEnv, tempDir } from './support/recorder-harness.ts';

const dirs: { remove(): Promise<void> }[] = [];
afterAll(async () => {
  for (const d of dirs) await d.remove();
});

/** A recording the recorder finds on disk in state `finalizing` (as after a restart): one 3-s camera track. */
function finalizingRecording(workDir: string, segment: string): string {
  const recordingId = randomUUID();
  const lessonId = randomUUID();
  const runDir = 'tracks/cam/run-0';
  mkdirSync(join(workDir, recordingId, runDir), { recursive: true });
  writeFileSync(join(workDir, recordingId, runDir, 'seg-00000.webm'), readFileSync(segment));
  const t0 = Date.now() - 10_000;
  const track = {
    trackId: 'cam', role: 'tutor', source: 'camera', kind: 'video', container: 'webm', addedAt: t0,
    codec: { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 },
    runs: [{ index: 0, dir: runDir, startMs: t0, end: 'stopped', segments: [{ file: 'seg-00000.webm', startS: 0, endS: 3, size: 1, key: `recordings/sessions/${lessonId}/${recordingId}/${runDir}/seg-00000.webm`, uploaded: true }] }],
  };
  writeFileSync(join(workDir, recordingId, 'manifest.json'), JSON.stringify({ version: 1, recordingId, lessonId, state: 'finalizing', partial: false, partialReasons: [], createdAt: t0, stoppedAt: t0 + 3000, segmentSeconds: 2, tracks: [track], pendingHooks: [] }));
  return recordingId;
}

function niceness(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[16]);
}

it('composes one recording at a time at niceness 19; the rest wait in the queue (metric)', { timeout: 40_000 }, async () => {
  const work = await tempDir('duet-rec-queue-');
  const objects = await tempDir('duet-rec-queue-obj-');
  dirs.push(work, objects);
  const segment = join(objects.path, 'cam.webm');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '3', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', segment]);
  const ids = [0, 1, 2].map(() => finalizingRecording(work.path, segment));

  const spawned: { pid: number; nice: number; cmd: string; running: number; start: number; end?: number }[] = [];
  let maxQueued = 0;
  // API_INTERNAL_URL points nowhere: the hooks stay pending, which this test does not look at.
  const config = loadRecorderConfig(recorderEnv(work.path, 'http://127.0.0.1:9', { RECORDER_KEEP_LOCAL: '1' }));
  expect(config.composeConcurrency).toBe(1);
  expect(config.composeNice).toBe(19);
  const service = createRecorderService(config, createLocalStore(objects.path), () => undefined, {
    onComposeSpawn(child: ChildProcess) {
      const entry: (typeof spawned)[number] = { pid: child.pid!, nice: -1, cmd: '', running: service.recorder.composeLoad().running, start: performance.now() };
      spawned.push(entry);
      child.once('exit', () => (entry.end = performance.now()));
      // nice and ionice exec into FFmpeg: read the priority once the process is FFmpeg itself.
      const look = setInterval(() => {
        try {
          entry.cmd = readFileSync(`/proc/${entry.pid}/cmdline`, 'utf8').split('\0')[0]!;
          if (!/ffmpeg$/.test(entry.cmd)) return;
          entry.nice = niceness(entry.pid);
        } catch {
          // exited
        }
        clearInterval(look);
      }, 2);
    },
  });
  const { url } = await service.start();
  try {
    const poll = setInterval(() => (maxQueued = Math.max(maxQueued, service.recorder.composeLoad().queued)), 20);
    await expect.poll(() => ids.filter((id) => service.recorder.get(id)?.state === 'ready').length, { timeout: 35_000, interval: 100 }).toBe(3);
    clearInterval(poll);
    // While the first composed, the other two waited; the metric says so while it happens.
    expect(maxQueued).toBe(2);
    expect(spawned).toHaveLength(3);
    for (const s of spawned) {
      expect(s.cmd).toMatch(/ffmpeg$/);
      expect(s.nice).toBe(19);
      expect(s.running).toBe(1);
    }
    // Never two at once: each compose starts after the previous one exited.
    for (let i = 1; i < spawned.length; i++) expect(spawned[i]!.start).toBeGreaterThanOrEqual(spawned[i - 1]!.end!);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^duet_recorder_compose_queue_depth 0$/m);
    expect(metrics).toMatch(/^duet_recorder_composes_running 0$/m);
  } finally {
    await service.close();
  }
});
