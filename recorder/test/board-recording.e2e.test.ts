// The whiteboard in the recording: in a recorded lesson the tutor (real Chromium, fake red camera)
// opens the board and draws; the tutor's browser sends the rendered board in the screen-share
// slot, the recorder copies it as the tutor's 'screen' track, and a frame decoded with FFmpeg
// from that track's segments shows the stroke: dark where the stroke is, the blank board's white
// beside it. (The composer lays a 'screen' track out below the cameras: compose tests.)
// The wait is long-ish: FFmpeg's WebM muxer writes a cluster only when the next keyframe starts a
// new one, and the media node asks for one every 10 s (a canvas track sends none by itself).
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createDemoLesson } from '@duet/deploy';
import { assertLoopbackOnly, startStack, type Stack } from '../../web/test/e2e/stack.ts';
import { waitFor } from '../../web/test/e2e/browser.ts';
import { joinLesson, launchWithFakeMedia, makeFakeMedia } from './support/fake-media.ts';
import { tempDir } from './support/recorder-harness.ts';

const run = promisify(execFile);
let browser: Browser;
let stack: Stack;
let tmp: { path: string; remove(): Promise<void> };
let data: { path: string; remove(): Promise<void> };

beforeAll(async () => {
  assertLoopbackOnly();
  [tmp, data] = await Promise.all([tempDir('duet-board-rec-'), tempDir('duet-board-rec-stack-')]);
  browser = await launchWithFakeMedia(await makeFakeMedia(tmp.path, 'tutor', 'red', 440));
  stack = await startStack({ DUET_DATA_DIR: data.path, RECORDER_SEGMENT_SECONDS: '2', RECORDER_IDLE_STOP_MS: '1500' });
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await stack?.stop();
  await tmp?.remove();
  await data?.remove();
});

/** The segment files of the tutor's 'screen' track (closed and in progress), oldest first. */
async function boardSegments(workDir: string, lessonId: string): Promise<string[]> {
  for (const rec of await readdir(workDir).catch(() => [])) {
    const m = JSON.parse((await readFile(join(workDir, rec, 'manifest.json'), 'utf8').catch(() => 'null')) as string);
    if (m?.lessonId !== lessonId) continue;
    const track = m.tracks.find((t: any) => t.role === 'tutor' && t.source === 'screen' && t.kind === 'video');
    if (!track) return [];
    const files: { path: string; mtime: number }[] = [];
    for (const r of track.runs) {
      const dir = join(workDir, rec, r.dir);
      for (const f of await readdir(dir).catch(() => [])) {
        if (!/\.(webm|mkv)$/.test(f)) continue;
        const s = await stat(join(dir, f));
        if (s.size > 0) files.push({ path: join(dir, f), mtime: s.mtimeMs });
      }
    }
    return files.sort((a, b) => a.mtime - b.mtime).map((f) => f.path);
  }
  return [];
}

let probeNote = '';

/** One row of pixels (RGB) at height fraction `fy`, from the last frame FFmpeg can decode in `file`. */
async function lastRow(file: string, fy: number): Promise<{ width: number; row: Buffer } | null> {
  const { stdout, stderr } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'json', file]).catch((e: { stderr?: string }) => ({ stdout: '{}', stderr: e.stderr ?? '' }));
  const s = (JSON.parse(stdout).streams ?? [])[0] as { width?: number; height?: number } | undefined;
  if (!s?.width || !s.height) {
    probeNote = `${file.split('/').slice(-3).join('/')} (${(await stat(file)).size} bytes): ${stdout.replace(/\s+/g, ' ')} ${String(stderr).slice(0, 300)}`;
    return null;
  }
  const y = Math.min(s.height - 1, Math.round(fy * s.height));
  const out = await run('ffmpeg', ['-v', 'error', '-i', file, '-vf', `format=rgb24,crop=iw:1:0:${y}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }).catch((e: { stdout?: Buffer }) => ({ stdout: e.stdout ?? Buffer.alloc(0) }));
  const bytes = out.stdout as unknown as Buffer;
  const frame = s.width * 3;
  if (bytes.length < frame) {
    probeNote = `${file.split('/').slice(-3).join('/')}: ${s.width}x${s.height}, no whole frame decoded yet (${bytes.length} bytes)`;
    return null;
  }
  const last = Math.floor(bytes.length / frame) - 1;
  return { width: s.width, row: bytes.subarray(last * frame, last * frame + frame) };
}

describe('whiteboard in the recording', () => {
  it('records the tutor\'s board as a screen-like track: the stroke is in the decoded frames', async () => {
    const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'Board recorded', recording: true });
    const tutor = await joinLesson(browser, lesson.tutorUrl);
    await tutor.setViewportSize({ width: 1280, height: 800 });
    await tutor.getByTestId('toggle-board').click();
    await tutor.locator('[data-testid="board"][data-synced="true"]').waitFor({ timeout: 15_000 });
    await tutor.getByRole('button', { name: 'Thick' }).click();
    // A horizontal stroke across the middle of the canvas.
    const box = (await tutor.getByTestId('board-canvas').boundingBox())!;
    const y = box.y + box.height / 2;
    await tutor.mouse.move(box.x + box.width * 0.3, y);
    await tutor.mouse.down();
    for (let i = 1; i <= 10; i++) await tutor.mouse.move(box.x + box.width * (0.3 + (0.4 * i) / 10), y);
    await tutor.mouse.up();
    // Where the stroke is on the page (page units 1600 × 1000; the recording shows the whole page).
    const pts = await tutor.evaluate(() => (window as any).duetBoard.doc.getArray('page:1').get(0).get('pts').toArray() as number[]);
    const xs = pts.filter((_, i) => i % 3 === 0).map((x) => x / 1600);
    const fy = pts[1]! / 1000;
    // The stroke's middle half (its ends are round and thin in a small frame), and a blank strip.
    const span = [xs[0]! + (xs.at(-1)! - xs[0]!) * 0.25, xs[0]! + (xs.at(-1)! - xs[0]!) * 0.75];

    const workDir = join(data.path, 'recorder');
    let seen = '';
    await waitFor('the stroke in the recorded board track', async () => {
      const files = await boardSegments(workDir, lesson.id);
      for (const file of files.reverse()) {
        const r = await lastRow(file, fy);
        if (!r) continue;
        const px = (fx: number) => {
          const i = Math.min(r.width - 1, Math.round(fx * r.width)) * 3;
          return r.row[i]! + r.row[i + 1]! + r.row[i + 2]!;
        };
        const ink = Array.from({ length: 9 }, (_, k) => px(span[0]! + ((span[1]! - span[0]!) * k) / 8));
        const blank = [0.05, 0.12, 0.9].map(px);
        seen = JSON.stringify({ file: file.slice(workDir.length), width: r.width, ink, blank });
        if (ink.every((v) => v < 250) && blank.every((v) => v > 600)) return true;
      }
      throw new Error(`no frame with the stroke yet: ${seen || `${files.length} segment files; ${probeNote}`}`);
    }, 40_000, 500);
    await tutor.context().close();
  }, 90_000);
});
