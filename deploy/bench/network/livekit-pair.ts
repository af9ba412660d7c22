// The LiveKit column of the network bench: livekit-server v1.11 (deploy/bench/livekit) in the
// lab's servers namespace, announcing the lab address, its page served there too; the same two
// Chromiums open the LiveKit page (simulcast, dynacast, adaptiveStream, RED and DTX: LiveKit's own
// recommended settings) and join one room, the tutor first, as in the Duet lesson.
import type { Page } from 'playwright-core';
import type { LabRoom } from '../../../web/test/e2e/lab/lab-room.ts';
import { buildPage, livekitBinary, startLiveKit, type LiveKit } from '../livekit/anchor.ts';

/**
 * Collects every RTCPeerConnection the page makes (LiveKit has a publisher and a subscriber one)
 * and gives their stats the shape PageQuality reads from a Duet room (window.__duet.rawStats).
 */
export const LIVEKIT_STATS_INIT = `(() => {
  const pcs = [];
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native { constructor(...a) { super(...a); pcs.push(this); } };
  window.__duet = {
    rawStats: () => Promise.all(pcs.filter((p) => p.connectionState !== 'closed').map(async (p) => { const l = []; (await p.getStats()).forEach((e) => l.push(e)); return l; })),
    mediaKind: () => 'livekit',
  };
})();`;

export async function startLabLiveKit(room: LabRoom): Promise<{ bin: string; lk: LiveKit }> {
  const bin = livekitBinary();
  await buildPage();
  const lk = await startLiveKit(bin, { enter: room.lab.servers.enter, nodeIp: room.lab.serverAddress });
  await room.lab.exposeServerPorts([lk.port, Number(new URL(lk.pageOrigin).port)]);
  return { bin, lk };
}

type LkState = { phase: string; error: string; published: number; subscribed: number };
const state = (page: Page) => page.evaluate(() => (window as unknown as { __lk: { state(): LkState } }).__lk.state());

/** 90 s: on `mobile` (600 kbit/s down) the unminified 1.3 MB page alone takes ~20-40 s to load. */
async function waitState(page: Page, what: string, ok: (s: LkState) => boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await state(page).catch(() => null);
    if (s?.phase === 'failed') throw new Error(`LiveKit page failed: ${s.error}`);
    if (s && ok(s)) return;
    if (Date.now() > deadline) throw new Error(`LiveKit page: ${what} not reached in ${timeoutMs / 1000} s (${JSON.stringify(s)})`);
    await page.waitForTimeout(100);
  }
}

let seq = 0;

/** Both in one LiveKit room (the tutor joined and published first); resolves once both are in. */
export async function joinLiveKit(room: LabRoom, lk: LiveKit): Promise<{ tutor: Page; student: Page; close(): Promise<void> }> {
  const name = `net-${process.pid}-${++seq}`;
  const [t, s] = await Promise.all([room.browsers.tutor.newPage(LIVEKIT_STATS_INIT), room.browsers.student.newPage(LIVEKIT_STATS_INIT)]);
  const close = async () => void (await Promise.all([t.page.context().close(), s.page.context().close()]));
  try {
    // The remote <video> at 1280x720, like the Duet room's main video: adaptiveStream asks for what it shows.
    const url = async (who: string) => `${lk.pageOrigin}/?url=${encodeURIComponent(lk.url)}&token=${encodeURIComponent(await lk.token(name, who))}&remote=1280x720`;
    for (const [page, who] of [[t.page, 'tutor'], [s.page, 'student']] as const) {
      await page.goto(await url(who), { timeout: 90_000 });
      await waitState(page, 'pre-join', (x) => x.phase === 'prejoin');
      await page.getByTestId('join').click();
      await waitState(page, 'published', (x) => x.phase === 'room' && x.published > 0);
    }
    await waitState(t.page, 'subscribed', (x) => x.subscribed >= 2);
    await waitState(s.page, 'subscribed', (x) => x.subscribed >= 2);
    return { tutor: t.page, student: s.page, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}
