// The room as people use it, in real Chromium on loopback: pre-join device check, the room's
// controls seen from the other side (mute, camera off, screen share, chat, device switch), leave →
// post-session → rating stored in the API, the denied-camera explanation and the early screen.
// Writes screenshots (1280×800 and 390×844) and checks every screen with axe-core.
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createDemoLesson } from '@duet/deploy';
import { assertLoopbackOnly, startStack, type Stack } from './stack.ts';
import { CHROMIUM_ARGS, clickJoin, launchBrowser, openParticipant, pageStats, readyToJoin, waitFor } from './browser.ts';
import { expectAccessible, screenshots } from './ui-checks.ts';

let stack: Stack;
let browser: Browser;
let market: Marketplace;

beforeAll(async () => {
  assertLoopbackOnly();
  market = await startMarketplacePage();
  // The marketplace's origin may frame the room page (CSP frame-ancestors on /session/:id).
  [stack, browser] = await Promise.all([startStack({ FRAME_ANCESTORS: market.origin }), launchBrowser()]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  market?.close();
});

async function api(path: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(`${stack.apiUrl}${path}`, { ...init, headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const body = await res.json().catch(() => null);
  expect(res.status, `${init.method ?? 'GET'} ${path}: ${JSON.stringify(body)}`).toBeLessThan(300);
  return body;
}

async function open(url: string): Promise<Page> {
  const page = await openParticipant(browser, url);
  await page.setViewportSize({ width: 1280, height: 800 });
  return page;
}

const join = clickJoin;

const withQuery = (url: string, query: string) => url.replace('#', `?${query}#`);

interface Marketplace {
  origin: string;
  /** The page embedding `roomUrl`. */
  urlFor(roomUrl: string): string;
  close(): void;
}

/** A marketplace page on another origin that embeds the room with the documented allow list. */
async function startMarketplacePage(): Promise<Marketplace> {
  const server = createServer((req, res) => {
    const roomUrl = new URL(req.url ?? '/', 'http://x').searchParams.get('room') ?? '';
    const html = `<!doctype html><html lang="en"><head><title>Tutorly — your lesson</title></head><body style="margin:0">
<iframe id="duet" title="Lesson room" src="${roomUrl.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}" allow="camera; microphone; display-capture; autoplay; fullscreen; picture-in-picture; speaker-selection" style="border:0;width:100vw;height:100vh"></iframe>
<script>window.received=[];addEventListener('message',(e)=>{if(e.data&&e.data.source==='duet')window.received.push(e.data)});</script></body></html>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  // localhost vs 127.0.0.1: a different origin from the API's.
  const origin = `http://localhost:${(server.address() as { port: number }).port}`;
  return { origin, urlFor: (roomUrl) => `${origin}/lesson?room=${encodeURIComponent(roomUrl)}`, close: () => server.close() };
}

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

    // A network drop: the other side shows the reconnecting banner (recorded by an observer in
    // the page, since a resume on loopback takes well under a second), then the room goes on.
    await tutor.evaluate(() => {
      const w = window as any;
      w.bannersSeen = [];
      new MutationObserver(() => {
        for (const id of ['banner-peer-reconnecting', 'banner-reconnecting']) if (document.querySelector(`[data-testid="${id}"]`) && !w.bannersSeen.includes(id)) w.bannersSeen.push(id);
      }).observe(document.body, { subtree: true, childList: true });
    });
    await student.evaluate(() => (window as any).__duet.test.dropSignaling());
    await waitFor('tutor saw the reconnecting banner', async () => (await tutor.evaluate(() => (window as any).bannersSeen as string[])).includes('banner-peer-reconnecting'), 20_000);
    for (const page of [tutor, student]) await waitFor('back in progress', async () => (await page.getByTestId('status').getAttribute('data-status')) === 'in_progress', 30_000);
    // Chat history survived the reconnect.
    expect(await student.getByTestId('chat-list').textContent()).toContain('Sure — sharing my screen now.');

    // Screen share appears for the other side, in the main area.
    await tutor.getByTestId('toggle-screen').click();
    await student.getByTestId('remote-screen-tile').waitFor({ timeout: 20_000 });
    await waitFor('screen share frames on the student side', async () => student.getByTestId('remote-screen').evaluate((v: HTMLVideoElement) => v.videoWidth > 0 && v.currentTime > 0), 20_000);

    // Screenshots of the room (with chat open, screen shared) and accessibility of both sides.
    await expectAccessible(tutor, 'room (tutor)');
    await expectAccessible(student, 'room (student)');
    await screenshots(student, 'room-chat');
    await student.getByTestId('close-panel').click();
    await screenshots(student, 'room-screen-share');
    await tutor.getByTestId('toggle-screen').click();
    await student.getByTestId('remote-screen-tile').waitFor({ state: 'detached', timeout: 20_000 });
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

    // The student leaves while the lesson runs, then rejoins from the post-session screen.
    await student.getByTestId('leave').click();
    await student.getByTestId('confirm-leave').click();
    await student.getByTestId('post-session').waitFor({ timeout: 20_000 });
    await student.getByRole('heading', { name: 'You left the lesson' }).waitFor();
    await tutor.getByTestId('waiting').waitFor({ timeout: 20_000 });
    await student.getByTestId('rejoin').click();
    await join(student);
    for (const page of [tutor, student]) await waitFor('in progress again', async () => (await page.getByTestId('status').getAttribute('data-status')) === 'in_progress', 30_000);

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
    await expectAccessible(student, 'post-session');
    await screenshots(student, 'post-session');
    await student.getByTestId('star-5').check({ force: true });
    await student.getByTestId('rating-comment').fill('Clear explanations, thank you!');
    await student.getByTestId('rating-submit').click();
    await student.getByTestId('rated').waitFor();
    await expectAccessible(student, 'post-session (rated)');
    const feedback = await api(`/v1/sessions/${lesson.id}/feedback`);
    expect(JSON.stringify(feedback)).toContain('Clear explanations, thank you!');
    expect(JSON.stringify(feedback)).toMatch(/"rating":5/);
    await screenshots(student, 'post-session-rated');

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

  it('time warning at 5 minutes; the tutor ends the lesson for both; recording processing → player; tutor upload → student download', async () => {
    // Ends 5 min 20 s from now: the 5-minute warning fires ~20 s after the room opens.
    const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'Short lesson', minutes: 5 + 20 / 60, recording: true });
    const tutor = await open(lesson.tutorUrl);
    const student = await open(lesson.studentUrl);
    await join(tutor);
    await join(student);
    for (const page of [tutor, student]) {
      const banner = page.getByTestId('banner-warning');
      await banner.waitFor({ timeout: 60_000 });
      expect(await banner.getAttribute('data-minutes')).toBe('5');
      expect(await banner.textContent()).toContain('5 minutes left.');
    }
    expect(await student.getByTestId('timer').textContent()).toMatch(/min left/);
    await tutor.getByTestId('leave').click();
    await tutor.getByTestId('end-lesson').click();
    await tutor.getByTestId('confirm-end').waitFor();
    await tutor.getByTestId('confirm-end-lesson').click();
    for (const page of [student, tutor]) {
      await page.getByTestId('post-session').waitFor({ timeout: 20_000 });
      await page.getByRole('heading', { name: 'Lesson ended' }).waitFor({ timeout: 15_000 });
    }
    expect(await student.getByTestId('post-session').textContent()).toContain('The tutor ended the lesson.');
    await waitFor('lesson completed', async () => (await api(`/v1/sessions/${lesson.id}`)).status === 'completed');

    // Recorded lesson: a player with the duration appears once the recording is ready ("Recording
    // processing…" until then is covered by the component tests), and its signed URL plays.
    const player = student.getByTestId('recording-player');
    await player.waitFor({ timeout: 120_000 });
    expect(await student.getByTestId('recording-duration').textContent()).toMatch(/^\d+:\d\d$/);
    await waitFor('recording metadata loads through its signed URL', async () => player.evaluate((v: HTMLVideoElement) => v.readyState >= 1 && v.duration > 0), 20_000);
    await screenshots(student, 'post-session-recording');

    // The tutor uploads materials after the lesson; the student downloads them.
    await tutor.getByTestId('upload-input').setInputFiles({ name: 'homework.txt', mimeType: 'text/plain', buffer: Buffer.from('Exercises 4–7 for Thursday\n') });
    await tutor.getByTestId('upload-status').waitFor({ timeout: 20_000 });
    expect(await tutor.getByTestId('upload-status').textContent()).toContain('homework.txt uploaded');
    await student.reload();
    const link = student.getByRole('link', { name: 'Download homework.txt' });
    await link.waitFor({ timeout: 20_000 });
    const href = await link.getAttribute('href');
    const res = await fetch(new URL(href!, stack.apiUrl));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('Exercises 4–7 for Thursday\n');
    await screenshots(tutor, 'post-session-tutor');
    await tutor.context().close();
    await student.context().close();
  }, 180_000);

  it('works embedded in the marketplace page (iframe on another origin), themed by the link', async () => {
    const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'Embedded lesson' });
    // The API must let the marketplace frame the room page (CSP frame-ancestors, FRAME_ANCESTORS).
    const csp = (await fetch(lesson.studentUrl.split('#')[0]!)).headers.get('content-security-policy') ?? '';
    const ancestors = /frame-ancestors ([^;]*)/.exec(csp)?.[1]?.trim() ?? '*';
    expect(ancestors.split(/\s+/).some((a) => a === '*' || a === market.origin), `CSP frame-ancestors of /session/:id is "${ancestors}"; the API must add FRAME_ANCESTORS (${market.origin}) to it`).toBe(true);
    const theme = `accent=%230b7285&brand=Tutorly&logo=${encodeURIComponent('https://cdn.tutorly.example/logo.svg')}`;
    {
      const page = await open(market.urlFor(withQuery(lesson.studentUrl, theme)));
      const frame = page.frameLocator('iframe#duet');
      await frame.getByTestId('prejoin').waitFor({ timeout: 20_000 }).catch(async (e) => {
        throw new Error(`${e}\npage: ${await page.content()}\nframe: ${await frame.locator('body').innerText().catch((x) => String(x))}`);
      });
      // The marketplace's colour reaches the Join button.
      const bg = await frame.getByTestId('join').evaluate((b) => getComputedStyle(b).backgroundColor);
      expect(bg).toBe('rgb(11, 114, 133)');
      expect(await frame.getByRole('img', { name: 'Tutorly' }).getAttribute('src')).toBe('https://cdn.tutorly.example/logo.svg');
      await waitFor('Join enabled in the iframe', async () => frame.getByTestId('join').isEnabled());
      await frame.getByTestId('join').click();
      await frame.getByTestId('room').waitFor({ timeout: 20_000 });
      const tutor = await open(lesson.tutorUrl);
      await join(tutor);
      await waitFor('the embedded room receives video', async () => {
        const f = page.frames().find((x) => x.url().includes('/session/'))!;
        const s = (await f.evaluate(() => (window as any).__duet.stats())) as { videoFramesDecoded: number } | null;
        return (s?.videoFramesDecoded ?? 0) > 0;
      }, 30_000);
      // The parent page hears the room's analytics events.
      await waitFor('session_joined posted to the parent', async () => (await page.evaluate(() => (window as any).received as { type: string }[])).some((e) => e.type === 'session_joined'));
      await tutor.context().close();
      await page.context().close();
    }
  }, 120_000);

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
