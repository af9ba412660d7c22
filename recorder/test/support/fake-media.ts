// Known pictures and tones for Chromium's fake camera and microphone: a solid colour y4m (looped
// by Chromium) and a sine wav, generated with FFmpeg once per test run.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../../web/test/e2e/browser.ts';

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
  await page.getByTestId('join').click();
  await page.getByTestId('room').waitFor({ timeout: 30_000 });
  return page;
}
