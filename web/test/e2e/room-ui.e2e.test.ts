// The room as people use it, in real Chromium on loopback: pre-join device check, the room's
// controls seen from the other side (mute, camera off, screen share, chat, device switch), leave →
// post-session → rating stored in the API, the denied-camera explanation and the early screen.
// Writes screenshots (1280×800 and 390×844) and checks every screen with axe-core.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createDemoLesson } from '@duet/deploy';
import { assertLoopbackOnly, startStack, type Stack } from './stack.ts';
import { CHROMIUM_ARGS, launchBrowser, openParticipant, pageStats, waitFor } from './browser.ts';
import { describeViolations, screenshots, seriousA11yViolations } from './ui-checks.ts';

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

async function api(path: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(`${stack.apiUrl}${path}`, { ...init, headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const body = await res.json().catch(() => null);
  expect(res.status, `${init.method ?? 'GET'} ${path}: ${JSON.stringify(body)}`).toBeLessThan(300);
  return body;
}

async function expectAccessible(page: Page, what: string): Promise<void> {
  const v = await seriousA11yViolations(page);
  expect(v, `${what}: serious/critical axe violations\n${describeViolations(v)}`).toEqual([]);
}

async function open(url: string): Promise<Page> {
  const page = await openParticipant(browser, url);
  await page.setViewportSize({ width: 1280, height: 800 });
  return page;
}

async function readyToJoin(page: Page): Promise<void> {
  await page.getByTestId('prejoin').waitFor({ timeout: 20_000 });
  await waitFor('Join enabled', async () => page.getByTestId('join').isEnabled());
}

async function join(page: Page): Promise<void> {
  await readyToJoin(page);
  await page.getByTestId('join').click();
  await page.getByTestId('room').waitFor({ timeout: 20_000 });
}

const withQuery = (url: string, query: string) => url.replace('#', `?${query}#`);

describe('the lesson room in Chromium', () => {
  it('pre-join shows a live camera preview, a moving mic meter and the checks', async () => {
    const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'Algebra II — quadratic equations', recording: true });
    const page = await open(lesson.studentUrl);
    await readyToJoin(page);
    // The preview plays frames from the (fake) camera.
    await waitFor('camera preview playing', async () => page.getByTestId('preview-video').evaluate((v: HTMLVideoElement) => v.videoWidth > 0 && v.currentTime > 0));
    // The meter follows the (fake) microphone's beeps: several distinct levels, some clearly up.
    const levels = new Set<string>();
    let peak = 0;
    for (let i = 0; i < 30; i++) {
      const l = (await page.getByTestId('mic-meter').getAttribute('data-level')) ?? '0';
      levels.add(l);
      peak = Math.max(peak, Number(l));
      await page.waitForTimeout(100);
    }
    expect(levels.size, `levels seen: ${[...levels].join(',')}`).toBeGreaterThan(3);
    expect(peak).toBeGreaterThan(0.02);
    expect(await page.getByTestId('check-camera').getAttribute('data-state')).toBe('ok');
    expect(await page.getByTestId('check-mic').getAttribute('data-state')).toBe('ok');
    await waitFor('network check done', async () => (await page.getByTestId('check-network').getAttribute('data-state')) !== 'pending');
    expect(await page.getByTestId('check-network').textContent()).toMatch(/\d+ ms round trip/);
    // Speaker test plays.
    await page.getByTestId('test-speaker').click();
    await waitFor('speaker test played', async () => (await page.getByTestId('check-speaker').getAttribute('data-state')) === 'ok');
    await expectAccessible(page, 'pre-join');
    await screenshots(page, 'prejoin');
    await page.context().close();
  });

  it('a whole lesson: join, mute, camera off, screen share, chat, device switch, leave → post-session → rating stored', async () => {
    const links = 'dashboard_url=https://market.example/dashboard&book_url=https://market.example/book&course_url=https://market.example/course';
    const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'Algebra II — quadratic equations', recording: false });
    const tutor = await open(withQuery(lesson.tutorUrl, links));
    const student = await open(withQuery(lesson.studentUrl, links));

    await join(tutor);
    // Alone: the waiting state.
    await tutor.getByTestId('waiting').waitFor();
    await waitFor('status waiting', async () => {
      const st = await tutor.getByTestId('status').getAttribute('data-status');
      if (st === 'waiting') return true;
      throw new Error(`status ${st}, state ${JSON.stringify(await tutor.evaluate(() => (window as any).__duet.state()))}`);
    }, 10_000);
    await join(student);
    for (const page of [tutor, student]) {
      await waitFor('in progress with media', async () => (await page.getByTestId('status').getAttribute('data-status')) === 'in_progress', 30_000);
      await waitFor('remote video frames', async () => ((await pageStats(page))?.videoFramesDecoded ?? 0) > 0, 30_000);
    }

    // Mute is seen by the other side.
    await tutor.getByTestId('toggle-mic').click();
    await student.getByTestId('peer-muted').waitFor({ timeout: 10_000 });
    expect(await student.getByTestId('peer-muted').textContent()).toContain('Tara Tutor is muted');
    await tutor.getByTestId('toggle-mic').click();
    await student.getByTestId('peer-muted').waitFor({ state: 'detached', timeout: 10_000 });

    // Camera off shows an avatar on the other side.
    await student.getByTestId('toggle-cam').click();
    await tutor.getByTestId('remote-avatar').waitFor({ timeout: 10_000 });
    expect(await tutor.getByTestId('remote-avatar').textContent()).toContain('Camera off');
    await student.getByTestId('toggle-cam').click();
    await tutor.getByTestId('remote-avatar').waitFor({ state: 'detached', timeout: 10_000 });

    // Chat round trip.
    await student.getByTestId('toggle-chat').click();
    await student.getByTestId('chat-input').fill('Could we go over exercise 4 again?');
    await student.getByTestId('chat-send').click();
    await waitFor('tutor sees unread chat', async () => (await tutor.getByTestId('toggle-chat').textContent())?.includes('1 unread'));
    await tutor.getByTestId('toggle-chat').click();
    await tutor.getByText('Could we go over exercise 4 again?').waitFor();
    await tutor.getByTestId('chat-input').fill('Sure — sharing my screen now.');
    await tutor.getByTestId('chat-input').press('Enter');
    await student.getByText('Sure — sharing my screen now.').waitFor();

    // Screen share appears for the other side, in the main area.
    await tutor.getByTestId('toggle-screen').click();
    await student.getByTestId('remote-screen-tile').waitFor({ timeout: 20_000 });
    await waitFor('screen share frames on the student side', async () => student.getByTestId('remote-screen').evaluate((v: HTMLVideoElement) => v.videoWidth > 0 && v.currentTime > 0), 20_000);

    // Screenshots of the room (with chat open, screen shared) and accessibility of both sides.
    await expectAccessible(tutor, 'room (tutor)');
    await expectAccessible(student, 'room (student)');
    await screenshots(student, 'room-screen-share');
    await tutor.getByTestId('toggle-screen').click();
    await student.getByTestId('remote-screen-tile').waitFor({ state: 'detached', timeout: 20_000 });
    await student.getByTestId('close-panel').click();
    await screenshots(student, 'room');

    // Settings: switch the microphone while in the call; the other side keeps hearing us.
    await student.getByTestId('open-settings').click();
    const mics = await waitFor('microphones listed', async () => {
      const values = await student.getByTestId('settings-mic').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
      return values.length > 1 ? values : null;
    });
    const before = await student.evaluate(() => (window as any).__duet.localTracks());
    const other = mics.find((m) => m !== before.audio && m !== 'default' && m !== 'communications');
    expect(other, `another microphone among ${mics.join(', ')}`).toBeTruthy();
    await student.getByTestId('settings-mic').selectOption(other!);
    await waitFor('microphone switched', async () => (await student.evaluate(() => (window as any).__duet.localTracks())).audio === other);
    await student.getByTestId('settings-done').click();
    const packets = (await pageStats(tutor))!.audioPacketsReceived;
    await waitFor('tutor still receives audio after the switch', async () => (await pageStats(tutor))!.audioPacketsReceived > packets + 20);

    // Leave → post-session with stats → rating stored in the API.
    for (const page of [student, tutor]) {
      await page.getByTestId('leave').click();
      await page.getByTestId('confirm-leave').click();
      await page.getByTestId('post-session').waitFor({ timeout: 20_000 });
    }
    await waitFor('lesson completed', async () => (await api(`/v1/sessions/${lesson.id}`)).status === 'completed');
    await student.getByRole('heading', { name: 'Lesson ended' }).waitFor({ timeout: 15_000 });
    expect(await student.getByTestId('stat-duration').textContent()).toMatch(/\d+ (s|min)/);
    expect(await student.getByTestId('stat-my-join').textContent()).toMatch(/\d/);
    expect(await student.getByTestId('stat-other-join').textContent()).toMatch(/\d/);
    expect(await student.getByTestId('link-book').getAttribute('href')).toBe('https://market.example/book');
    await student.getByTestId('rating-form').waitFor();
    await student.getByTestId('star-5').check({ force: true });
    await student.getByTestId('rating-comment').fill('Clear explanations, thank you!');
    await student.getByTestId('rating-submit').click();
    await student.getByTestId('rated').waitFor();
    const feedback = await api(`/v1/sessions/${lesson.id}/feedback`);
    expect(JSON.stringify(feedback)).toContain('Clear explanations, thank you!');
    expect(JSON.stringify(feedback)).toMatch(/"rating":5/);
    await expectAccessible(student, 'post-session');
    await screenshots(student, 'post-session');
    await screenshots(tutor, 'post-session-tutor');

    // The analytics events reached the API, where the marketplace reads them.
    const events = await waitFor('analytics stored', async () => {
      const body = await api(`/v1/sessions/${lesson.id}/analytics`);
      const list = (body.events ?? body.analytics ?? body) as { type: string; data: Record<string, unknown> }[];
      const types = new Set(list.map((e) => e.type));
      return ['page_view', 'session_joined', 'session_started', 'session_ended', 'feedback_submitted'].every((t) => types.has(t)) ? list : null;
    });
    expect(events.find((e) => e.type === 'session_joined')!.data).toHaveProperty('time_before_start');
    expect(events.find((e) => e.type === 'session_ended')!.data).toHaveProperty('duration');
    expect(events.find((e) => e.type === 'feedback_submitted')!.data).toMatchObject({ rating: 5 });
    await tutor.context().close();
    await student.context().close();
  }, 240_000);

  it('denied camera permission explains how to allow it', async () => {
    // A browser that denies permission prompts (no fake UI accepting them).
    const denying = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS.filter((a) => a !== '--use-fake-ui-for-media-stream') });
    try {
      const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'Denied devices' });
      const context = await denying.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(lesson.studentUrl);
      const body = page.getByTestId('error-body');
      await body.waitFor({ timeout: 20_000 });
      expect(await body.getAttribute('data-screen')).toBe('devices_denied');
      expect(await body.textContent()).toContain('Please allow camera/microphone access.');
      expect(await body.textContent()).toContain('address bar');
      expect(await page.getByTestId('retry').isVisible()).toBe(true);
      await expectAccessible(page, 'devices denied');
      await screenshots(page, 'error-devices-denied');
    } finally {
      await denying.close();
    }
  });

  it('early: the room opens at its time, with a countdown', async () => {
    const start = new Date(Date.now() + 60 * 60_000);
    const lesson = await api('/v1/sessions', {
      method: 'POST',
      body: JSON.stringify({ title: 'Geometry', scheduled_start: start.toISOString(), scheduled_end: new Date(start.getTime() + 45 * 60_000).toISOString(), tutor: { id: 'early-t', name: 'Tara Tutor' }, student: { id: 'early-s', name: 'Sam Student' } }),
    });
    const { join_url } = await api(`/v1/sessions/${lesson.id}/tokens`, { method: 'POST', body: JSON.stringify({ role: 'student' }) });
    const page = await open(join_url);
    await page.getByTestId('early').waitFor({ timeout: 20_000 });
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toMatch(/^The lesson room opens at /);
    const first = await page.getByTestId('countdown').textContent();
    await waitFor('countdown moves', async () => (await page.getByTestId('countdown').textContent()) !== first, 5000);
    await expectAccessible(page, 'early');
    await screenshots(page, 'early');
    await page.context().close();
  });
});
