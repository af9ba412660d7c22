// Room lifecycle over the real protocol, against the real API and a real mediasoup worker:
// presence and resume within the grace, grace expiry, P2P -> SFU fallback (timeout and failure,
// make before break), the lesson clock (warnings, auto-end), the tutor ending early, chat, app
// data, active speaker, and hooks that survive an API outage and a node restart.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEvent } from '@duet/api/events';
import { startNodeStack, type NodeStack } from './support/stack.ts';
import { ClientPool, TestClient } from './support/ws-client.ts';
import { HookSender } from '../src/hooks/hook-sender.ts';

let stack: NodeStack;
const clients = new ClientPool();

const client = (framing: 'json' | 'msgpack' = 'json'): Promise<TestClient> => clients.open(stack.wsUrl, framing);

async function getJson(path: string): Promise<any> {
  const res = await fetch(`${stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${stack.env.DUET_API_KEY}` } });
  return res.json();
}

async function hello(c: TestClient, token: string, resume?: string): Promise<any> {
  const res = await c.request('hello', { v: 1, token, ...(resume ? { resume } : {}) });
  expect(res, JSON.stringify(res)).toMatchObject({ ok: true });
  return (res as any).data;
}

/** Both seated; returns the clients and the tutor's/student's hello data. */
async function seatBoth(opts: { recording?: boolean; minutes?: number } = {}) {
  const lesson = await stack.lesson(opts);
  const tutor = await client('msgpack');
  const th = await hello(tutor, lesson.tutorToken);
  const student = await client('json');
  const sh = await hello(student, lesson.studentToken);
  return { lesson, tutor, student, th, sh };
}

/** Hooks the node sent for a lesson, one entry per event id (retries fold in; last answer wins); mode moves apart. */
function hooksOf(sessionId: string, opts: { modes?: boolean } = {}) {
  const byId = new Map<string, (typeof stack.proxy.hooks)[number]>();
  for (const h of stack.proxy.hooks) if (h.session_id === sessionId) byId.set(h.id, { ...(byId.get(h.id) ?? h), status: h.status });
  return [...byId.values()].filter((h) => (h.type === 'session.mode_changed') === (opts.modes ?? false));
}

/** A lesson's hooks still in the node's spool (batch files at its root, one JSON event a line). */
function spooledHooks(sessionId: string): unknown[] {
  return readdirSync(stack.spoolDir)
    .filter((f) => f.endsWith('.ndjson'))
    .flatMap((f) => {
      try {
        return readFileSync(join(stack.spoolDir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
      } catch {
        return []; // deleted meanwhile: all its hooks acknowledged
      }
    })
    .filter((e) => e.session_id === sessionId);
}

beforeAll(async () => {
  stack = await startNodeStack({
    RECONNECT_GRACE_MS: '1500',
    P2P_ICE_TIMEOUT_MS: '2000',
    P2P_SWITCH_TIMEOUT_MS: '3000',
    LESSON_WARNING_MINUTES: '0.15,0.05',
    LESSON_SCHEDULE_REFRESH_MS: '1000',
    SIGNALING_QUIET_MS: '1000',
  });
});
afterAll(async () => {
  clients.closeAll();
  await stack?.stop();
});

describe('presence and resume', () => {
  it('a dropped participant keeps its seat, the other side sees reconnecting then back, and P2P restarts ICE', async () => {
    const { lesson, tutor, student, sh } = await seatBoth();
    expect(sh.resumeToken).toEqual(expect.any(String));
    expect(sh.lesson).toMatchObject({ endsAt: expect.any(String), serverNow: expect.any(String), warningMinutes: [0.15, 0.05] });
    await tutor.next('mode');
    await tutor.request('p2p.status', { state: 'connected' });
    await student.request('p2p.status', { state: 'connected' });

    student.ws.terminate(); // the network drops: no close handshake
    expect(await tutor.until(() => tutor.notifications.find((n) => n.t === 'peer.presence'))).toMatchObject({ role: 'student', presence: 'reconnecting', graceMs: 1500 });

    const back = await client('json');
    const again = await hello(back, lesson.studentToken, sh.resumeToken);
    expect(again).toMatchObject({ resumed: true, mode: 'p2p', resumeToken: sh.resumeToken, peer: { role: 'tutor', presence: 'present' } });
    await tutor.until(() => tutor.notifications.find((n) => n.t === 'peer.presence' && n.presence === 'present'));
    // Same client, P2P: the offerer is asked to restart ICE (no fresh negotiation).
    await tutor.next('p2p.restartIce');
    expect(tutor.notifications.filter((n) => n.t === 'peer.left')).toHaveLength(0);

    await expect
      .poll(() => hooksOf(lesson.id).map((h) => `${h.type}:${h.data.role}${h.data.resumed ? ':resumed' : ''}`), { timeout: 10_000 })
      .toEqual(['participant.joined:tutor', 'participant.joined:student', 'participant.reconnecting:student', 'participant.joined:student:resumed']);
  });

  it('a pinging client that goes silent with its socket open (a cut link): the other side sees reconnecting, then present at its next frame; the seat and hooks are untouched', async () => {
    const { lesson, tutor, student } = await seatBoth();
    await tutor.next('mode');
    for (let i = 0; i < 2; i++) expect(await student.request('ping')).toMatchObject({ ok: true });
    // Silence (no frames, the socket stays open): past SIGNALING_QUIET_MS the tutor is told.
    const quiet = await tutor.until(() => tutor.notifications.find((n) => n.t === 'peer.presence'), 4_000);
    expect(quiet).toEqual({ t: 'peer.presence', role: 'student', presence: 'reconnecting' });
    expect(await student.request('ping')).toMatchObject({ ok: true });
    await tutor.until(() => tutor.notifications.find((n) => n.t === 'peer.presence' && n.presence === 'present'), 2_000);
    // The tutor never pinged and was silent just as long: a client that does not ping is never "quiet".
    expect(student.notifications.filter((n) => n.t === 'peer.presence')).toHaveLength(0);
    expect(tutor.notifications.filter((n) => n.t === 'peer.left')).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(hooksOf(lesson.id).map((h) => h.type)).toEqual(['participant.joined', 'participant.joined']);
  });

  it('after the grace the seat goes: peer.left(grace_expired), back to waiting', async () => {
    const { lesson, tutor, student } = await seatBoth();
    await tutor.next('mode');
    student.ws.terminate();
    const left = await tutor.until(() => tutor.notifications.find((n) => n.t === 'peer.left'), 8_000);
    expect(left).toEqual({ t: 'peer.left', role: 'student', reason: 'grace_expired' });
    await tutor.until(() => tutor.notifications.find((n) => n.t === 'mode' && n.mode === 'waiting'));
    await expect.poll(() => hooksOf(lesson.id).map((h) => h.type), { timeout: 10_000 }).toContain('participant.left');
    expect(hooksOf(lesson.id).find((h) => h.type === 'participant.left')!.data).toMatchObject({ role: 'student', reason: 'grace_expired' });
    // The API hears every mode move (the lesson's timeline: `duet lessons trace`), and accepts it.
    await expect.poll(() => hooksOf(lesson.id, { modes: true }).map((h) => `${h.data.mode}:${h.data.reason}:${h.status}`), { timeout: 10_000 }).toEqual(['p2p:both_present:200', 'waiting:peer_left:200']);
  });

  it('a resume in SFU mode keeps the transports, and ICE can be restarted on them', async () => {
    const { lesson, student, sh } = await seatBoth({ recording: true });
    expect(sh.mode).toBe('sfu');
    await student.request('sfu.capabilities');
    const t = (await student.request('sfu.createTransport', { direction: 'recv' })) as any;
    student.ws.terminate();
    const back = await client('msgpack');
    expect(await hello(back, lesson.studentToken, sh.resumeToken)).toMatchObject({ resumed: true, mode: 'sfu' });
    const restarted = (await back.request('sfu.restartIce', { transportId: t.data.transportId })) as any;
    expect(restarted).toMatchObject({ ok: true, data: { iceParameters: { usernameFragment: expect.any(String), password: expect.any(String) } } });
    expect(restarted.data.iceParameters.usernameFragment).not.toBe(t.data.iceParameters.usernameFragment);
  });

  it('a resume while the old socket still looks open (a cut link) is a resume: the transports are kept', async () => {
    const { lesson, student, sh } = await seatBoth({ recording: true });
    await student.request('sfu.capabilities');
    const t = (await student.request('sfu.createTransport', { direction: 'recv' })) as any;
    // No terminate: the server has not noticed anything when the client comes back.
    const back = await client('msgpack');
    expect(await hello(back, lesson.studentToken, sh.resumeToken)).toMatchObject({ resumed: true, mode: 'sfu' });
    expect(await back.request('sfu.restartIce', { transportId: t.data.transportId })).toMatchObject({ ok: true });
    await student.until(() => student.closed);
    expect(student.closed!.code).toBe(4001);
  });

  it('a resume without the matching token (another tab) starts media fresh', async () => {
    const { lesson, student } = await seatBoth({ recording: true });
    await student.request('sfu.capabilities');
    const t = (await student.request('sfu.createTransport', { direction: 'recv' })) as any;
    student.ws.terminate();
    const other = await client('json');
    expect(await hello(other, lesson.studentToken, 'not-the-token')).toMatchObject({ resumed: true });
    expect(await other.request('sfu.restartIce', { transportId: t.data.transportId })).toMatchObject({ ok: false, error: { code: 'media_error' } });
  });
});

describe('P2P -> SFU fallback', () => {
  it('switches when P2P ICE does not connect in time, keeping P2P until both have SFU media', async () => {
    const { lesson, tutor, student } = await seatBoth();
    await tutor.next('mode');
    const t0 = Date.now();
    const sfu = await tutor.until(() => tutor.notifications.find((n) => n.t === 'mode' && n.mode === 'sfu'), 8_000);
    expect(sfu).toEqual({ t: 'mode', mode: 'sfu', initiator: false, reason: 'p2p_timeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_500);
    await student.until(() => student.notifications.find((n) => n.t === 'mode' && n.mode === 'sfu'));
    // Make before break: P2P signalling still flows, and p2p.close waits for both sides.
    expect(await tutor.request('p2p.signal', { signal: { kind: 'offer', sdp: 'v=0' } })).toMatchObject({ ok: true });
    expect(await tutor.request('sfu.capabilities')).toMatchObject({ ok: true });
    await tutor.request('sfu.ready');
    await new Promise((r) => setTimeout(r, 300));
    expect(tutor.notifications.some((n) => n.t === 'p2p.close')).toBe(false);
    await student.request('sfu.ready');
    await tutor.next('p2p.close');
    await student.next('p2p.close');
    expect(await tutor.request('p2p.signal', { signal: { kind: 'offer', sdp: 'v=0' } })).toMatchObject({ ok: false, error: { code: 'wrong_mode' } });
    await expect.poll(() => hooksOf(lesson.id, { modes: true }).map((h) => `${h.data.mode}:${h.data.reason}`), { timeout: 10_000 }).toEqual(['p2p:both_present', 'sfu:p2p_timeout']);
  });

  it('switches when a side reports P2P failed after its ICE restart, and stays on the SFU after a rejoin', async () => {
    const { lesson, tutor, student } = await seatBoth();
    await tutor.next('mode');
    await tutor.request('p2p.status', { state: 'connected' });
    await student.request('p2p.status', { state: 'connected' });
    expect(await student.request('p2p.status', { state: 'restarting' })).toMatchObject({ ok: true, data: { mode: 'p2p' } });
    await tutor.next('p2p.restartIce'); // the offerer is asked to restart
    expect(await student.request('p2p.status', { state: 'failed' })).toMatchObject({ ok: true, data: { mode: 'sfu' } });
    expect(await tutor.until(() => tutor.notifications.find((n) => n.t === 'mode' && n.mode === 'sfu'))).toMatchObject({ reason: 'p2p_failed' });
    // Without sfu.ready from both, the switch still completes after P2P_SWITCH_TIMEOUT_MS.
    await tutor.until(() => tutor.notifications.find((n) => n.t === 'p2p.close'), 6_000);
    expect(await client().then(async (c) => (await c.request('hello', { v: 1, token: lesson.studentToken })) as any)).toMatchObject({ ok: true, data: { mode: 'sfu' } });
  });
});

describe('the lesson clock', () => {
  it('warns both sides before the end, ends the room itself at the end, and refuses rejoining', async () => {
    // A 15-second lesson; this node warns at 0.15 and 0.05 minutes (9 s and 3 s) before the end.
    const { lesson, tutor, student, th } = await seatBoth({ minutes: 0.25 });
    const endsAt = Date.parse(th.lesson.endsAt);
    expect(endsAt).toBe(Date.parse(lesson.scheduledEnd));
    const w1 = await student.until(() => student.notifications.find((n) => n.t === 'lesson.warning'), 15_000);
    expect(w1).toMatchObject({ minutesLeft: 0.15, endsAt: th.lesson.endsAt });
    expect(Date.now()).toBeGreaterThanOrEqual(endsAt - 9_000 - 500);
    await tutor.until(() => tutor.notifications.find((n) => n.t === 'lesson.warning' && n.minutesLeft === 0.05), 10_000);
    const ended = await tutor.until(() => tutor.notifications.find((n) => n.t === 'session.ended'), 10_000);
    expect(ended).toEqual({ t: 'session.ended', reason: 'time_up' });
    expect(Date.now()).toBeGreaterThanOrEqual(endsAt - 250);
    await student.until(() => student.closed);
    expect(student.closed!.code).toBe(4002);
    await expect.poll(() => hooksOf(lesson.id).map((h) => h.type), { timeout: 5_000 }).toEqual(expect.arrayContaining(['session.warning', 'session.ended']));
    expect(hooksOf(lesson.id).find((h) => h.type === 'session.ended')!.data).toEqual({ reason: 'time_up' });
    const late = await client();
    expect(await late.request('hello', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: false, error: { code: 'lesson_unavailable' } });
  }, 40_000);

  it('respects an extension granted through the API: both hear the new end, and the room does not end at the old one', async () => {
    const { lesson, tutor, student, th } = await seatBoth({ minutes: 0.25 });
    const res = await fetch(`${stack.apiUrl}/v1/sessions/${lesson.id}/extend`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.env.DUET_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ minutes: 1 }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const moved = await student.until(() => student.notifications.find((n) => n.t === 'lesson.schedule'), 8_000);
    expect(Date.parse(moved.endsAt) - Date.parse(th.lesson.endsAt)).toBe(60_000);
    await tutor.until(() => tutor.notifications.find((n) => n.t === 'lesson.schedule'));
    // Past the original end (15 s) with margin: still running.
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(th.lesson.endsAt) + 2_000 - Date.now())));
    expect(student.notifications.some((n) => n.t === 'session.ended')).toBe(false);
    expect(await student.request('ping')).toMatchObject({ ok: true });
    expect(await tutor.request('lesson.end')).toMatchObject({ ok: true });
  }, 40_000);

  it('only the tutor can end the lesson early; both are told and the API hears ended_by_tutor', async () => {
    const { lesson, tutor, student } = await seatBoth();
    expect(await student.request('lesson.end')).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await tutor.request('lesson.end')).toMatchObject({ ok: true });
    expect(await student.next('session.ended')).toEqual({ t: 'session.ended', reason: 'ended_by_tutor' });
    await tutor.until(() => tutor.closed);
    await expect.poll(() => hooksOf(lesson.id).find((h) => h.type === 'session.ended')?.data, { timeout: 5_000 }).toEqual({ reason: 'ended_by_tutor' });
    await expect.poll(() => hooksOf(lesson.id).filter((h) => h.type === 'participant.left').length, { timeout: 15_000 }).toBe(2);
    // ended first, then each attendance interval closes
    const types = hooksOf(lesson.id).map((h) => h.type);
    expect(types.indexOf('session.ended')).toBeLessThan(types.lastIndexOf('participant.left'));
  });
});

describe('chat, app data and active speaker', () => {
  it('relays small app data to the other side only, with a size cap', async () => {
    const { tutor, student } = await seatBoth();
    expect(await tutor.request('app.data', { topic: 'whiteboard.cursor', data: { x: 1, y: 2 } })).toMatchObject({ ok: true });
    expect(await student.next('app.data')).toEqual({ t: 'app.data', from: 'tutor', topic: 'whiteboard.cursor', data: { x: 1, y: 2 } });
    expect(tutor.notifications.some((n) => n.t === 'app.data')).toBe(false);
    expect(await tutor.request('app.data', { topic: 'big', data: 'x'.repeat(5000) })).toMatchObject({ ok: false, error: { code: 'payload_too_large' } });
    expect(await tutor.request('app.data', { topic: 'bad topic!', data: 1 })).toMatchObject({ ok: false, error: { code: 'invalid_message' } });
  });

  it('elects the active speaker from P2P speaking reports and tells both', async () => {
    const { tutor, student } = await seatBoth();
    await student.request('media.speaking', { speaking: true });
    expect(await tutor.next('speaker')).toEqual({ t: 'speaker', role: 'student' });
    await student.request('media.speaking', { speaking: false });
    await student.until(() => student.notifications.filter((n) => n.t === 'speaker').length >= 2);
    expect(student.notifications.filter((n) => n.t === 'speaker').at(-1)).toEqual({ t: 'speaker', role: null });
  });

  it('stores chat through the API, delivers it to both, and sends the history on (re)join', async () => {
    const { lesson, tutor, student } = await seatBoth();
    const id = randomUUID();
    const sent = (await tutor.request('chat.send', { messageId: id, text: 'Hello Sam' })) as any;
    expect(sent, JSON.stringify(sent)).toMatchObject({ ok: true, data: { message: { id, role: 'tutor', text: 'Hello Sam', name: 'Tara Tutor' } } });
    expect(await student.next('chat.message')).toMatchObject({ message: { id, text: 'Hello Sam' } });
    // Idempotent by id: a retry after a lost response stores nothing new.
    expect(await tutor.request('chat.send', { messageId: id, text: 'Hello Sam' })).toMatchObject({ ok: true });
    const again = await client();
    const h = await hello(again, lesson.studentToken);
    expect(h.chat.map((m: any) => m.id)).toEqual([id]);
    expect(await tutor.request('chat.send', { messageId: 'nope', text: 'x' })).toMatchObject({ ok: false, error: { code: 'invalid_message' } });
  });
});

describe('opening a room', () => {
  it('asks the API once: the seat check carries the lesson and its chat; a live room asks only the seat check', async () => {
    const lesson = await stack.lesson();
    const saved = { id: randomUUID(), role: 'student', user_id: (await getJson(`/v1/sessions/${lesson.id}`)).student.id, name: 'Sam', text: 'before the lesson', sent_at: new Date().toISOString() };
    const stored = await fetch(`${stack.apiUrl}/internal/sessions/${lesson.id}/chat`, { method: 'POST', headers: { authorization: `Bearer ${stack.env.INTERNAL_HOOK_SECRET}`, 'content-type': 'application/json' }, body: JSON.stringify(saved) });
    expect(stored.status).toBe(201);
    const ofLesson = () => stack.proxy.requests.filter((r) => r.includes(lesson.id) && !r.startsWith('POST /internal/hooks'));
    const tutor = await client();
    const th = await hello(tutor, lesson.tutorToken);
    expect(th.chat).toEqual([expect.objectContaining({ id: saved.id, text: 'before the lesson', role: 'student' })]);
    // The lesson facts came with the seat check: the room runs on the lesson's real schedule.
    expect(th.lesson).toMatchObject({ sessionId: lesson.id, endsAt: lesson.scheduledEnd, scheduledEnd: lesson.scheduledEnd });
    expect(ofLesson()).toEqual([`POST /internal/sessions/${lesson.id}/seat-check?include=lesson`]);
    const student = await client();
    const sh = await hello(student, lesson.studentToken);
    expect(sh.chat.map((m: any) => m.id)).toEqual([saved.id]);
    expect(ofLesson()).toEqual([`POST /internal/sessions/${lesson.id}/seat-check?include=lesson`, `POST /internal/sessions/${lesson.id}/seat-check`]);
  });

  it('with an API that predates `include=lesson`, the room asks for the lesson and chat itself', async () => {
    const lesson = await stack.lesson();
    const studentId = (await getJson(`/v1/sessions/${lesson.id}`)).student.id;
    const saved = { id: randomUUID(), role: 'student', user_id: studentId, name: 'Sam', text: 'hi', sent_at: new Date().toISOString() };
    await fetch(`${stack.apiUrl}/internal/sessions/${lesson.id}/chat`, { method: 'POST', headers: { authorization: `Bearer ${stack.env.INTERNAL_HOOK_SECRET}`, 'content-type': 'application/json' }, body: JSON.stringify(saved) });
    stack.proxy.setOldSeatCheck(true);
    try {
      const th = await hello(await client(), lesson.tutorToken);
      expect(th.chat.map((m: any) => m.id)).toEqual([saved.id]);
      expect(th.lesson).toMatchObject({ sessionId: lesson.id, endsAt: lesson.scheduledEnd });
      const asked = stack.proxy.requests.filter((r) => r.includes(lesson.id) && !r.startsWith('POST /internal/hooks'));
      expect(asked.sort()).toEqual([`GET /internal/sessions/${lesson.id}`, `GET /internal/sessions/${lesson.id}/chat?limit=200`, `POST /internal/sessions/${lesson.id}/seat-check?include=lesson`]);
    } finally {
      stack.proxy.setOldSeatCheck(false);
    }
  });
});

describe('hooks across an API outage', () => {
  it('are spooled to disk while the API is down and delivered in order, once, when it is back', async () => {
    const lesson = await stack.lesson();
    stack.proxy.setDown(true);
    try {
      // hello needs the API (lesson facts), so the room opens first through a quick up-down.
      stack.proxy.setDown(false);
      const tutor = await client();
      await hello(tutor, lesson.tutorToken);
      const student = await client();
      await hello(student, lesson.studentToken);
      await expect.poll(() => hooksOf(lesson.id).length, { timeout: 5_000 }).toBe(2);
      await expect.poll(() => hooksOf(lesson.id, { modes: true }).length, { timeout: 5_000 }).toBe(1);
      stack.proxy.setDown(true);
      await student.request('leave');
      await tutor.request('leave');
      await new Promise((r) => setTimeout(r, 1_000));
      // Two participant.left and the move back to waiting.
      expect(spooledHooks(lesson.id)).toHaveLength(3);
      expect(stack.signaling.stats().pendingHooks).toBeGreaterThanOrEqual(2);
    } finally {
      stack.proxy.setDown(false);
    }
    stack.signaling.hooks.kick();
    await expect.poll(() => hooksOf(lesson.id).map((h) => `${h.type}:${h.data.role}`), { timeout: 15_000 }).toEqual([
      'participant.joined:tutor',
      'participant.joined:student',
      'participant.left:student',
      'participant.left:tutor',
    ]);
    expect(hooksOf(lesson.id).every((h) => h.status === 200)).toBe(true);
    await expect.poll(async () => (await getJson(`/v1/sessions/${lesson.id}`)).status, { timeout: 5_000 }).toBe('completed');
    // A batch file goes right after the acknowledgement of its last hook, asynchronously (HookSender.done).
    await expect.poll(() => spooledHooks(lesson.id).length, { timeout: 5_000 }).toBe(0);
  });

  it('a restarted node replays what was left in its spool, with the same event ids', async () => {
    const lesson = await stack.lesson();
    const spoolDir = join(stack.spoolDir, 'restart-test');
    const events = [
      newEvent('participant.joined', lesson.id, { role: 'tutor', user_id: 'demo-tutor' }),
      newEvent('participant.left', lesson.id, { role: 'tutor', user_id: 'demo-tutor', reason: 'left' }),
    ];
    stack.proxy.setDown(true);
    const first = new HookSender({ url: `${stack.proxy.url}/internal/hooks`, secret: stack.env.INTERNAL_HOOK_SECRET!, spoolDir });
    for (const e of events) first.send(e);
    await new Promise((r) => setTimeout(r, 500));
    first.stop(); // the node dies with both hooks undelivered
    stack.proxy.setDown(false);
    expect(hooksOf(lesson.id)).toHaveLength(0);
    const second = new HookSender({ url: `${stack.proxy.url}/internal/hooks`, secret: stack.env.INTERNAL_HOOK_SECRET!, spoolDir });
    await second.idle();
    expect(hooksOf(lesson.id).map((h) => h.id)).toEqual(events.map((e) => e.id));
    expect(second.pending()).toBe(0);
    const attendance = await getJson(`/v1/sessions/${lesson.id}/attendance`);
    expect(attendance.participants.find((p: any) => p.role === 'tutor').intervals).toHaveLength(1);
    second.stop();
  });
});
