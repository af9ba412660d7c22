// A recorded lesson survives its media node (issue 7 item 3), end to end: the API and two media
// nodes (signaling + SFU on 127.0.0.2 / 127.0.0.3, each with its own recorder process and work
// directory; one object store) as separate processes in the lo-only namespace, two Chromium pages
// with known fake cameras in a recorded lesson. The node hosting it is killed with SIGKILL (its
// signaling, its recorder and the recorder's FFmpeg: the machine is gone); both pages must come back
// with media on the other node by themselves, that node's recorder must continue the SAME recording
// (new segments next to the dead node's), and after the lesson the recording is ready with both
// parts, placed at their wall-clock times (the outage stays a gap in the file).
import type { ChildProcess } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createDemoLesson } from '@duet/deploy';
import { freePort } from '@duet/deploy/testing';
import { assertLoopbackOnly } from '../../web/test/e2e/stack.ts';
import { waitFor } from '../../web/test/e2e/browser.ts';
import { Cluster } from '../../web/test/e2e/cluster.ts';
import { installFrameMonitor, readFrames } from '../../web/test/e2e/frame-monitor.ts';
import { isColour, probe, regionColour } from './support/media-checks.ts';
import { joinLesson, launchWithFakeMedia, makeFakeMedia } from './support/fake-media.ts';
import { sleep, tempDir } from './support/recorder-harness.ts';
import { RECORDER_MAIN, RECORDER_NODE_FLAGS } from '../src/launch.ts';

const NODE_IPS = ['127.0.0.2', '127.0.0.3'];

interface MediaNode {
  id: string;
  ip: string;
  wsUrl: string;
  signaling: ChildProcess;
  recorder: ChildProcess;
  workDir: string;
}

let tmp: { path: string; remove(): Promise<void> };
let cluster: Cluster;
let browsers: Browser[] = [];
const nodes = new Map<string, MediaNode>();
const api: Cluster['api'] = (...args) => cluster.api(...args);

async function manifestIn(workDir: string, lessonId: string): Promise<any> {
  for (const d of await readdir(workDir).catch(() => [])) {
    const text = await readFile(join(workDir, d, 'manifest.json'), 'utf8').catch(() => null);
    if (text && JSON.parse(text).lessonId === lessonId) return JSON.parse(text);
  }
  return undefined;
}

const mediaRuns = (tracks: any[]) => tracks.flatMap((t: any) => t.runs.filter((r: any) => r.startMs && r.segments.length > 0).map((r: any) => ({ ...r, track: t })));

beforeAll(async () => {
  assertLoopbackOnly();
  tmp = await tempDir('duet-rec-failover-');
  cluster = new Cluster(tmp.path, { logTail: 30_000 });
  const objects = join(tmp.path, 'objects');
  const apiUrl = await cluster.startApi(NODE_IPS, { OBJECTS_DIR: objects });
  const tutor = await makeFakeMedia(tmp.path, 'tutor', 'red', 440);
  const student = await makeFakeMedia(tmp.path, 'student', 'blue', 880);
  browsers = await Promise.all([launchWithFakeMedia(tutor), launchWithFakeMedia(student)]);
  for (const [i, ip] of NODE_IPS.entries()) {
    const id = `rec-node-${i + 2}`;
    const workDir = join(tmp.path, `recorder-${id}`);
    const recorderPort = await freePort();
    // The built recorder with production's Node flags (the cluster starter takes a script; the
    // flags go through NODE_OPTIONS, which accepts both).
    const recorder = cluster.start(`${id}-recorder`, RECORDER_MAIN, {
      NODE_OPTIONS: RECORDER_NODE_FLAGS.join(' '),
      API_INTERNAL_URL: apiUrl,
      RECORDER_PORT: String(recorderPort),
      RECORDER_WORK_DIR: workDir,
      OBJECTS_DIR: objects,
      RECORDER_SEGMENT_SECONDS: '4',
      RECORDER_IDLE_STOP_MS: '1500',
    });
    const node = await cluster.startMediaNode(id, ip, { RECORDER_URL: `http://127.0.0.1:${recorderPort}` });
    nodes.set(id, { id, ip, wsUrl: node.wsUrl, signaling: node.child, recorder, workDir });
  }
  await cluster.waitForHealthyNodes(NODE_IPS.length);
}, 240_000);

afterAll(async () => {
  for (const b of browsers) await b.close().catch(() => undefined);
  await cluster?.stop(2_000);
  if (!process.env.KEEP_TEST_DIRS) await tmp?.remove();
});

/** SIGKILL for a media node's signaling, its recorder and the recorder's FFmpeg. */
async function killNode(node: MediaNode, lessonId: string): Promise<void> {
  const m = await manifestIn(node.workDir, lessonId);
  const pids = new Set<number>((m?.tracks ?? []).flatMap((t: any) => t.runs.map((r: any) => r.pid)).filter(Boolean));
  node.signaling.kill('SIGKILL');
  node.recorder.kill('SIGKILL');
  for (const pid of pids) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(node.workDir)) process.kill(pid, 'SIGKILL');
  }
}

describe('a recorded lesson on a media node that dies', () => {
  it('continues recording on the next node and finalizes one file with both parts', async () => {
    const lesson = await createDemoLesson(cluster.apiUrl, cluster.secrets.DUET_API_KEY, { title: 'Recorded failover', recording: true });
    const pages: Page[] = [await joinLesson(browsers[0]!, lesson.tutorUrl), await joinLesson(browsers[1]!, lesson.studentUrl)];
    for (const p of pages) await installFrameMonitor(p);
    for (const p of pages) await waitFor('remote video on a page', async () => (await readFrames(p)).frames > 10, 45_000);
    const first = nodes.get((await api('GET', `/v1/sessions/${lesson.id}`)).body.media_node as string)!;
    const other = [...nodes.values()].find((n) => n !== first)!;
    // Recording on the first node: four tracks with media, segments uploaded.
    const before = await waitFor('four tracks recorded on the first node', async () => {
      const m = await manifestIn(first.workDir, lesson.id);
      return m && new Set(mediaRuns(m.tracks).map((r) => r.track.trackId)).size >= 4 && mediaRuns(m.tracks).some((r) => r.segments.some((s: any) => s.uploaded)) ? m : null;
    }, 60_000);
    await sleep(6_000);

    const frozen = await Promise.all(pages.map((p) => readFrames(p)));
    const killedAt = Date.now();
    await killNode(first, lesson.id);
    // Both pages come back with media on the other node, without a click.
    await Promise.all(
      pages.map((page, i) =>
        waitFor('media back on the other node', async () => {
          const s = await page.evaluate(() => (window as any).__duet.state());
          const f = await readFrames(page);
          return s.signalingUrl === other.wsUrl && f.frames > frozen[i]!.frames + 5 && f.sinceLastMs < 1_000;
        }, 45_000, 200).catch(async (err: Error) => {
          const s = await page.evaluate(() => (window as any).__duet.state()).catch((e: Error) => e.message);
          const f = await readFrames(page).catch((e: Error) => e.message);
          const session = (await api('GET', `/v1/sessions/${lesson.id}`)).body;
          throw new Error(`${err.message}\npage ${i}: ${JSON.stringify(s).slice(0, 1500)}\nframes ${JSON.stringify(f)} (before ${JSON.stringify(frozen[i])})\nsession ${JSON.stringify(session).slice(0, 600)}\nother ${other.wsUrl}\nAPI:\n${cluster.logs.get('api')?.split('\n').filter((l) => !l.includes('heartbeat') && !l.includes('/internal/nodes')).join('\n').slice(-6000)}\nNODE:\n${cluster.logs.get(other.id)?.slice(-6000)}`);
        }),
      ),
    );
    console.log(`[failover-recording] media back ${Date.now() - killedAt} ms after kill -9`);
    // The other node's recorder continued the SAME recording: new segments next to the dead node's.
    const cont = await waitFor('the recording continued on the other node', async () => {
      const m = await manifestIn(other.workDir, lesson.id);
      return m && mediaRuns(m.tracks).length >= 4 && mediaRuns(m.tracks).some((r) => r.segments.some((s: any) => s.uploaded)) ? m : null;
    }, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${cluster.logs.get(`${other.id}-recorder`)?.slice(-3000)}\n${cluster.logs.get(other.id)?.slice(-3000)}`);
    });
    expect(cont.recordingId).toBe(before.recordingId);
    expect(cont.continues).toBe(before.partId);
    await sleep(6_000);

    const leftAt = Date.now();
    for (const page of pages) {
      await page.getByTestId('leave').click();
      await page.getByTestId('confirm-leave').click();
      await page.getByTestId('post-session').waitFor();
    }
    const allLeftAt = Date.now();
    await Promise.all(pages.map((p) => p.context().close()));
    const rec = await waitFor('recording ready in the API', async () => {
      const { body } = await api('GET', `/v1/sessions/${lesson.id}/recordings`);
      if (body.recordings?.length === 1 && body.recordings[0].status !== 'processing') return body.recordings[0];
      throw new Error(JSON.stringify(body));
    }, 180_000, 1000);
    expect(rec.status, JSON.stringify(rec)).toBe('ready');
    expect(rec.id).toBe(before.recordingId);
    // The dead node's open segments were lost with it.
    expect(rec.partial).toBe(true);

    const final = await manifestIn(other.workDir, lesson.id);
    expect(final.state).toBe('ready');
    expect(final.partialReasons).toEqual(['media_node_lost']);
    const earlier = mediaRuns(final.earlierTracks);
    const later = mediaRuns(final.tracks);
    expect(new Set(earlier.map((r) => r.track.trackId)).size).toBe(4);
    expect(new Set(later.map((r) => r.track.trackId)).size).toBe(4);

    const file = join(tmp.path, 'failover.mp4');
    const res = await fetch(rec.url);
    expect(res.status).toBe(200);
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    const p = await probe(file);
    expect(p.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    // From the first media on the dead node to the lesson's end, the outage kept as a gap.
    const t0 = Math.min(...[...earlier, ...later].map((r) => r.startMs));
    // The file ends when the last producer closed: between the first click on Leave and the last leave done.
    const earliest = (leftAt - t0) / 1000;
    const latest = (allLeftAt - t0) / 1000;
    expect(p.duration, `duration ${p.duration} s, expected ${earliest}..${latest} s`).toBeGreaterThanOrEqual(earliest - 2);
    expect(p.duration, `duration ${p.duration} s, expected ${earliest}..${latest} s`).toBeLessThanOrEqual(latest + 2);
    const endOfA = Math.max(...earlier.map((r) => (r.startMs - t0) / 1000 + r.segments.at(-1).endS));
    const startOfB = (Math.min(...later.map((r) => r.startMs)) - t0) / 1000;
    expect(startOfB).toBeGreaterThan((killedAt - t0) / 1000);
    expect(endOfA).toBeLessThanOrEqual((killedAt - t0) / 1000 + 1);
    // Both people in both parts (once both were in: the second person joins a moment later).
    const bothInA = (Math.max(...[...new Set(earlier.map((r) => r.track.trackId))].map((id) => Math.min(...earlier.filter((r) => r.track.trackId === id).map((r) => r.startMs)))) - t0) / 1000;
    for (const t of [(bothInA + endOfA) / 2, (startOfB + p.duration) / 2]) {
      const left = await regionColour(file, t, { x: 160, y: 120, w: 320, h: 240 });
      const right = await regionColour(file, t, { x: 800, y: 120, w: 320, h: 240 });
      expect(isColour(left, 'red'), `tutor tile at ${t.toFixed(1)} s: ${left}`).toBe(true);
      expect(isColour(right, 'blue'), `student tile at ${t.toFixed(1)} s: ${right}`).toBe(true);
    }
    console.log(`[failover-recording] file ${p.duration.toFixed(1)} s; first part ends at ${endOfA.toFixed(1)} s, second starts at ${startOfB.toFixed(1)} s`);
  }, 360_000);
});
