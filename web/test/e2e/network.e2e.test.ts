// Real cuts, not socket closes: the tutor and the student each in their own network namespace
// (lab/netlab.ts), their links cut or renumbered mid-lesson. Media must come back by itself, the
// other side must see "reconnecting" then "present", and attendance must stay exact.
// (The socket-close tests in resilience.e2e.test.ts stay; the long cuts and every profile are in
// deploy/bench/network.)
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

async function api(path: string): Promise<any> {
  const res = await fetch(`${room.apiUrl}${path}`, { headers: { authorization: `Bearer ${room.stack.apiKey}` } });
  expect(res.status, `GET ${path}`).toBe(200);
  return res.json();
}

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

async function leaveAndCheckAttendance(lesson: LabLesson, inRoomMs: number, maxGapMs: number): Promise<void> {
  for (const p of [lesson.student.p, lesson.tutor.p]) {
    await p.click('leave');
    await p.click('confirm-leave');
  }
  await waitFor('lesson completed', async () => (await api(`/v1/sessions/${lesson.id}`)).status === 'completed', 20_000);
  const attendance = await api(`/v1/sessions/${lesson.id}/attendance`);
  for (const p of attendance.participants) {
    const spans = (p.intervals as { joined_at: string; left_at: string | null }[]).map((i) => [Date.parse(i.joined_at), Date.parse(i.left_at!)] as const);
    for (const [i, [from, to]] of spans.entries()) {
      expect(to, `${p.role} interval ${i} closed`).toBeGreaterThanOrEqual(from);
      if (i > 0) expect(from, `${p.role} intervals do not overlap`).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    }
    const present = spans.reduce((sum, [from, to]) => sum + (to - from), 0);
    // Exact: present the whole time, less at most the reconnect gap (and never more than the time in the room).
    expect(present, `${p.role} attendance ${JSON.stringify(p.intervals)}`).toBeGreaterThanOrEqual(inRoomMs - maxGapMs - 2_000);
    expect(present).toBeLessThanOrEqual(inRoomMs + 3_000);
  }
}

describe('real network cuts (network lab)', () => {
  it('P2P: the student\'s link is down 5 s — the tutor sees reconnecting then present, media is back both ways within 3 s', async () => {
    const lesson = await joinLabLesson(room, { title: 'lab p2p cut' });
    const joinedAt = Date.now();
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
    console.log(`[network e2e] p2p 5 s cut: media back tutor ${t!.mediaBackMs} ms, student ${s!.mediaBackMs} ms; tutor saw ${JSON.stringify(await presence(lesson.tutor.p))}`);
    console.log(room.stack.logs().split('\n').filter((l) => /quiet|participant (joined|disconnected)|restartIce|p2p/i.test(l)).slice(-10).join('\n'));
    expect(t!.mediaBackMs).toBeLessThanOrEqual(3_000);
    expect(s!.mediaBackMs).toBeLessThanOrEqual(3_000);
    await waitFor('tutor saw reconnecting, then present', async () => {
      const seen = await presence(lesson.tutor.p);
      const i = seen.indexOf('reconnecting');
      return i >= 0 && seen.lastIndexOf('present') > i;
    }, 10_000);
    q.tutor.stop();
    q.student.stop();
    await leaveAndCheckAttendance(lesson, Date.now() - joinedAt, 0);
    await lesson.close();
  });

  it('SFU: the student\'s address changes mid-lesson — new transport path by itself, reconnecting then present, attendance exact', async () => {
    const lesson = await joinLabLesson(room, { title: 'lab sfu new address', recording: true });
    const joinedAt = Date.now();
    const q = await flowing(lesson);
    expect(await lesson.student.page.evaluate(() => (window as any).__duet.mediaKind())).toBe('sfu');
    await recordPresence(lesson.tutor.p);
    const before = room.links.student.address;
    const changed = Date.now();
    expect(await room.links.student.changeIp()).not.toBe(before);
    q.tutor.tracker.markOutageEnd(changed);
    q.student.tracker.markOutageEnd(changed);
    // Media must stop first (the old address is gone) and then come back.
    const [t, s] = await waitFor('media back both ways on the new address', async () => {
      const sums = [q.tutor.tracker.summary(), q.student.tracker.summary()];
      return sums.every((x) => x.mediaBackMs !== null && x.mediaBackMs > 0) ? sums : null;
    }, 25_000).catch(async (err: Error) => {
      const state = await lesson.student.page.evaluate(() => ({ room: (window as any).__duet.state(), stats: (window as any).__duet.stats() })).catch(() => null);
      const logs = room.stack.logs().split('\n').filter((l) => /student|restartIce|resum|quiet|ICE|ice/i.test(l)).slice(-12).join('\n');
      throw new Error(`${err.message}\nstudent ${JSON.stringify(state)}\nsamples ${JSON.stringify(q.student.tracker.samples.at(-1))}\n${logs}`);
    });
    console.log(`[network e2e] sfu new address: media back tutor ${t!.mediaBackMs} ms, student ${s!.mediaBackMs} ms; tutor saw ${JSON.stringify(await presence(lesson.tutor.p))}`);
    expect(t!.mediaBackMs).toBeLessThanOrEqual(12_000);
    expect(s!.mediaBackMs).toBeLessThanOrEqual(12_000);
    const stats = await lesson.student.page.evaluate(() => (window as any).__duet.stats());
    expect(stats.selectedPair?.local.address, 'the student now sends from its new address').toBe(room.links.student.address);
    await waitFor('tutor saw reconnecting, then present', async () => {
      const seen = await presence(lesson.tutor.p);
      const i = seen.indexOf('reconnecting');
      return i >= 0 && seen.lastIndexOf('present') > i;
    }, 15_000);
    q.tutor.stop();
    q.student.stop();
    await leaveAndCheckAttendance(lesson, Date.now() - joinedAt, 12_000);
    await lesson.close();
  });
});
