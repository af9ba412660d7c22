// What the network-cut tests check on a Duet lesson in the lab (network.e2e.test.ts, P2P and
// SFU): media flowing both ways, the presence the OTHER browser
// shows during and after a cut, media back after the link returns (or the address changed), and
// attendance that shows no leave for a cut that resumed.
import { expect } from 'vitest';
import { mediaDiagnosis, waitFor } from '../browser.ts';
import { PageQuality, type LabLesson, type LabRoom } from './lab-room.ts';
import type { Participant } from './lab-browsers.ts';

/** Starts recording every peer presence the page shows, with the time it changed (window.__presence). */
export async function recordPresence(p: Participant): Promise<void> {
  await p.run(() => {
    const seen: [number, string][] = [];
    (window as any).__presence = seen;
    (window as any).__duet.controller.state.subscribe((s: { peerPresence: string }) => seen.at(-1)?.[1] !== s.peerPresence && seen.push([Date.now(), s.peerPresence]));
  });
}

/** The presences recorded since recordPresence, in order. */
export const presenceSeen = (p: Participant): Promise<string[]> => p.run(() => ((window as any).__presence as [number, string][]).map(([, s]) => s));

/** Both sides sample their receive quality; resolves once both decode frames and get audio. */
export async function flowing(lesson: LabLesson): Promise<{ tutor: PageQuality; student: PageQuality; stop(): void }> {
  const q = { tutor: new PageQuality(lesson.tutor.page).start(200), student: new PageQuality(lesson.student.page).start(200) };
  await waitFor('media flowing both ways', async () => {
    const [t, s] = [q.tutor.tracker.samples.at(-1), q.student.tracker.samples.at(-1)];
    return (t?.video?.framesDecoded ?? 0) > 10 && (s?.video?.framesDecoded ?? 0) > 10 && (t?.audio?.packetsReceived ?? 0) > 0 && (s?.audio?.packetsReceived ?? 0) > 0;
  }, 30_000);
  return { ...q, stop: () => (q.tutor.stop(), q.student.stop()) };
}

/**
 * Marks the end of the break on both sides and waits until video frames and audio flow again both
 * ways. A failure says which side is still waiting and what each page's connection sends and
 * receives (an encoding left off, a transport down, packets arriving but no frame decoded).
 */
export async function mediaBack(q: { tutor: PageQuality; student: PageQuality }, at: number, timeoutMs: number, lesson?: LabLesson): Promise<{ tutor: number; student: number }> {
  q.tutor.tracker.markOutageEnd(at);
  q.student.tracker.markOutageEnd(at);
  return waitFor('media back both ways', async () => {
    const [t, s] = [q.tutor.tracker.summary().mediaBackMs, q.student.tracker.summary().mediaBackMs];
    return t !== null && s !== null ? { tutor: t, student: s } : null;
  }, timeoutMs).catch(async (err: Error) => {
    if (!lesson) throw err;
    const [t, s] = [q.tutor.tracker.summary().mediaBackMs, q.student.tracker.summary().mediaBackMs];
    const [td, sd] = await Promise.all([mediaDiagnosis(lesson.tutor.page), mediaDiagnosis(lesson.student.page)]);
    throw new Error(`${err.message}: back at the tutor ${t ?? 'no'}, at the student ${s ?? 'no'}\ntutor: ${td}\nstudent: ${sd}`);
  });
}

/**
 * The tutor saw the student "reconnecting" and then "present" again (in that order, ending
 * present), and the student's seat never went: still in the room, one attendance interval each,
 * still open (a cut that resumed is not a leave).
 */
export async function seatKept(room: LabRoom, lesson: LabLesson, opts: { sawReconnecting: boolean }): Promise<string[]> {
  const seen = await waitFor('the tutor sees the student present again', async () => {
    const s = await presenceSeen(lesson.tutor.p);
    return s.at(-1) === 'present' && (!opts.sawReconnecting || s.includes('reconnecting')) ? s : null;
  }, 15_000).catch(async () => presenceSeen(lesson.tutor.p));
  if (opts.sawReconnecting) expect(seen.slice(seen.indexOf('reconnecting'))).toEqual(['reconnecting', 'present']);
  expect(seen.at(-1)).toBe('present');
  expect(seen).not.toContain('absent');
  for (const page of [lesson.tutor.page, lesson.student.page]) expect(await page.evaluate(() => (window as any).__duet.state().phase)).toBe('room');
  const res = await fetch(`${room.apiUrl}/v1/sessions/${lesson.id}/attendance`, { headers: { authorization: `Bearer ${room.stack.apiKey}` } });
  expect(res.status).toBe(200);
  const attendance = (await res.json()) as { participants: { role: string; intervals: { joined_at: string; left_at: string | null }[] }[] };
  expect(attendance.participants.map((p) => p.role).sort()).toEqual(['student', 'tutor']);
  for (const p of attendance.participants) {
    // On failure: the intervals, and what the media node logged about seats (grace, resume, replace).
    const seatLines = () => room.stack.logs().split('\n').filter((l) => /grace|resum|replaced|seat|participant/i.test(l)).slice(-15).join('\n');
    expect(p.intervals, `${p.role} attendance ${JSON.stringify(p.intervals)}\n${p.intervals.length === 1 ? '' : seatLines()}`).toHaveLength(1);
    expect(p.intervals[0]!.left_at, `${p.role} left_at`).toBeNull();
  }
  return seen;
}
