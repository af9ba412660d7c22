// Known pictures and tones for Chromium's fake camera and microphone: a solid colour y4m (looped
// by Chromium) and a sine wav, generated with FFmpeg once per test run.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { CHROMIUM_ARGS, waitFor } from '../../../web/test/e2e/browser.ts';
import { assertLoopbackOnly } from '../../../web/test/e2e/stack.ts';
import { tempDir } from './recorder-harness.ts';

const run = promisify(execFile);

export async function makeFakeMedia(dir: string, name: string, colour: string, frequency: number): Promise<{ video: string; audio: string }> {
  const video = join(dir, `${name}.y4m`);
  const audio = join(dir, `${name}.wav`);
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `color=c=${colour}:s=320x240:r=20`, '-t', '1', '-pix_fmt', 'yuv420p', video]);
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=f=${frequency}:r=48000`, '-t', '10', '-ac', '1', audio]);
  return { video, audio };
}

/** One browser per participant: the fake capture files are per browser process. */
export async function launchWithFakeMedia(media: { video: string; audio: string }): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${media.video}`, `--use-file-for-fake-audio-capture=${media.audio}`],
  });
}

export async function joinLesson(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  await page.goto(url);
  await page.getByTestId('prejoin').waitFor({ timeout: 30_000 });
  await waitFor('Join enabled', async () => page.getByTestId('join').isEnabled(), 30_000);
  await page.getByTestId('join').click();
  await page.getByTestId('room').waitFor({ timeout: 30_000 });
  return page;
}

export interface TwoParticipants {
  /** Tutor's Chromium (red camera, 440 Hz), then the student's (blue, 880 Hz). */
  browsers: Browser[];
  /** The file's temp directory (the fake media lives there; removed after the file unless KEEP_TEST_DIRS). */
  dir: string;
}

/**
 * The two fake-media Chromiums a recorded-lesson file shares, launched in its beforeAll and closed
 * in its afterAll (the fields are filled in by the time a test runs).
 */
export function twoParticipants(prefix: string): TwoParticipants {
  const out: TwoParticipants = { browsers: [], dir: '' };
  let tmp: { path: string; remove(): Promise<void> } | undefined;
  beforeAll(async () => {
    assertLoopbackOnly();
    tmp = await tempDir(prefix);
    out.dir = tmp.path;
    const tutor = await makeFakeMedia(tmp.path, 'tutor', 'red', 440);
    const student = await makeFakeMedia(tmp.path, 'student', 'blue', 880);
    out.browsers = await Promise.all([launchWithFakeMedia(tutor), launchWithFakeMedia(student)]);
  }, 120_000);
  afterAll(async () => {
    for (const b of out.browsers) await b.close().catch(() => undefined);
    if (!process.env.KEEP_TEST_DIRS) await tmp?.remove();
  });
  return out;
}
