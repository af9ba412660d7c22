// A recorded lesson that moves to another media node (issue 7 item 3), at the recorder level: two
// recorders as their own processes with their own work directories and one object store. The first
// one is killed with SIGKILL (with its FFmpeg: the whole node is gone) mid-lesson; the lesson's
// media then reaches the second one, which must continue the SAME recording (same id, new part,
// runs numbered after the first part's), and finalize one file with both parts placed at their
// wall-clock times (the gap stays a gap), marked partial because the dead node's open segments
// never reached storage. A drained node (alive, its room emptied) hands over instead of finalizing.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLesson, eventually } from '../../api/test/support/harness.ts';
import { isColour, probe, regionColour, runsWithMedia } from './support/media-checks.ts';
import { OPUS, sendAudio, sendVideo, VP8, type RtpSender } from './support/rtp-sender.ts';
import { recorderEnv, sleep, startRecorderProcess, useRecorderTestBed, type RecorderHandle } from './support/recorder-harness.ts';

const readJson = async (path: string) => JSON.parse(await readFile(path, 'utf8').catch(() => '{}'));
const LEFT = { x: 160, y: 120, w: 320, h: 240 };

async function addTracks(rec: RecorderHandle, rid: string, colour: 'red' | 'green', suffix: string): Promise<RtpSender[]> {
  const cam = await rec.call('POST', `/v1/recordings/${rid}/tracks`, { trackId: `cam-${suffix}`, role: 'tutor', source: 'camera', kind: 'video', codec: VP8 });
  expect(cam.status, JSON.stringify(cam.body)).toBe(201);
  const mic = await rec.call('POST', `/v1/recordings/${rid}/tracks`, { trackId: `mic-${suffix}`, role: 'tutor', source: 'microphone', kind: 'audio', codec: OPUS });
  expect(mic.status, JSON.stringify(mic.body)).toBe(201);
  return [sendVideo(cam.body.port, colour), sendAudio(mic.body.port, 440)];
}

/** SIGKILL for the recorder and the FFmpeg it runs: a media node that died. */
async function killNode(rec: RecorderHandle & { child: import('node:child_process').ChildProcess }, workDir: string): Promise<void> {
  const pids = new Set<number>();
  for (const d of await readdir(workDir)) {
    const m = await readJson(join(workDir, d, 'manifest.json'));
    for (const t of m.tracks ?? []) for (const r of t.runs) if (r.pid) pids.add(r.pid);
  }
  rec.child.kill('SIGKILL');
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await new Promise((r) => (rec.child.exitCode !== null || rec.child.signalCode !== null ? r(null) : rec.child.once('exit', r)));
}

describe('recording across media nodes', () => {
  const bed = useRecorderTestBed();
  const dir = bed.dir;

  it('a node killed mid-lesson: the next node continues the same recording and finalizes both parts', async () => {
    const objects = await dir('duet-rec-obj-');
    const workA = await dir('duet-rec-a-');
    const workB = await dir('duet-rec-b-');
    const lesson = await createLesson(bed.api, { recording: true });
    const a = await startRecorderProcess({ ...recorderEnv(workA, bed.api.url), OBJECTS_DIR: objects, RECORDER_IDLE_STOP_MS: '60000' });
    const b = await startRecorderProcess({ ...recorderEnv(workB, bed.api.url), OBJECTS_DIR: objects, RECORDER_IDLE_STOP_MS: '60000' });
    try {
      const rid = (await a.call('POST', '/v1/recordings', { lessonId: lesson.id })).body.recordingId as string;
      let senders = await addTracks(a, rid, 'red', 'a');
      const prefix = join(objects, `recordings/sessions/${lesson.id}/${rid}`);
      // Some of node A's segments reach storage before it dies, its camera's included (its picture
      // is checked below; the audio alone can get there first when the machine is busy).
      await eventually(async () => {
        const m = await readJson(join(prefix, 'manifest.json'));
        const cam = (m.tracks ?? []).find((t: any) => t.trackId === 'cam-a');
        return cam?.runs.some((r: any) => r.segments.filter((s: any) => s.uploaded).length >= 2) ? true : undefined;
      }, 30_000);
      await sleep(1_000);
      await killNode(a, workA);
      const killedAt = Date.now();
      for (const s of senders) await s.stop();
      await sleep(3_000); // participants reconnecting to node B

      const cont = await b.call('POST', '/v1/recordings', { lessonId: lesson.id });
      expect(cont.status).toBe(201);
      expect(cont.body.recordingId).toBe(rid); // the same recording, continued
      senders = await addTracks(b, rid, 'green', 'b');
      await eventually(async () => {
        const m = await readJson(join(workB, rid, 'manifest.json'));
        return m.tracks?.some((t: any) => t.runs.some((r: any) => r.segments.length >= 2)) ? true : undefined;
      }, 30_000);
      await sleep(1_000);
      for (const s of senders) await s.stop();
      expect((await b.call('POST', `/v1/recordings/${rid}/stop`, { reason: 'ended_by_tutor' })).status).toBe(202);

      const m = await eventually(async () => {
        const x = await readJson(join(prefix, 'manifest.json'));
        return x.state === 'ready' || x.state === 'failed' ? x : undefined;
      }, 150_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${b.logs.slice(-30).join('\n')}`);
      });
      expect(m.state, JSON.stringify(m.finalize)).toBe('ready');
      expect(m.recordingId).toBe(rid);
      // Node A's open segments died with it: partial, for that reason only.
      expect(m.partial).toBe(true);
      expect(m.partialReasons).toEqual(['media_node_lost']);
      // Both parts: A's tracks (only what reached storage) and B's, B's runs numbered above A's.
      const aTracks = m.earlierTracks.filter((t: any) => t.trackId.endsWith('-a'));
      const bTracks = m.tracks.filter((t: any) => t.trackId.endsWith('-b'));
      expect(aTracks.length).toBe(2);
      expect(bTracks.length).toBe(2);
      const aRuns = aTracks.flatMap((t: any) => t.runs);
      const bRuns = bTracks.flatMap((t: any) => t.runs);
      expect(Math.min(...bRuns.map((r: any) => r.index))).toBeGreaterThan(Math.max(...aRuns.map((r: any) => r.index)));
      for (const s of [...aRuns, ...bRuns].flatMap((r: any) => r.segments)) expect((await stat(join(objects, s.key))).size).toBe(s.size);
      const parts = (await readdir(join(prefix, 'parts'))).filter((f) => f.endsWith('.json'));
      expect(parts.length).toBe(2);

      const file = join(objects, m.finalize.outputKey);
      const p = await probe(file);
      expect(p.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
      // The file spans A's first media to B's last, the gap included (placed by wall-clock time).
      const withMedia = runsWithMedia([...aTracks, ...bTracks]);
      const t0 = Math.min(...withMedia.map((r: any) => r.startMs));
      const end = Math.max(...withMedia.map((r: any) => (r.startMs - t0) / 1000 + r.segments.at(-1).endS));
      expect(Math.abs(p.duration - end)).toBeLessThanOrEqual(1);
      const bStart = (Math.min(...bRuns.filter((r: any) => r.startMs).map((r: any) => r.startMs)) - t0) / 1000;
      expect(bStart).toBeGreaterThan((killedAt - t0) / 1000 - 1);
      // Node A's picture first (1.5 s into A's camera, which may start after its audio), node B's at the end.
      const aCamStart = (Math.min(...runsWithMedia(aTracks.filter((t: any) => t.trackId === 'cam-a')).map((r: any) => r.startMs)) - t0) / 1000;
      const first = await regionColour(file, aCamStart + 1.5, LEFT);
      expect(isColour(first, 'red'), `node A's camera at ${(aCamStart + 1.5).toFixed(1)} s: ${first}`).toBe(true);
      const last = await regionColour(file, p.duration - 1, LEFT);
      expect(isColour(last, 'green'), `node B's camera at ${(p.duration - 1).toFixed(1)} s: ${last}`).toBe(true);
      // The gap (after A's last stored segment, before B) is black, not a frozen picture.
      const aEnd = Math.max(...runsWithMedia(aTracks).map((r: any) => (r.startMs - t0) / 1000 + r.segments.at(-1).endS));
      if (bStart - aEnd > 1.5) expect(isColour(await regionColour(file, (aEnd + bStart) / 2, LEFT), 'black')).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  }, 240_000);

  it('a drained node (alive, its room emptied) hands its part over instead of finalizing', async () => {
    const objects = await dir('duet-rec-obj-');
    const workA = await dir('duet-rec-a-');
    const workB = await dir('duet-rec-b-');
    const lesson = await createLesson(bed.api, { recording: true });
    const a = await startRecorderProcess({ ...recorderEnv(workA, bed.api.url), OBJECTS_DIR: objects, RECORDER_IDLE_STOP_MS: '4000' });
    const b = await startRecorderProcess({ ...recorderEnv(workB, bed.api.url), OBJECTS_DIR: objects, RECORDER_IDLE_STOP_MS: '60000' });
    try {
      const rid = (await a.call('POST', '/v1/recordings', { lessonId: lesson.id })).body.recordingId as string;
      let senders = await addTracks(a, rid, 'red', 'a');
      await eventually(async () => ((await readJson(join(workA, rid, 'manifest.json'))).tracks?.some((t: any) => t.runs.some((r: any) => r.segments.length >= 2)) ? true : undefined), 30_000);
      for (const s of senders) await s.stop();
      expect((await a.call('POST', `/v1/recordings/${rid}/detach`, {})).status).toBe(200);
      // The participants land on node B, which continues the recording.
      expect((await b.call('POST', '/v1/recordings', { lessonId: lesson.id })).body.recordingId).toBe(rid);
      senders = await addTracks(b, rid, 'green', 'b');
      // Node A's idle window ends: it sees the continuation and hands over (no finalize, no hook).
      await eventually(async () => ((await readJson(join(workA, rid, 'manifest.json'))).state === 'handed_over' ? true : undefined), 30_000);
      await sleep(3_000);
      for (const s of senders) await s.stop();
      await b.call('POST', `/v1/recordings/${rid}/stop`, { reason: 'ended_by_tutor' });
      const m = await eventually(async () => {
        const x = await readJson(join(objects, `recordings/sessions/${lesson.id}/${rid}/manifest.json`));
        return x.state === 'ready' || x.state === 'failed' ? x : undefined;
      }, 150_000);
      expect(m.state, JSON.stringify(m.finalize)).toBe('ready');
      // Nothing was lost: node A closed and uploaded every segment before handing over.
      expect(m.partial, JSON.stringify(m.partialReasons)).toBe(false);
      expect(m.earlierTracks.length).toBe(2);
      const file = join(objects, m.finalize.outputKey);
      const p = await probe(file);
      expect(isColour(await regionColour(file, 1.5, LEFT), 'red')).toBe(true);
      expect(isColour(await regionColour(file, p.duration - 1, LEFT), 'green')).toBe(true);
      expect(a.logs.some((l) => l.includes('recording handed over'))).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  }, 240_000);
});
