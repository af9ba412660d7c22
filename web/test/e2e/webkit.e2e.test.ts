// WebKit (Debian's WebKitGTK, the engine closest to Safari available offline) in the lesson room,
// through WebKitWebDriver under Xvfb: the pre-join screen with WebKit's mock camera and
// microphone, and the room's UI against a Chromium tutor — presence, mute, chat both ways.
// (Leave → post-session is not here: MiniBrowser's WebDriver session died on leave in one of two
// runs, "invalid session id"; docs/browsers.md.) This WebKitGTK build has no WebRTC at all
// (RTCPeerConnection is undefined; docs/browsers.md), so no media can flow: the test also holds
// the room to saying so up front instead of "connecting…" forever.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createDemoLesson } from '@duet/deploy';
import { assertLoopbackOnly, startStack, type Stack } from './stack.ts';
import { launchBrowser, waitFor } from './browser.ts';
import { playwrightParticipant, type Participant } from './lab/lab-browsers.ts';
import { element, room, waitForTestId, waitGone } from './lab/room-checks.ts';
import { launchWebKit, type WebKit } from './lab/webkit.ts';

let stack: Stack;
let webkit: WebKit;
let chrome: Browser;

beforeAll(async () => {
  assertLoopbackOnly();
  [stack, webkit, chrome] = await Promise.all([startStack({ WEBHOOK_ENDPOINTS: '[]' }), launchWebKit(), launchBrowser()]);
  console.log(`[webkit e2e] ${webkit.version}`);
}, 120_000);

afterAll(async () => {
  await webkit?.close();
  await chrome?.close();
  await stack?.stop();
});

async function readyToJoin(p: Participant): Promise<void> {
  await waitForTestId(p, 'prejoin');
  await waitFor(`${p.browser}: Join enabled`, async () => {
    const join = await element(p, 'join');
    return join && !join.disabled;
  });
}

async function chromium(): Promise<Participant> {
  const context = await chrome.newContext({ permissions: ['camera', 'microphone'] });
  return playwrightParticipant(await context.newPage());
}

describe('WebKitGTK', () => {
  it('pre-join: camera preview, mic meter, checks, and the no-WebRTC notice', async () => {
    const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'WebKit pre-join' });
    const p = await webkit.newParticipant();
    await p.goto(lesson.studentUrl);
    await readyToJoin(p);
    expect(await p.run(() => typeof RTCPeerConnection)).toBe('undefined');
    await waitFor('camera preview playing', async () =>
      p.run(() => {
        const v = document.querySelector('[data-testid="preview-video"]') as HTMLVideoElement | null;
        return !!v && v.videoWidth > 0 && v.currentTime > 0;
      }),
    );
    // The meter follows WebKit's mock microphone (a tone): several levels, some clearly up.
    const levels = new Set<string>();
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      const l = (await element(p, 'mic-meter'))?.attrs['data-level'] ?? '0';
      levels.add(l);
      peak = Math.max(peak, Number(l));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(levels.size, `mic levels seen: ${[...levels].join(',')}`).toBeGreaterThan(1);
    expect(peak).toBeGreaterThan(0.02);
    expect((await element(p, 'check-camera'))?.attrs['data-state']).toBe('ok');
    expect((await element(p, 'check-mic'))?.attrs['data-state']).toBe('ok');
    await waitFor('network check done', async () => (await element(p, 'check-network'))?.attrs['data-state'] !== 'pending');
    expect((await element(p, 'check-network'))?.text).toMatch(/\d+ ms round trip/);
    expect((await element(p, 'no-webrtc'))?.text).toContain('cannot make video calls');
    await p.close();
  });

  it('the room: presence, mute, chat both ways, the no-WebRTC banner', async () => {
    const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'WebKit room' });
    const tutor = await chromium();
    await tutor.goto(lesson.tutorUrl);
    await readyToJoin(tutor);
    await tutor.click('join');
    await waitForTestId(tutor, 'waiting');

    const student = await webkit.newParticipant();
    await student.goto(lesson.studentUrl);
    await readyToJoin(student);
    await student.click('join');
    await waitForTestId(student, 'room');
    // Both see each other present; the WebKit side says why there is no picture.
    await waitGone(tutor, 'waiting');
    await waitFor('webkit sees the tutor', async () => (await room(student)).peer !== null);
    expect((await element(student, 'banner-no-webrtc'))?.text).toContain('Chat still works');

    // Mute travels over signaling even without media.
    await student.click('toggle-mic');
    await waitForTestId(tutor, 'peer-muted');
    expect((await element(tutor, 'peer-muted'))?.text).toContain('Sam Student is muted');

    // Chat both ways.
    await student.click('toggle-chat');
    await student.fill('chat-input', 'I cannot see you, my browser has no video');
    await student.click('chat-send');
    await tutor.click('toggle-chat');
    await waitFor('tutor reads the chat', async () => (await element(tutor, 'chat-list'))?.text.includes('my browser has no video'));
    await tutor.fill('chat-input', 'Try Firefox or Chrome');
    await tutor.click('chat-send');
    await waitFor('student reads the reply', async () => (await element(student, 'chat-list'))?.text.includes('Try Firefox or Chrome'));

    await Promise.all([student.close(), tutor.close()]);
  });
});
