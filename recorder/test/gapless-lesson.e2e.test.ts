// Gapless track changes in a REAL lesson (issue 15 item 3): two Chromium participants through the
// media node (signaling + mediasoup) and the recorder; the tutor toggles the camera (a pause: the
// track stays) and the screen share (a producer that comes and goes) 5 times. A track that comes
// starts a new FFmpeg run while the old run records on (the recorder's relay feeds both; the
// paused camera's last keyframe is replayed to the new run); a track that goes leaves the run as it is. Checked on
// the recorder's raw segments: neither microphone has a gap over 100 ms at any handover from one
// run to the next (packet arrival times on the lesson clock), every run ended on purpose (none crashed: no "dimensions not set"), and every
// video run's segments decode with their picture size.
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { createDemoLesson } from '@duet/deploy';
import { startStack } from '../../web/test/e2e/stack.ts';
import { waitFor } from '../../web/test/e2e/browser.ts';
import { joinLesson, twoParticipants } from './support/fake-media.ts';
import { sleep, tempDir } from './support/recorder-harness.ts';

const run = promisify(execFile);
const participants = twoParticipants('duet-rec-gapless-e2e-');

async function manifestOf(workDir: string, lessonId: string): Promise<{ dir: string; m: any } | undefined> {
  for (const d of await readdir(workDir).catch(() => [])) {
    const text = await readFile(join(workDir, d, 'manifest.json'), 'utf8').catch(() => null);
    if (text && JSON.parse(text).lessonId === lessonId) return { dir: join(workDir, d), m: JSON.parse(text) };
  }
  return undefined;
}

async function ffprobe(args: string[]): Promise<string> {
  return (await run('ffprobe', ['-v', 'error', ...args], { maxBuffer: 16 << 20 })).stdout;
}

it('a real lesson: camera and screen share toggled 5 times, no microphone gap over 100 ms at any handover, every video run decodable', { timeout: 240_000 }, async () => {
  const dataDir = await tempDir('duet-rec-stack-');
  const stack = await startStack({ DUET_DATA_DIR: dataDir.path, RECORDER_SEGMENT_SECONDS: '4', RECORDER_IDLE_STOP_MS: '1500', RECORDER_KEEP_LOCAL: '1', RECORDING_KEEP_SEGMENTS: '1' });
  const workDir = join(dataDir.path, 'recorder');
  const recLogs = () => stack.logs().split('\n').filter((l) => /"service":"(recorder|signaling)"/.test(l) && /recording|ffmpeg|track/.test(l)).slice(-40).join('\n');
  try {
    const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'Gapless e2e', recording: true });
    const tutor = await joinLesson(participants.browsers[0]!, lesson.tutorUrl);
    const student = await joinLesson(participants.browsers[1]!, lesson.studentUrl);
    /** Every run so far (indices) and the live tracks (not removed) of the newest manifest. */
    const runsNow = async () => {
      const x = await manifestOf(workDir, lesson.id);
      const live = x?.m.tracks.filter((t: any) => t.removedAt === undefined) ?? [];
      return { x, live, newest: Math.max(-1, ...(x?.m.tracks.flatMap((t: any) => t.runs.map((r: any) => r.index)) ?? [])) };
    };
    /** `want` live tracks, all recorded by one run that has media: newer than `after` (it took over), or `after` itself (a track went: no new run). */
    const settled = (want: number, after: number, newRun = true) => async () => {
      const { live, newest } = await runsNow();
      return (newRun ? newest > after : newest === after) && live.length === want && live.every((t: any) => t.runs.at(-1)?.index === newest && t.runs.at(-1)?.startMs) ? { newest } : null;
    };
    const fail = (err: Error) => {
      throw new Error(`${err.message}\n${recLogs()}`);
    };
    let run = (await waitFor('four tracks recorded', settled(4, -1), 60_000).catch(fail)).newest;
    await sleep(1_000);
    // The camera button pauses the camera producer (the track stays); a screen share is a producer
    // that comes and goes: a track change, the new run taking over the paused camera too.
    for (let i = 0; i < 5; i++) {
      await tutor.getByTestId('toggle-cam').click(); // camera off (paused)
      await tutor.getByTestId('toggle-screen').click(); // screen share on: a new track
      run = (await waitFor(`screen on ${i}: the new run took over`, settled(5, run), 30_000).catch(fail)).newest;
      await sleep(500);
      await tutor.getByTestId('toggle-cam').click(); // camera on again
      await tutor.getByTestId('toggle-screen').click(); // screen share off: a track gone, the run goes on
      run = (await waitFor(`screen off ${i}: the new run took over`, settled(4, run, false), 30_000).catch(fail)).newest;
      await sleep(500);
    }
    await sleep(1_000);
    for (const page of [tutor, student]) {
      await page.getByTestId('leave').click();
      await page.getByTestId('confirm-leave').click();
      await page.getByTestId('post-session').waitFor();
    }
    await Promise.all([tutor, student].map((p) => p.context().close()));
    const final = await waitFor('recording finalized', async () => {
      const x = await manifestOf(workDir, lesson.id);
      return x && x.m.tracks.every((t: any) => t.runs.every((r: any) => r.end)) && x.m.stoppedAt ? x : null;
    }, 60_000);
    const { dir, m } = final;

    // No run crashed (a video without a keyframe in the probe ends FFmpeg: "dimensions not set").
    const ends = m.tracks.flatMap((t: any) => t.runs.map((r: any) => `${t.source}/${t.role} run ${r.index}: ${r.end}`));
    expect(ends.filter((e: string) => !/(stopped|idle)$/.test(e)), `${ends.join('\n')}\n${recLogs()}`).toEqual([]);
    const runCount = new Set(m.tracks.flatMap((t: any) => t.runs.map((r: any) => r.index))).size;
    expect(runCount).toBeGreaterThanOrEqual(6); // the first run + one per screen share (a track going needs no run; tracks joining together may share one)

    // Every video run that recorded media decodes, with its picture size.
    for (const t of m.tracks.filter((x: any) => x.kind === 'video')) {
      for (const r of t.runs.filter((x: any) => x.segments.length > 0)) {
        const out = await ffprobe(['-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=width,height,nb_read_frames', '-of', 'csv=p=0', join(dir, r.dir, r.segments[0].file)]);
        const [w, h, frames] = out.trim().split(',').map(Number);
        const camera = t.source === 'camera' ? { w: 320, h: 240 } : { w: w! > 0 ? w : 'none', h: h! > 0 ? h : 'none' };
        expect({ track: `${t.role}/${t.source}`, run: r.index, w, h, decodes: frames! > 0 }).toEqual({ track: `${t.role}/${t.source}`, run: r.index, ...camera, decodes: true });
      }
    }

    // Both microphones, every packet on the lesson clock (one 20-ms Opus frame per packet). At each
    // handover (the tap moved from one run to the next) the first packet of the new run follows
    // the last one of the old run within 100 ms: nothing lost in between. Gaps elsewhere are the
    // browsers' and the machine's (a 2-core VM shared with other work stalls both Chromiums at
    // once now and then, recording or not): printed, not asserted.
    const t0 = Math.min(...m.tracks.flatMap((t: any) => t.runs.map((r: any) => r.startMs ?? Infinity)));
    let handovers = 0;
    for (const mic of m.tracks.filter((t: any) => t.source === 'microphone')) {
      const times: number[] = [];
      const runTimes: number[][] = [];
      for (const r of mic.runs.filter((x: any) => x.startMs && x.segments.length > 0)) {
        const own: number[] = [];
        for (const s of r.segments) {
          const out = await ffprobe(['-show_entries', 'packet=pts_time', '-of', 'csv=p=0', join(dir, r.dir, s.file)]);
          for (const line of out.trim().split('\n')) if (line) own.push((r.startMs - t0) / 1000 + s.startS + Number(line));
        }
        own.sort((x, y) => x - y);
        runTimes.push(own);
        times.push(...own);
      }
      times.sort((a, b) => a - b);
      let worst = 0;
      let at = 0;
      for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! > worst) [worst, at] = [times[i]! - times[i - 1]!, times[i - 1]!];
      const span = times.at(-1)! - times[0]!;
      const missing = span + 0.02 - times.length * 0.02;
      // The recorder's hole at a handover: from the old run's last packet to the new run's first
      // (≤ 0: the runs overlapped, the relay fed both, nothing could fall between them). Printed
      // too: the gap in what both runs recorded around it, which also holds the sender's own
      // stalls (under a CPU burner the tutor's Chromium, busy starting a screen share at that very
      // moment, once sent nothing for 142 ms while the student's microphone gap was 29 ms).
      const gaps = runTimes.slice(1).map((own, i) => own[0]! - runTimes[i]!.at(-1)!);
      const seen = runTimes.slice(1).map((own, i) => own[0]! - Math.max(...runTimes.slice(0, i + 1).flat().filter((t) => t < own[0]!)));
      handovers += gaps.length;
      console.log(`[gapless-lesson] ${mic.role} mic: ${runTimes.length} runs, ${times.length} packets over ${span.toFixed(2)} s, ${(missing * 1000).toFixed(0)} ms missing in all, longest gap ${(worst * 1000).toFixed(0)} ms at ${at.toFixed(2)} s; handovers (ms, < 0: overlap): ${gaps.map((g) => (g * 1000).toFixed(0)).join(' ')}; gap in what was recorded around each (ms): ${seen.map((g) => (g * 1000).toFixed(0)).join(' ')}`);
      expect(span).toBeGreaterThan(10);
      expect(Math.max(...gaps), `${mic.role} microphone handover gaps (s): ${gaps.join(' ')}`).toBeLessThanOrEqual(0.1);
    }
    expect(handovers).toBeGreaterThanOrEqual(10); // 5 screen shares x 2 microphones, at least
  } finally {
    if (process.env.KEEP_TEST_DIRS) await writeFile(join(dataDir.path, 'stack.log'), stack.logs());
    await stack.stop();
    if (!process.env.KEEP_TEST_DIRS) await dataDir.remove();
  }
});
