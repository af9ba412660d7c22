// Watchable at once (issue 15 item 1): a recorded lesson (both cameras, both microphones, as
// mediasoup sends them) is playable from its copied segments seconds after it ends, long before
// the composed MP4 (held back here, as on a busy node), and Chromium plays it on the standalone
// page the marketplace links: both people side by side, both voices, seeking. Then Firefox plays
// the same recording from the same signed URL, with the same checks.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { API_KEY, HOOK_SECRET, createLesson, eventually, startApiOn, type TestApi } from '../../api/test/support/harness.ts';
import { launchBrowser, waitFor } from '../../web/test/e2e/browser.ts';
import { startLab, type Lab } from '../../web/test/e2e/lab/netns-lab.ts';
import { launchFirefox, playwrightParticipant, type LabFirefox, type Participant } from '../../web/test/e2e/lab/lab-browsers.ts';
import { loadRecorderConfig } from '../src/config.ts';
import { createRecorderService } from '../src/service.ts';
import { OPUS, sendAudio, sendVideo, VP8, type RtpSender } from './support/rtp-sender.ts';
import { createLocalStore, recorderEnv, REPO_ROOT, tempDir } from './support/recorder-harness.ts';

let api: TestApi;
let browser: Browser | undefined;
let lab: Lab | undefined;
let firefox: LabFirefox | undefined;
const dirs: { remove(): Promise<void> }[] = [];
const composes: ChildProcess[] = [];

beforeAll(async () => {
  execFileSync('bash', [join(REPO_ROOT, 'scripts/build-web.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
});
afterAll(async () => {
  for (const c of composes) c.kill('SIGKILL');
  await browser?.close();
  await firefox?.close();
  await lab?.stop();
  await api?.close();
  for (const d of dirs) await d.remove();
});

it('plays a lesson from its segments ≤ 5 s after it ends: both cameras advance, seeking works', { timeout: 90_000 }, async () => {
  const work = await tempDir('duet-rec-play-');
  const objects = await tempDir('duet-rec-play-obj-');
  dirs.push(work, objects);
  api = await startApiOn('pglite', { OBJECTS_DIR: objects.path });
  // The compose (the only FFmpeg run with -filter_complex) waits 60 s, as on a node whose compose
  // queue is busy: what plays below can only come from the segments.
  const ffmpeg = join(work.path, 'ffmpeg-slow-compose.sh');
  writeFileSync(ffmpeg, '#!/bin/sh\ncase "$*" in *-filter_complex*) sleep 60;; esac\nexec ffmpeg "$@"\n');
  chmodSync(ffmpeg, 0o755);
  const service = createRecorderService(loadRecorderConfig(recorderEnv(work.path, api.url, { FFMPEG_PATH: ffmpeg })), createLocalStore(objects.path), () => undefined, {
    onComposeSpawn: (c) => composes.push(c),
  });
  const { url: recUrl } = await service.start();
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(recUrl + path, { method, headers: { authorization: `Bearer ${HOOK_SECRET}`, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    return { status: res.status, body: (await res.json()) as any };
  };
  const senders: RtpSender[] = [];
  // Firefox starts in its lab while the lesson records (it takes seconds to come up).
  const firefoxReady = startLab().then(async (l) => {
    lab = l;
    firefox = await launchFirefox(l);
    return firefox;
  });
  firefoxReady.catch(() => undefined);
  try {
    const lesson = await createLesson(api, { recording: true });
    const { body: started } = await call('POST', '/v1/recordings', { lessonId: lesson.id });
    const rid = started.recordingId as string;
    for (const [role, colour, freq] of [['tutor', 'red', 440], ['student', 'blue', 660]] as const) {
      const v = await call('POST', `/v1/recordings/${rid}/tracks`, { trackId: `${role}-cam`, role, source: 'camera', kind: 'video', codec: VP8 });
      senders.push(sendVideo(v.body.port, colour));
      const a = await call('POST', `/v1/recordings/${rid}/tracks`, { trackId: `${role}-mic`, role, source: 'microphone', kind: 'audio', codec: OPUS });
      senders.push(sendAudio(a.body.port, freq));
    }
    // ~8 s of lesson (2-s segments, most uploaded while it is live).
    await eventually(async () => {
      const rec = service.recorder.get(rid)!;
      const segs = rec.manifest.tracks.flatMap((t) => t.runs.flatMap((r) => r.segments));
      return segs.length >= 16 ? true : undefined;
    }, 30_000);
    const stop = await call('POST', `/v1/recordings/${rid}/stop`, { reason: 'ended_by_tutor' });
    expect(stop.status).toBe(202);
    const stoppedAt = performance.now();
    for (const s of senders) await s.stop();

    // Ready: the playback description answers with segments (the API key, as the marketplace).
    const playback = await eventually(async () => {
      const res = await api.request('GET', `/v1/sessions/${lesson.id}/recordings/${rid}/playback`, { token: API_KEY });
      return res.status === 200 ? res.body : undefined;
    }, 10_000);
    const readyS = (performance.now() - stoppedAt) / 1000;
    console.log(`[playback] ready ${readyS.toFixed(2)} s after the lesson ended`);
    expect(readyS).toBeLessThanOrEqual(5);
    expect(playback.mode).toBe('segments');
    expect(playback.tracks.map((t: { role: string; kind: string }) => `${t.role}-${t.kind}`).sort()).toEqual(['student-audio', 'student-video', 'tutor-audio', 'tutor-video']);
    expect(playback.duration_seconds).toBeGreaterThan(6);
    // Tracks were added one after the other (each a new FFmpeg run): all four play from here on.
    const allOn = Math.max(...playback.tracks.map((t: { segments: { start: number }[] }) => t.segments[0]!.start));
    expect(playback.duration_seconds - allOn).toBeGreaterThan(5);

    // The recording list hands out the signed playback URL; the standalone page uses it alone.
    const list = await api.request('GET', `/v1/sessions/${lesson.id}/recordings`, { token: API_KEY });
    const signed = new URL(list.body.recordings[0].playback_url as string);
    const pageUrl = `${api.url}/session/${lesson.id}/recording/${rid}${signed.search}`;
    browser = await launchBrowser();
    const page = await (await browser.newContext()).newPage();
    await page.goto(pageUrl);
    await playsAndSeeks(playwrightParticipant(page), allOn);

    // Firefox (its own MSE and WebM demuxer), on the same signed URL: the lab's Firefox reaches
    // the API on the same 127.0.0.1 port through the lab's way out.
    const t0 = performance.now();
    const ff = await firefoxReady;
    await lab!.expose!(Number(new URL(api.url).port));
    const p = await ff.newParticipant();
    await p.goto(pageUrl);
    await playsAndSeeks(p, allOn);
    console.log(`[playback] Firefox ${ff.version} played and seeked in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await firefoxReady.catch(() => undefined);
    for (const s of senders) await s.stop();
    for (const c of composes) c.kill('SIGKILL');
    await service.close();
  }
});

type El = { role: string; kind: string; time: number; active: boolean; paused: boolean };

/** The standalone page in either browser: 2 videos + 2 audios play together, colours, seeking. */
async function playsAndSeeks(p: Participant, allOn: number): Promise<void> {
  const who = p.browser;
  await waitFor(`${who}: segment player shown`, () => p.run(() => !!document.querySelector('[data-testid="segment-player"]')), 15_000);
  const count = (testId: string) => p.run((id) => document.querySelectorAll(`[data-testid="${id}"]`).length, testId);
  expect(await count('segment-video'), `${who}: videos`).toBe(2);
  expect(await count('segment-audio'), `${who}: audios`).toBe(2);
  await p.click('player-toggle');

  const elements = () => p.run(() => (window as unknown as { __duetPlayer: { elements(): El[] } }).__duetPlayer.elements());
  const colourOf = (role: string) =>
    p.run((r) => {
      const v = document.querySelector(`video[data-role="${r}"]`) as HTMLVideoElement;
      const c = document.createElement('canvas');
      c.width = 16;
      c.height = 16;
      const g = c.getContext('2d')!;
      g.drawImage(v, 0, 0, 16, 16);
      return { rgba: [...g.getImageData(8, 8, 1, 1).data], size: `${v.videoWidth}x${v.videoHeight}`, ready: v.readyState, t: v.currentTime };
    }, role);
  // Every track plays and advances together.
  await waitFor(`${who}: all four tracks playing`, async () => (await elements()).every((e) => e.time > allOn + 0.5 && !e.paused) || undefined, 20_000);
  // Each camera's colour on screen (red tutor, blue student) once its element shows a frame.
  for (const [role, hi, lo] of [['tutor', 0, 2], ['student', 2, 0]] as const) {
    let last: unknown;
    await waitFor(`${who}: ${role} colour`, async () => {
      const got = await colourOf(role);
      last = got;
      return (got.rgba[hi]! > 150 && got.rgba[lo]! < 100) || undefined;
    }, 5_000).catch((err: Error) => {
      throw new Error(`${err.message}; last ${JSON.stringify(last)}`);
    });
  }

  // Seek back, then forward: every track follows and keeps advancing.
  for (const target of [allOn + 0.2, allOn + 2.5]) {
    await p.run((t) => (window as unknown as { __duetPlayer: { seek(t: number): void } }).__duetPlayer.seek(t), target);
    await waitFor(`${who}: tracks advancing from ${target} s`, async () => {
      const els = await elements();
      return els.every((e) => e.time > target + 0.4 && e.time < target + 4 && !e.paused) || undefined;
    }, 15_000);
    const times = (await elements()).map((e) => e.time);
    // In sync: the four elements within half a second of each other.
    expect(Math.max(...times) - Math.min(...times), `${who}: in sync ${JSON.stringify(times)}`).toBeLessThan(0.5);
  }
}
