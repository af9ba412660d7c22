// A real cut, not a socket close: the tutor and the student each in their own network namespace
// (lab/netlab.ts), the student's link down 5 s mid-lesson; media must come back by itself.
// (The socket-close tests in resilience.e2e.test.ts stay; the SFU cut, the 20 s cut and every
// profile are measured in deploy/bench/network; what is not covered yet: docs/network-lab.md.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './browser.ts';
import { assertLoopbackOnly } from './stack.ts';
import { joinLabLesson, PageQuality, startLabRoom, type LabLesson, type LabRoom } from './lab/lab-room.ts';
import type { Participant } from './lab/lab-browsers.ts';

let room: LabRoom;

beforeAll(async () => {
  assertLoopbackOnly();
  room = await startLabRoom({ RECONNECT_GRACE_MS: '30000' });
}, 90_000);

afterAll(async () => {
  await room?.stop();
});

/** Records every peer presence the page's room shows (window.__presence). */
async function recordPresence(p: Participant): Promise<void> {
  await p.run(() => {
    const seen: string[] = [];
    (window as any).__presence = seen;
    (window as any).__duet.controller.state.subscribe((s: { peerPresence: string }) => seen.at(-1) !== s.peerPresence && seen.push(s.peerPresence));
  });
}

const presence = (p: Participant) => p.run(() => (window as any).__presence as string[]);

/** Both sides sample their receive quality; resolves once both decode frames and get audio. */
async function flowing(lesson: LabLesson): Promise<{ tutor: PageQuality; student: PageQuality }> {
  const q = { tutor: new PageQuality(lesson.tutor.page).start(200), student: new PageQuality(lesson.student.page).start(200) };
  await waitFor('media flowing both ways', async () => {
    const [t, s] = [q.tutor.tracker.samples.at(-1), q.student.tracker.samples.at(-1)];
    return (t?.video?.framesDecoded ?? 0) > 10 && (s?.video?.framesDecoded ?? 0) > 10 && (t?.audio?.packetsReceived ?? 0) > 0 && (s?.audio?.packetsReceived ?? 0) > 0;
  }, 30_000);
  return q;
}

describe('real network cuts (network lab)', () => {
  it('P2P: the student\'s link is down 5 s (carrier lost, packets dropped) — media comes back both ways by itself within 5 s', async () => {
    const lesson = await joinLabLesson(room, { title: 'lab p2p cut' });
    const q = await flowing(lesson);
    expect(await lesson.student.page.evaluate(() => (window as any).__duet.mediaKind())).toBe('p2p');
    await recordPresence(lesson.tutor.p);
    await room.links.student.outage(5_000);
    const back = Date.now();
    q.tutor.tracker.markOutageEnd(back);
    q.student.tracker.markOutageEnd(back);
    const [t, s] = await waitFor('media back both ways', async () => {
      const sums = [q.tutor.tracker.summary(), q.student.tracker.summary()];
      return sums.every((x) => x.mediaBackMs !== null) ? sums : null;
    }, 20_000);
    // Measured here: 0.04-3.9 s (the bench's goal is 2 s; its outage5 row has this run's twin).
    console.log(`[network e2e] p2p 5 s cut: media back tutor ${t!.mediaBackMs} ms, student ${s!.mediaBackMs} ms; tutor saw ${JSON.stringify(await presence(lesson.tutor.p))}`);
    expect(t!.mediaBackMs).toBeLessThanOrEqual(5_000);
    expect(s!.mediaBackMs).toBeLessThanOrEqual(5_000);
    expect(await lesson.student.page.evaluate(() => (window as any).__duet.state().phase)).toBe('room');
    q.tutor.stop();
    q.student.stop();
    await lesson.close();
  });

});
