// Recording a real lesson end to end: two Chromium participants with known fake cameras (solid
// red / blue) and tones, through the SFU, the recorder (FFmpeg), object storage (local directory,
// and a real S3-protocol server), finalize, the API list and the Range-streamed file.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createDemoLesson } from '@duet/deploy';
import { deriveNodeSecret } from '@duet/api/node-secret';
import { freePort, startS3Server, type S3TestServer } from '@duet/deploy/testing';
import { createObjectStore, loadStorageConfig } from '@duet/api/storage';
import { startStack, type Stack } from '../../web/test/e2e/stack.ts';
import { waitFor } from '../../web/test/e2e/browser.ts';
import { audioLevel, isColour, probe, regionColour } from './support/media-checks.ts';
import { joinLesson, twoParticipants } from './support/fake-media.ts';
import { sleep, startRecorderProcess, tempDir } from './support/recorder-harness.ts';

const participants = twoParticipants('duet-rec-e2e-');

async function apiGet(stack: Stack, path: string): Promise<any> {
  const res = await fetch(`${stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
  expect(res.status, `GET ${path}`).toBe(200);
  return res.json();
}

/** Manifests the recorder keeps in its work dir. */
async function manifests(workDir: string): Promise<any[]> {
  const out = [];
  for (const d of await readdir(workDir).catch(() => [])) {
    const m = await readFile(join(workDir, d, 'manifest.json'), 'utf8').catch(() => null);
    if (m) out.push(JSON.parse(m));
  }
  return out;
}

async function tracksFlowing(workDir: string, lessonId: string, minRuns = 1): Promise<any> {
  return waitFor('four recorded tracks with media', async () => {
    const m = (await manifests(workDir)).find((x) => x.lessonId === lessonId);
    const flowing = m?.tracks.filter((t: any) => t.runs.filter((r: any) => r.startMs).length >= minRuns) ?? [];
    if (flowing.length >= 4) return m;
    throw new Error(`tracks ${JSON.stringify(m?.tracks.map((t: any) => [t.source, t.role, t.runs.length]))}`);
  }, 60_000);
}

/** A failed wait, rethrown with the recorder's lines about tracks, keyframes and runs (why a track is missing). */
const withLines = (lines: () => string[]) => (err: Error): never => {
  // The recorder's own lines, and the media node's about its recording taps (a tap that failed to plumb says so there).
  const about = lines().filter((l) => (/"recorder"/.test(l) && /keyframe|track|run/i.test(l)) || (/"signaling"/.test(l) && /recording|tap|plumb/i.test(l))).slice(-30);
  throw new Error(`${err.message}\nrecorder and media node, last ${about.length} lines on tracks:\n${about.join('\n')}`);
};

async function leave(pages: Page[]): Promise<void> {
  for (const page of pages) {
    await page.getByTestId('leave').click();
    await page.getByTestId('confirm-leave').click();
    await page.getByTestId('post-session').waitFor();
  }
}

async function readyRecording(stack: Stack, lessonId: string): Promise<any> {
  return waitFor('recording ready in the API', async () => {
    const { recordings } = await apiGet(stack, `/v1/sessions/${lessonId}/recordings`);
    if (recordings.length === 1 && recordings[0].status !== 'processing') return recordings[0];
    throw new Error(JSON.stringify(recordings));
  }, 180_000, 1000);
}

async function download(url: string, to: string): Promise<void> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  await writeFile(to, Buffer.from(await res.arrayBuffer()));
}

/** Mean colour of the tutor's (left) and student's (right) tile at `t`. */
async function tiles(file: string, t: number) {
  return {
    left: await regionColour(file, t, { x: 160, y: 120, w: 320, h: 240 }),
    right: await regionColour(file, t, { x: 800, y: 120, w: 320, h: 240 }),
  };
}

describe('recorded lesson', () => {
  it('records both participants, finalizes side by side with mixed audio, and streams it with ranges', async () => {
    const dataDir = await tempDir('duet-rec-stack-');
    const stack = await startStack({ DUET_DATA_DIR: dataDir.path, RECORDER_SEGMENT_SECONDS: '4', RECORDER_IDLE_STOP_MS: '1500' });
    try {
      const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'Recorded e2e', recording: true });
      const pages = [await joinLesson(participants.browsers[0]!, lesson.tutorUrl), await joinLesson(participants.browsers[1]!, lesson.studentUrl)];
      const workDir = join(dataDir.path, 'recorder');
      const m = await tracksFlowing(workDir, lesson.id);
      await sleep(8_000);
      const leftAt = Date.now();
      await leave(pages);
      const allLeftAt = Date.now();
      await Promise.all(pages.map((p) => p.context().close()));

      const rec = await readyRecording(stack, lesson.id);
      expect(rec.status, JSON.stringify(rec)).toBe('ready');
      expect(rec.partial, stack.logs().split('\n').filter((l) => l.includes('"recorder"') || l.includes('recording')).join('\n')).toBe(false);
      expect(rec.url).toMatch(/\/file\?exp=\d+&sig=[0-9a-f]{64}$/);

      // Range requests (seeking): first bytes, a suffix, and an unsatisfiable one.
      const head = await fetch(rec.url, { headers: { range: 'bytes=0-99' } });
      expect(head.status).toBe(206);
      expect(head.headers.get('content-range')).toBe(`bytes 0-99/${rec.size_bytes}`);
      expect((await head.arrayBuffer()).byteLength).toBe(100);
      const tail = await fetch(rec.url, { headers: { range: 'bytes=-1000' } });
      expect(tail.status).toBe(206);
      expect((await tail.arrayBuffer()).byteLength).toBe(1000);
      expect((await fetch(rec.url, { headers: { range: `bytes=${rec.size_bytes}-` } })).status).toBe(416);
      expect((await fetch(rec.url.replace(/sig=[0-9a-f]{4}/, 'sig=0000'))).status).toBe(403);

      const file = join(participants.dir, 'lesson.mp4');
      await download(rec.url, file);
      const p = await probe(file);
      expect(p.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
      expect(Math.abs(p.duration - rec.duration_seconds)).toBeLessThan(0.05);
      const firstMedia = Math.min(...m.tracks.flatMap((t: any) => t.runs.map((r: any) => r.startMs).filter(Boolean)));
      // The file ends when the last producer closed: between the first click on Leave and the last leave.
      const earliest = (leftAt - firstMedia) / 1000;
      const latest = (allLeftAt - firstMedia) / 1000;
      expect(p.duration, `duration ${p.duration} s, expected ${earliest}..${latest} s`).toBeGreaterThanOrEqual(earliest - 1);
      expect(p.duration, `duration ${p.duration} s, expected ${earliest}..${latest} s`).toBeLessThanOrEqual(latest + 1);
      const { left, right } = await tiles(file, p.duration / 2);
      expect(isColour(left, 'red'), `tutor tile ${left}`).toBe(true);
      expect(isColour(right, 'blue'), `student tile ${right}`).toBe(true);
      // Both tones mixed, once every track is in the lesson's FFmpeg (each track added at the start
      // restarts it: a moment without media on every track). Chromium's audio processing brings each
      // fake tone to about -40 dB once both people are in the room (measured on the copied segments,
      // which the recorder does not touch), so the mix sits near -38 dB; silence is below -90 dB.
      expect(await audioLevel(file, p.duration / 2, p.duration - 1)).toBeGreaterThan(-45);

      const hook = await waitFor('recording.ready webhook', async () => stack.webhooks.find((w) => w.body.type === 'recording.ready' && w.body.session_id === lesson.id));
      expect(hook.signatureValid).toBe(true);
      expect(hook.body.data).toMatchObject({ recording_id: rec.id, partial: false, size_bytes: rec.size_bytes });
    } finally {
      await stack.stop();
      await dataDir.remove();
    }
  }, 300_000);

  it('keeps recording when a participant reconnects: new producers become new tracks of the same recording', async () => {
    const dataDir = await tempDir('duet-rec-stack-');
    const stack = await startStack({ DUET_DATA_DIR: dataDir.path, RECORDER_SEGMENT_SECONDS: '4', RECORDER_IDLE_STOP_MS: '1500' });
    try {
      const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'Reconnect e2e', recording: true });
      const tutor = await joinLesson(participants.browsers[0]!, lesson.tutorUrl);
      let student = await joinLesson(participants.browsers[1]!, lesson.studentUrl);
      const workDir = join(dataDir.path, 'recorder');
      await tracksFlowing(workDir, lesson.id);
      await sleep(3_000);
      // The student's tab goes away and comes back (a reconnect within the grace period).
      await student.context().close();
      await sleep(1_000);
      student = await joinLesson(participants.browsers[1]!, lesson.studentUrl);
      const m = await waitFor('the student camera recorded again', async () => {
        const x = (await manifests(workDir)).find((r) => r.lessonId === lesson.id);
        const cams = x?.tracks.filter((t: any) => t.role === 'student' && t.source === 'camera' && t.runs.some((r: any) => r.startMs)) ?? [];
        return cams.length >= 2 ? x : null;
      }, 60_000).catch(withLines(() => stack.logs().split('\n')));
      expect((await manifests(workDir)).filter((r) => r.lessonId === lesson.id)).toHaveLength(1);
      await sleep(4_000);
      await leave([tutor, student]);
      await Promise.all([tutor, student].map((p) => p.context().close()));

      const rec = await readyRecording(stack, lesson.id);
      expect(rec.status).toBe('ready');
      expect(rec.id).toBe(m.recordingId);
      const file = join(participants.dir, 'lesson-reconnect.mp4');
      await download(rec.url, file);
      const final = (await manifests(workDir)).find((r) => r.recordingId === rec.id) ?? m;
      const t0 = Math.min(...final.tracks.flatMap((t: any) => t.runs.map((r: any) => r.startMs).filter(Boolean)));
      const cams = final.tracks.filter((t: any) => t.role === 'student' && t.source === 'camera');
      const lastRun = cams.at(-1).runs.find((r: any) => r.startMs && r.segments.length > 0);
      const after = (lastRun.startMs - t0) / 1000 + lastRun.segments.at(-1).endS / 2;
      const { left, right } = await tiles(file, after);
      expect(isColour(left, 'red'), `tutor tile at ${after}s: ${left}`).toBe(true);
      expect(isColour(right, 'blue'), `student tile after the reconnect at ${after}s: ${right}`).toBe(true);
    } finally {
      await stack.stop();
      await dataDir.remove();
    }
  }, 300_000);

  it('S3 end to end, and kill -9 of the recorder mid-lesson gives a partial recording with both parts', async () => {
    let s3: S3TestServer | undefined;
    let stack: Stack | undefined;
    let recorder: Awaited<ReturnType<typeof startRecorderProcess>> | undefined;
    const work = await tempDir('duet-rec-work-');
    try {
      s3 = await startS3Server();
      const secret = randomBytes(32).toString('hex');
      const [apiPort, recorderPort] = [await freePort(), await freePort()];
      // The recorder holds what npm start gives its node: NODE_ID=local + NODE_SECRET (never the
      // API's INTERNAL_HOOK_SECRET), so the node's calls and the recorder's hooks use `dn1:` credentials.
      const recorderEnv = {
        ...s3.env,
        NODE_ID: 'local',
        NODE_SECRET: deriveNodeSecret(secret, 'local'),
        API_INTERNAL_URL: `http://127.0.0.1:${apiPort}`,
        RECORDER_WORK_DIR: work.path,
        RECORDER_SEGMENT_SECONDS: '2',
        // Short on purpose: the recording the restart interrupted must still wait for its node
        // (recorder.ts RESTART_REATTACH_MS); with 100 ms and no such wait it was finalized before the
        // node came back, and the lesson got a second recording.
        RECORDER_IDLE_STOP_MS: '100',
        RECORDER_KEEP_LOCAL: process.env.KEEP_TEST_DIRS ? '1' : '0',
        // This test checks every segment of both parts reached the bucket (the default removes them after ready).
        RECORDING_KEEP_SEGMENTS: '1',
      };
      recorder = await startRecorderProcess(recorderEnv, recorderPort);
      stack = await startStack({ ...s3.env, API_PORT: String(apiPort), INTERNAL_HOOK_SECRET: secret, RECORDER_URL: recorder.url });
      const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'Recorded S3 e2e', recording: true });
      const pages = [await joinLesson(participants.browsers[0]!, lesson.tutorUrl), await joinLesson(participants.browsers[1]!, lesson.studentUrl)];
      await tracksFlowing(work.path, lesson.id).catch(withLines(() => [...recorder!.logs, ...stack!.logs().split('\n')]));
      await sleep(6_000);
      recorder.child.kill('SIGKILL');
      await sleep(2_000);
      recorder = await startRecorderProcess(recorderEnv, recorderPort);
      // The media node notices and re-plumbs every track into the same recording.
      const m = await tracksFlowing(work.path, lesson.id, 2).catch(withLines(() => [...recorder!.logs, ...stack!.logs().split('\n')]));
      await sleep(5_000);
      await leave(pages);
      await Promise.all(pages.map((p) => p.context().close()));

      const rec = await readyRecording(stack, lesson.id);
      expect(rec.status, JSON.stringify(rec)).toBe('ready');
      expect(rec.partial).toBe(true);
      expect(rec.id).toBe(m.recordingId);

      // Everything is in the S3 bucket: segments of both parts, the manifest and the final file.
      const store = createObjectStore(loadStorageConfig(s3.env));
      const keys = (await store.list(`recordings/sessions/${lesson.id}/${rec.id}/`)).map((o) => o.key);
      expect(keys).toContain(`recordings/sessions/${lesson.id}/${rec.id}/recording.mp4`);
      expect(keys).toContain(`recordings/sessions/${lesson.id}/${rec.id}/manifest.json`);
      const final = JSON.parse(await readFile(join(work.path, rec.id, 'manifest.json'), 'utf8'));
      expect(final.partialReasons).toContain('recorder_restarted');
      for (const t of final.tracks) {
        // One FFmpeg per lesson: the run live at the kill is interrupted; earlier ones ended when tracks were added.
        const killed = t.runs.findIndex((r: any) => r.end === 'interrupted');
        expect(killed, JSON.stringify(t.runs.map((r: any) => r.end))).toBeGreaterThanOrEqual(0);
        expect(t.runs.slice(0, killed).every((r: any) => r.end === 'stopped')).toBe(true);
        for (const r of t.runs) for (const s of r.segments) expect(keys).toContain(s.key);
      }

      const file = join(participants.dir, 'lesson-s3.mp4');
      await download(rec.url, file);
      const p = await probe(file);
      expect(p.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
      const t0 = Math.min(...final.tracks.flatMap((t: any) => t.runs.map((r: any) => r.startMs).filter(Boolean)));
      const cam = final.tracks.find((t: any) => t.source === 'camera' && t.role === 'tutor');
      const runs = cam.runs.filter((r: any) => r.segments.length > 0);
      expect(runs.length, JSON.stringify(cam.runs)).toBeGreaterThanOrEqual(2);
      const killedRun = runs.find((r: any) => r.end === 'interrupted');
      expect(killedRun, JSON.stringify(cam.runs)).toBeDefined();
      const before = (killedRun.startMs - t0) / 1000 + killedRun.segments.at(-1).endS / 2;
      const after = (runs.at(-1).startMs - t0) / 1000 + runs.at(-1).segments.at(-1).endS / 2;
      for (const t of [before, after]) {
        const { left, right } = await tiles(file, t).catch((err: Error) => {
          throw new Error(`${err.message}; file ${p.duration} s, t0 ${t0}, tutor camera runs ${JSON.stringify(cam.runs.map((r: any) => ({ run: r.run, startMs: r.startMs, end: r.end, segs: r.segments.map((x: any) => x.endS) })))}`);
        });
        expect(isColour(left, 'red'), `tutor tile at ${t}s: ${left}`).toBe(true);
        expect(isColour(right, 'blue'), `student tile at ${t}s: ${right}`).toBe(true);
      }
    } finally {
      await stack?.stop();
      await recorder?.close();
      await s3?.stop();
      if (!process.env.KEEP_TEST_DIRS) await work.remove();
    }
  }, 300_000);
});
