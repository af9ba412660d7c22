// The room when things go wrong, in real Chromium against the whole stack: P2P failing and the
// room moving to the SFU without a freeze (make before break, the gap measured), a participant's
// connection dropping and resuming in both modes, the mediasoup worker killed mid-lesson, a
// screen share reaching the other side in both modes, and the lesson clock ending the room.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createDemoLesson } from '@duet/deploy';
import { assertLoopbackOnly, startStack, type Stack } from './stack.ts';
import { launchBrowser, openParticipant, pageStats, waitFor } from './browser.ts';
import { installFrameMonitor, readFrames, resetGap } from './frame-monitor.ts';

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  assertLoopbackOnly();
  [stack, browser] = await Promise.all([
    startStack({
      P2P_ICE_TIMEOUT_MS: '5000',
      RECONNECT_GRACE_MS: '20000',
      LESSON_WARNING_MINUTES: '0.2,0.1',
    }),
    launchBrowser(),
  ]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

type DuetState = {
  speaker: string | null;
  peer: { screen: boolean } | null;
  phase: string;
  mode: string | null;
  modeReason: string | null;
  peerPresence: string;
  reconnecting: boolean;
  warning: { minutesLeft: number } | null;
  ended: string | null;
  remoteScreen: number;
};

const state = (page: Page) => page.evaluate(() => (window as any).__duet.state()) as Promise<DuetState>;
const mediaKind = (page: Page) => page.evaluate(() => (window as any).__duet.mediaKind()) as Promise<string | null>;

async function openBoth(recording: boolean, opts: { minutes?: number; beforeJoin?: (p: Page) => Promise<void> } = {}): Promise<{ id: string; tutor: Page; student: Page }> {
  const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'Resilience', recording, ...(opts.minutes ? { minutes: opts.minutes } : {}) });
  const pages = await Promise.all([openParticipant(browser, lesson.tutorUrl), openParticipant(browser, lesson.studentUrl)]);
  for (const page of pages) {
    await page.getByTestId('join').waitFor();
    await opts.beforeJoin?.(page);
    await page.getByTestId('join').click();
    await page.getByTestId('room').waitFor({ timeout: 20_000 });
    await installFrameMonitor(page);
  }
  return { id: lesson.id, tutor: pages[0]!, student: pages[1]! };
}

async function closeBoth(...pages: Page[]): Promise<void> {
  for (const p of pages) await p.context().close().catch(() => undefined);
}

/** Waits until the page shows more remote frames than `than` (media flowing on screen). */
async function framesAbove(page: Page, than: number, what: string, timeoutMs = 30_000): Promise<number> {
  const f = await waitFor(what, async () => {
    const r = await readFrames(page);
    if (r.frames > than) return r;
    throw new Error(`frames ${JSON.stringify(r)} stats ${JSON.stringify(await pageStats(page))} state ${JSON.stringify(await state(page))}`);
  }, timeoutMs);
  return f.frames;
}

async function room(id: string): Promise<any> {
  const res = await fetch(`${stack.signalingUrl}/internal/rooms/${id}`, { headers: { authorization: `Bearer ${stack.nodeSecret}` } });
  return res.json();
}

describe('P2P -> SFU fallback', () => {
  it('P2P fails mid-lesson: both move to the SFU, make before break, and frames keep coming', async () => {
    const { id, tutor, student } = await openBoth(false);
    for (const p of [tutor, student]) {
      await waitFor('p2p media', async () => (await mediaKind(p)) === 'p2p');
      await framesAbove(p, 10, 'P2P frames');
    }
    await waitFor('room in p2p', async () => (await room(id)).mode === 'p2p');
    for (const p of [tutor, student]) await resetGap(p);
    const before = await Promise.all([readFrames(tutor), readFrames(student)]);
    const t0 = Date.now();
    await student.evaluate(() => (window as any).__duet.test.failP2P());

    for (const p of [tutor, student]) {
      await waitFor('sfu media', async () => (await mediaKind(p)) === 'sfu', 30_000);
      expect((await state(p)).modeReason).toBe('p2p_failed');
    }
    // Both had SFU media, so the server let the P2P connections go.
    const snap = await waitFor('mediasoup carries both', async () => {
      const r = await room(id);
      return r.mode === 'sfu' && r.media?.consumers >= 4 ? r : null;
    });
    expect(snap.fellBack).toBe(true);
    const switchedMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 2_000));
    const after = await Promise.all([readFrames(tutor), readFrames(student)]);
    for (const [i, p] of [tutor, student].entries()) {
      expect(after[i]!.frames, 'frames kept increasing across the switch').toBeGreaterThan(before[i]!.frames + 20);
      expect(after[i]!.sinceLastMs).toBeLessThan(1_000); // and still are
      expect((await pageStats(p))!.videoFramesDecoded).toBeGreaterThan(0); // through the SFU
    }
    const gaps = after.map((a) => a.maxGapMs);
    console.log(`[fallback] switch completed in ${switchedMs} ms; longest remote-video gap across it: tutor ${gaps[0]} ms, student ${gaps[1]} ms`);
    // Make before break: no freeze anywhere near a reconnection's length.
    expect(Math.max(...gaps)).toBeLessThan(3_000);
    await closeBoth(tutor, student);
  });

  it('P2P that never connects (candidates blocked) falls back to the SFU after the ICE timeout', async () => {
    const { id, tutor, student } = await openBoth(false, { beforeJoin: (p) => p.evaluate(() => (window as any).__duet.test.blockP2P()) });
    for (const p of [tutor, student]) {
      await waitFor('sfu media after the P2P timeout', async () => (await mediaKind(p)) === 'sfu', 40_000);
      expect((await state(p)).modeReason).toBe('p2p_timeout');
      await framesAbove(p, 10, 'SFU frames');
    }
    expect((await room(id)).fellBack).toBe(true);
    await closeBoth(tutor, student);
  });
});

describe('a participant drops and resumes', () => {
  for (const recording of [false, true]) {
    const mode = recording ? 'sfu' : 'p2p';
    it(`${mode}: the other side sees reconnecting then back, and frames resume`, async () => {
      const { id, tutor, student } = await openBoth(recording);
      for (const p of [tutor, student]) {
        await waitFor(`${mode} media`, async () => (await mediaKind(p)) === mode);
        await framesAbove(p, 10, 'frames before the drop');
      }
      // Recorded inside the page, so even a quick blip is seen.
      await tutor.evaluate(() => {
        const seen: string[] = [];
        (window as any).__presence = seen;
        (window as any).__duet.controller.state.subscribe((s: { peerPresence: string }) => seen.at(-1) !== s.peerPresence && seen.push(s.peerPresence));
      });
      await student.evaluate(() => (window as any).__duet.test.dropSignaling());
      // The tutor's page saw the student reconnecting, then back (recorded in the page).
      const seen = await waitFor('tutor sees reconnecting then back', async () => {
        const list = (await tutor.evaluate(() => (window as any).__presence)) as string[];
        const i = list.indexOf('reconnecting');
        return i >= 0 && list.lastIndexOf('present') > i ? list : null;
      }, 30_000);
      expect(seen.at(-1)).toBe('present');
      await waitFor('student resumed', async () => {
        const s = await state(student);
        return !s.reconnecting && s.phase === 'room' && (await mediaKind(student)) === mode;
      }, 30_000);
      // Media resumes (ICE restart on the kept SFU transports / renegotiated P2P): frames keep increasing.
      for (const p of [tutor, student]) {
        const now = (await readFrames(p)).frames;
        await framesAbove(p, now + 20, 'frames after the resume');
      }
      // The marketplace hears it too: participant.reconnecting, then the student joined again (resumed).
      await waitFor('reconnecting and resumed webhooks', async () => {
        const mine = stack.webhooks.filter((w) => w.body.session_id === id);
        const i = mine.findIndex((w) => w.body.type === 'participant.reconnecting' && w.body.data.role === 'student');
        return i >= 0 && mine.slice(i).some((w) => w.body.type === 'participant.joined' && w.body.data.resumed === true);
      }, 20_000).catch(async (err) => {
        throw new Error(`${err.message}: ${JSON.stringify(stack.webhooks.filter((w) => w.body.session_id === id).map((w) => [w.body.type, w.body.data]))}`);
      });
      await closeBoth(tutor, student);
    });
  }
});

describe('the SFU worker dies mid-lesson', () => {
  it('the router is rebuilt on a replacement worker and both get media back', async () => {
    const { id, tutor, student } = await openBoth(true);
    for (const p of [tutor, student]) await framesAbove(p, 10, 'SFU frames');
    const before = await waitFor('media room', async () => (await room(id)).media);
    const oldPid = before.workerPid as number;
    process.kill(oldPid, 'SIGKILL');
    const rebuilt = await waitFor('router rebuilt on another worker', async () => {
      const r = await room(id);
      return r.media && r.media.workerPid !== oldPid && r.media.consumers >= 4 ? r : null;
    }, 40_000).catch((err) => {
      throw new Error(`${err.message}\n${stack.logs().slice(-4000)}`);
    });
    expect(rebuilt.modeReason).toBe('media_restarted');
    for (const p of [tutor, student]) {
      const now = (await readFrames(p)).frames;
      await framesAbove(p, now + 20, 'frames after the rebuild', 40_000);
    }
    await closeBoth(tutor, student);
  });
});

describe('screen share', () => {
  for (const recording of [false, true]) {
    const mode = recording ? 'sfu' : 'p2p';
    it(`${mode}: the tutor's screen reaches the student as a third track`, async () => {
      const { tutor, student } = await openBoth(recording);
      await waitFor(`${mode} media`, async () => (await mediaKind(student)) === mode && (await pageStats(student))!.videoFramesDecoded > 0);
      // The fake microphone beeps, so somebody is the active speaker (SFU: AudioLevelObserver;
      // P2P: audio levels from stats), and both sides hear who.
      const speaker = await waitFor('active speaker', async () => (await state(student)).speaker, 20_000);
      expect(['tutor', 'student']).toContain(speaker);
      // A 320x200 canvas stands in for the screen (distinct from the 640x480 camera).
      await tutor.evaluate(() => {
        const canvas = Object.assign(document.createElement('canvas'), { width: 320, height: 200 });
        const ctx = canvas.getContext('2d')!;
        let n = 0;
        setInterval(() => {
          ctx.fillStyle = `hsl(${(n++ * 7) % 360} 80% 50%)`;
          ctx.fillRect(0, 0, 320, 200);
        }, 50);
        return (window as any).__duet.test.shareScreen(canvas.captureStream(20).getVideoTracks()[0]);
      });
      await waitFor('peer screen flag', async () => (await state(student)).peer?.screen === true);
      const seen = await waitFor('screen frames at the screen size on the student side', async () => {
        const r = await student.evaluate(async () => {
          const s = (window as any).__duet.controller.state.get().remoteScreen as MediaStream | null;
          if (!s) return null;
          const v = document.createElement('video');
          v.muted = true;
          v.srcObject = s;
          await v.play().catch(() => undefined);
          await new Promise((r) => setTimeout(r, 500));
          return { w: v.videoWidth, h: v.videoHeight };
        });
        return r && r.w === 320 && r.h === 200 ? r : null;
      }, 30_000);
      expect(seen).toEqual({ w: 320, h: 200 });
      // The camera still arrives alongside it.
      const cam = (await readFrames(student)).frames;
      await framesAbove(student, cam + 10, 'camera frames during the share');
      await closeBoth(tutor, student);
    });
  }
});

describe('the lesson clock', () => {
  it('warns both sides and ends the room itself at a short scheduled end', async () => {
    // 24 s lesson; this stack warns at 0.2 and 0.1 minutes (12 s, 6 s) before the end.
    const { id, tutor, student } = await openBoth(false, { minutes: 0.4 });
    for (const p of [tutor, student]) {
      const w = await waitFor('first warning', async () => (await state(p)).warning, 30_000);
      expect([0.2, 0.1]).toContain(w.minutesLeft);
    }
    await waitFor('second warning', async () => (await state(student)).warning?.minutesLeft === 0.1, 20_000);
    for (const p of [tutor, student]) {
      await waitFor('ended by the clock', async () => {
        const s = await state(p);
        return s.phase === 'left' && s.ended === 'time_up';
      }, 30_000);
    }
    await waitFor('lesson completed in the API', async () => {
      const res = await fetch(`${stack.apiUrl}/v1/sessions/${id}`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
      return ((await res.json()) as { status: string }).status === 'completed';
    }, 20_000);
    await closeBoth(tutor, student);
  });
});
