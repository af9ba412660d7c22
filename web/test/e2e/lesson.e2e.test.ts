// A whole lesson through every part, like two people would have it: schedule it through the API,
// open both join links in real Chromium, see and hear each other (P2P, then SFU for a recorded
// lesson), leave, and check status, attendance and the marketplace's signed webhooks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createDemoLesson } from '@duet/deploy';
import { assertLoopbackOnly, startStack, type Stack } from './stack.ts';
import { audioNegotiation, expectRedBothWays, launchBrowser, openParticipant, pageStats, waitFor, type PageStats } from './browser.ts';

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  assertLoopbackOnly();
  [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function api(path: string): Promise<any> {
  const res = await fetch(`${stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
  expect(res.status, `GET ${path}`).toBe(200);
  return res.json();
}

async function joinBoth(tutorUrl: string, studentUrl: string): Promise<[Page, Page]> {
  const pages = await Promise.all([openParticipant(browser, tutorUrl), openParticipant(browser, studentUrl)]);
  for (const page of pages) {
    await page.getByTestId('prejoin').waitFor({ timeout: 20_000 });
    await waitFor('Join enabled', async () => page.getByTestId('join').isEnabled());
    await page.getByTestId('join').click();
    await page.getByTestId('room').waitFor({ timeout: 20_000 });
  }
  return pages as [Page, Page];
}

async function receivingMedia(page: Page): Promise<PageStats> {
  return waitFor('decoded video and received audio', async () => {
    const s = await pageStats(page);
    if (s && s.videoFramesDecoded > 0 && s.audioPacketsReceived > 0 && s.selectedPair) return s;
    // Thrown so a timeout reports what the page actually had.
    throw new Error(`stats ${JSON.stringify(s)}`);
  }, 30_000);
}

async function leaveAndCheck(lessonId: string, pages: Page[]): Promise<void> {
  for (const page of pages) {
    await page.getByTestId('leave').click();
    await page.getByTestId('confirm-leave').click();
    await page.getByTestId('post-session').waitFor();
  }
  const lesson = await waitFor('status completed', async () => {
    const s = await api(`/v1/sessions/${lessonId}`);
    return s.status === 'completed' ? s : null;
  });
  expect(lesson.started_at).toBeTruthy();
  expect(lesson.ended_at).toBeTruthy();

  const attendance = await api(`/v1/sessions/${lessonId}/attendance`);
  expect(attendance.participants).toHaveLength(2);
  for (const p of attendance.participants) {
    expect(p.intervals, `${p.role} intervals`).toHaveLength(1);
    expect(p.intervals[0].left_at).toBeTruthy();
    expect(p.duration_seconds).toBeGreaterThanOrEqual(0);
  }

  const hooks = await waitFor('session.started and session.ended webhooks', async () => {
    const mine = stack.webhooks.filter((w) => w.body.session_id === lessonId);
    const types = mine.map((w) => w.body.type);
    return types.includes('session.started') && types.includes('session.ended') ? mine : null;
  });
  for (const w of hooks) {
    expect(w.signatureValid, `${w.body.type} signature`).toBe(true);
    expect(w.headers['duet-event-id']).toBe(w.body.id);
  }
}

describe('a lesson end to end', () => {
  it('P2P: both see and hear each other directly on 127.0.0.1, then complete', async () => {
    const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'P2P e2e', recording: false });
    const [tutor, student] = await joinBoth(lesson.tutorUrl, lesson.studentUrl);
    for (const page of [tutor, student]) {
      const stats = await receivingMedia(page);
      expect(await page.evaluate(() => (window as any).__duet.mediaKind())).toBe('p2p');
      expect(stats.selectedPair!.local.address).toBe('127.0.0.1');
      expect(stats.selectedPair!.remote.address).toBe('127.0.0.1');
    }
    // Mute reaches the other side.
    await tutor.getByTestId('toggle-mic').click();
    await waitFor('peer mute shown', async () => (await student.getByText('is muted').count()) > 0);
    await leaveAndCheck(lesson.id, [tutor, student]);
  }, 120_000);

  it('SFU (recorded lesson): media flows through mediasoup, which holds four producers', async () => {
    const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'SFU e2e', recording: true });
    const [tutor, student] = await joinBoth(lesson.tutorUrl, lesson.studentUrl);
    for (const page of [tutor, student]) {
      const stats = await receivingMedia(page);
      expect(await page.evaluate(() => (window as any).__duet.mediaKind())).toBe('sfu');
      expect(stats.selectedPair!.local.address).toBe('127.0.0.1');
      expect(stats.selectedPair!.remote.address).toBe('127.0.0.1');
    }
    const room = await waitFor('four producers in mediasoup', async () => {
      const res = await fetch(`${stack.signalingUrl}/internal/rooms/${lesson.id}`, { headers: { authorization: `Bearer ${stack.nodeSecret}` } });
      const body = (await res.json()) as { mode: string; media: { producers: number; consumers: number } | null };
      return body.media?.producers === 4 && body.media.consumers === 4 ? body : null;
    });
    expect(room.mode).toBe('sfu');
    // Opus RED both ways through mediasoup (the worker build forwards it; the recorder's tap gets
    // the plain Opus inside, which the recording tests hear).
    for (const page of [tutor, student]) expectRedBothWays(await audioNegotiation(page));
    await leaveAndCheck(lesson.id, [tutor, student]);
  }, 120_000);

  it('explains a bad link instead of opening the room', async () => {
    const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'Bad links' });
    const [base = '', fragment = ''] = lesson.tutorUrl.split('#');
    const token = new URLSearchParams(fragment).get('token')!;
    const cases: [string, string, string][] = [
      [`${base}#token=${token.slice(0, -4)}AAAA`, 'token_invalid', 'This link does not work'],
      [base, 'missing_link', 'Lesson not found'],
      [`${stack.apiUrl}/session/00000000-0000-4000-8000-000000000000#token=${token}`, 'token_wrong_session', 'Not your lesson'],
    ];
    for (const [url, code, title] of cases) {
      const page = await openParticipant(browser, url);
      const error = page.getByTestId('error-body');
      await error.waitFor({ timeout: 10_000 }).catch(async (e) => {
        throw new Error(`${url}: ${await page.locator("body").innerText()} ${e}`);
      });
      expect(await error.getAttribute('data-code'), url).toBe(code);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(title);
      await page.context().close();
    }
  });
});
