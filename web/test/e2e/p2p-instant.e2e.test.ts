// Instant join in a P2P lesson, real Chromium: the student's pre-join connects SFU transports while
// the tutor waits (nothing of the student reaches the tutor's browser: no presence, no media, no
// ICE candidate), the click starts the lesson on the SFU for both, and P2P takes over make before
// break: the room ends up on P2P, the SFU side closed, the remote video never stalling.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createDemoLesson } from '@duet/deploy';
import { assertLoopbackOnly, startStack, type Stack } from './stack.ts';
import { launchBrowser, pageStats, waitFor } from './browser.ts';

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  assertLoopbackOnly();
  [stack, browser] = await Promise.all([startStack({ P2P_INSTANT_JOIN: 'true' }), launchBrowser()]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

type Duet = { state(): { phase: string; mode: string | null; modeReason: string | null; media: string | null; peerPresence: string }; mediaKind(): string | undefined };
const duet = (page: Page) => page.evaluate(() => {
  const d = (window as unknown as { __duet: Duet }).__duet;
  return { ...d.state(), kind: d.mediaKind() };
});
const marks = (page: Page) => page.evaluate(() => performance.getEntriesByType('mark').map((m) => m.name));

/**
 * A page whose every RTCPeerConnection is watched: RTP packets sent, remote ICE candidates (from
 * getStats and from addIceCandidate), remote descriptions; and the remote <video>'s longest stall.
 */
async function watchedPage(url: string): Promise<Page> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  await context.addInitScript(() => {
    const pcs: RTCPeerConnection[] = [];
    let candidatesAdded = 0;
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Native {
      constructor(config?: RTCConfiguration) {
        super(config);
        pcs.push(this);
      }
    };
    const nativeAdd = Native.prototype.addIceCandidate as (...args: unknown[]) => Promise<void>;
    Native.prototype.addIceCandidate = function (this: RTCPeerConnection, ...args: unknown[]) {
      if ((args[0] as RTCIceCandidateInit | undefined)?.candidate) candidatesAdded++;
      return nativeAdd.apply(this, args);
    } as typeof Native.prototype.addIceCandidate;
    const w = window as unknown as Record<string, unknown>;
    // The SFU (mediasoup is ICE-lite) is told apart from a browser peer by its SDP.
    const fromSfu = (pc: RTCPeerConnection) => !!pc.remoteDescription?.sdp.includes('a=ice-lite');
    w.__watch = async () => {
      let rtpSent = 0;
      let rtpReceived = 0;
      let peerCandidates = 0;
      for (const pc of pcs) {
        for (const s of (await pc.getStats()).values()) {
          if (s.type === 'outbound-rtp') rtpSent += (s as { packetsSent?: number }).packetsSent ?? 0;
          if (s.type === 'inbound-rtp') rtpReceived += (s as { packetsReceived?: number }).packetsReceived ?? 0;
          if (s.type === 'remote-candidate' && !fromSfu(pc)) peerCandidates++;
        }
      }
      return { rtpSent, rtpReceived, peerCandidates, candidatesAdded, peerDescriptions: pcs.filter((pc) => pc.remoteDescription && !fromSfu(pc)).length };
    };
    // The remote video's longest stretch without a new frame (currentTime not moving), from the first frame on.
    let last = -1;
    let lastAt = 0;
    let longest = 0;
    setInterval(() => {
      const v = document.querySelector('[data-testid="remote-video"]') as HTMLVideoElement | null;
      if (!v || v.videoWidth === 0) return void (last >= 0 && (longest = Math.max(longest, performance.now() - lastAt)));
      const now = performance.now();
      if (v.currentTime !== last) {
        if (last >= 0) longest = Math.max(longest, now - lastAt);
        last = v.currentTime;
        lastAt = now;
      }
    }, 20);
    w.__stall = () => ({ longest: Math.round(Math.max(longest, last >= 0 ? performance.now() - lastAt : 0)), started: last >= 0 });
  });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  if (process.env.DUET_E2E_CONSOLE) page.on('console', (m) => console.log(`[page ${m.type()}] ${m.text()}`));
  await page.goto(url);
  return page;
}

type Watch = { rtpSent: number; rtpReceived: number; peerCandidates: number; candidatesAdded: number; peerDescriptions: number };
const watch = (page: Page) => page.evaluate(() => (window as unknown as { __watch: () => Promise<Watch> }).__watch());
const stall = (page: Page) => page.evaluate(() => (window as unknown as { __stall: () => { longest: number; started: boolean } }).__stall());

describe('P2P instant join', () => {
  it('preconnects on the SFU with nothing reaching the tutor, starts on it at the click, and ends on P2P without a stall', async () => {
    const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'p2p instant' });
    const room = async () => (await (await fetch(`${stack.signalingUrl}/internal/rooms/${lesson.id}`, { headers: { authorization: `Bearer ${stack.nodeSecret}` } })).json()) as { mode: string; modeReason: string; participants: { role: string }[]; media: { transports: number; producers: number; consumers: number } | null };
    const tutor = await watchedPage(lesson.tutorUrl);
    await tutor.getByTestId('prejoin').waitFor({ timeout: 20_000 });
    await waitFor('Join enabled', async () => tutor.getByTestId('join').isEnabled());
    await tutor.getByTestId('join').click();
    await waitFor('tutor waiting in the room', async () => (await duet(tutor)).mode === 'waiting' && (await duet(tutor)).phase === 'room');

    const student = await watchedPage(lesson.studentUrl);
    await waitFor('student transports connected and producers prepared on the pre-join', async () => {
      const m = await marks(student);
      return m.includes('duet:pre-send-connected') && m.includes('duet:pre-recv-connected') && m.includes('duet:pre-produced');
    });
    // The tutor holds its SFU side ready (transports, producers without tracks). Nothing of the
    // student reached the tutor: no presence, no mode change, not one ICE candidate or description
    // of a peer in the tutor's browser (its P2P offer is held), no student RTP anywhere.
    await waitFor('tutor SFU side held', async () => (await room()).media?.producers === 2);
    await student.waitForTimeout(300);
    expect(await room()).toMatchObject({ mode: 'waiting', participants: [{ role: 'tutor' }], media: { transports: 4, producers: 2, consumers: 0 } });
    expect(await watch(student)).toMatchObject({ rtpSent: 0, rtpReceived: 0 });
    expect(await watch(tutor)).toMatchObject({ rtpReceived: 0, peerCandidates: 0, candidatesAdded: 0, peerDescriptions: 0 });
    expect(await duet(tutor)).toMatchObject({ mode: 'waiting', peerPresence: 'absent' });

    // The click: both on the SFU at once (the student on its preconnected transports)...
    await student.getByTestId('join').click();
    await waitFor('both see video', async () => ((await pageStats(tutor))?.videoFramesDecoded ?? 0) > 0 && ((await pageStats(student))?.videoFramesDecoded ?? 0) > 0, 30_000, 50);
    expect(await marks(student)).toContain('duet:sfu-joined-producer-video');
    // ...then P2P takes over, and the SFU side goes.
    await waitFor('both on P2P', async () => {
      const [t, s] = await Promise.all([duet(tutor), duet(student)]);
      return t.kind === 'p2p' && s.kind === 'p2p' && t.media === 'connected' && s.media === 'connected';
    }, 30_000);
    await waitFor('SFU side closed', async () => (await room()).media?.transports === 0, 20_000);
    expect(await room()).toMatchObject({ mode: 'p2p', modeReason: 'p2p_upgrade' });
    for (const page of [tutor, student]) expect(await marks(page)).toContain('duet:p2p-upgraded');
    // The remote video kept playing through the swap and plays on P2P now.
    const before = await Promise.all([tutor, student].map(async (p) => (await pageStats(p))?.videoFramesDecoded ?? 0));
    await waitFor('P2P frames keep coming', async () => {
      const now = await Promise.all([tutor, student].map(async (p) => (await pageStats(p))?.videoFramesDecoded ?? 0));
      return now.every((n, i) => n > before[i]! + 10);
    }, 10_000);
    for (const page of [tutor, student]) {
      const s = await stall(page);
      expect(s.started).toBe(true);
      expect(s.longest).toBeLessThan(1_500);
    }
  });
});
