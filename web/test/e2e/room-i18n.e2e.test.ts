// Issue 17 in real Chromium: the room in Arabic (right to left, photographed, axe-checked), the
// tutor extending from the room (the student's clock moves at once), a file shared during the
// lesson (the student's list shows it at once; a file whose content is not its claimed type is
// refused with a clear message), and the person waiting alone seeing the no-show screen as soon as
// the lesson becomes one (not "Waiting…" until the end).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createDemoLesson } from '@duet/deploy';
import { assertLoopbackOnly, startStack, type Stack } from './stack.ts';
import { joinRoom, launchBrowser, waitFor } from './browser.ts';
import { expectAccessible, screenshots } from './ui-checks.ts';

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  assertLoopbackOnly();
  // Lesson jobs every second, so the waiting lesson's no-show comes right after its grace.
  [stack, browser] = await Promise.all([startStack({ LESSON_JOBS_INTERVAL_MS: '1000' }), launchBrowser()]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function lessonStatus(id: string): Promise<any> {
  const res = await fetch(`${stack.apiUrl}/v1/sessions/${id}`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
  return res.json();
}

const join = (url: string): Promise<Page> => joinRoom(browser, url);

const withQuery = (url: string, query: string) => url.replace('#', `?${query}#`);

describe('issue 17 in Chromium', () => {
  it('Arabic RTL room; extend and share from the room; the person waiting alone sees the no-show at once', async () => {
    // A short lesson its tutor waits in alone: grace = 25 % of 1.2 min = 18 s, then a no-show.
    const lonely = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'Nobody else', minutes: 1.2 });
    const waiting = await join(lonely.tutorUrl);
    await waiting.getByTestId('waiting').waitFor({ timeout: 10_000 });

    const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'الجبر', minutes: 30 });
    const tutor = await join(withQuery(lesson.tutorUrl, 'lang=ar'));
    expect(await tutor.evaluate(() => [document.documentElement.dir, document.documentElement.lang])).toEqual(['rtl', 'ar']);
    expect(await tutor.getByTestId('waiting').textContent()).toContain('في انتظار انضمام');
    await expectAccessible(tutor, 'RTL room, waiting');
    await screenshots(tutor, 'room-rtl-waiting');

    const student = await join(lesson.studentUrl); // the browser's language: English
    expect(await student.evaluate(() => document.documentElement.dir)).toBe('ltr');
    await tutor.getByTestId('banner-both-joined').waitFor({ timeout: 15_000 });
    await student.getByTestId('banner-both-joined').waitFor({ timeout: 15_000 });
    await waitFor('media connected', async () => (await tutor.evaluate(() => (window as any).__duet.state().media)) === 'connected', 20_000);
    await expectAccessible(tutor, 'RTL room, both present');
    await screenshots(tutor, 'room-rtl');

    // The tutor extends by 10 minutes; the student's clock shows the new end within seconds
    // (the media node's own schedule refresh is 60 s: this is the room's nudge + API read).
    const endBefore = await student.getByTestId('timer-end').textContent();
    await tutor.getByTestId('extend').click();
    await tutor.getByTestId('extend-dialog').waitFor();
    await expectAccessible(tutor, 'RTL extend dialog');
    await tutor.getByTestId('extend-10').click();
    await student.getByTestId('banner-extended').waitFor({ timeout: 8_000 });
    expect(await student.getByTestId('timer-end').textContent()).not.toBe(endBefore);
    expect((await lessonStatus(lesson.id)).extension_seconds).toBe(600);

    // File sharing during the lesson: the student has the Resources tab open; the tutor uploads.
    await student.getByTestId('toggle-chat').click();
    await student.getByTestId('tab-resources').click();
    await tutor.getByTestId('toggle-chat').click();
    await tutor.getByTestId('tab-resources').click();
    await tutor.getByTestId('room-upload-input').setInputFiles({ name: 'worksheet.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n') });
    await student.getByRole('link', { name: 'Download worksheet.pdf' }).waitFor({ timeout: 8_000 });
    await screenshots(tutor, 'room-rtl-resources');
    // Content that is not what it claims: refused (415 content_type_mismatch), explained, not listed.
    await tutor.getByTestId('room-upload-input').setInputFiles({ name: 'notes.pdf', mimeType: 'application/pdf', buffer: Buffer.from('MZ\x90\x00 not a pdf') });
    await waitFor('mismatch explained', async () => ((await tutor.getByTestId('room-upload-status').textContent()) ?? '').includes('لا يطابق نوعه'), 8_000);
    expect(await tutor.getByTestId('room-upload-status').getAttribute('role')).toBe('alert');
    expect(await student.getByRole('link', { name: 'Download notes.pdf' }).count()).toBe(0);

    // Meanwhile the lonely lesson passed its grace: a no-show. Its tutor sees it when the page
    // next reads the lesson — here at once, because the tab becomes visible again.
    await waitFor('lonely lesson became a no-show', async () => (await lessonStatus(lonely.id)).status === 'no_show', 40_000, 500);
    await waiting.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await waiting.getByTestId('no-show').waitFor({ timeout: 5_000 });
    expect(await waiting.getByTestId('no-show').textContent()).toContain('did not join in time');
    for (const p of [waiting, tutor, student]) await p.context().close();
  }, 150_000);
});
