// The pre-join route probe (sfu.probe) against a real mediasoup worker: a standby socket gets a
// transport on the node's media ports that really answers ICE (a STUN binding check over UDP, as a
// browser sends it), and it is bounded: standby sockets only (not before authentication, not once
// seated), one open per socket, closed after its lifetime, at the join and at the socket's close,
// the per-kind bucket and the node-wide cap; nobody in the lesson is told.
// Run inside signaling/test/standby.test.ts on its stack (no second API + node for these checks).
import { describe, expect, it } from 'vitest';
import type { NodeStack } from './stack.ts';
import { TestClient } from './ws-client.ts';
import { iceAnswers } from './stun.ts';

const LIFETIME_MS = 700;
/** What the stack these tests run on must be started with. */
export const ROUTE_PROBE_ENV = { SIGNALING_PROBE_LIFETIME_MS: String(LIFETIME_MS), SIGNALING_MAX_PROBES: '2' };

interface Probe {
  iceParameters: { usernameFragment: string; password: string; iceLite: boolean };
  iceCandidates: { address: string; port: number; protocol: 'udp' | 'tcp'; type: string; tcpType?: string }[];
  dtlsParameters: { fingerprints: unknown[] };
  lifetimeMs: number;
}

async function probe(c: TestClient): Promise<Probe> {
  const r = (await c.request('sfu.probe')) as unknown as { ok: boolean; data: Probe; error?: unknown };
  if (!r.ok) throw new Error(`sfu.probe refused: ${JSON.stringify(r.error)}`);
  return r.data;
}

/** Whether the probe's UDP candidate answers an ICE check now. */
function answers(p: Probe, timeoutMs = 600): Promise<boolean> {
  const udp = p.iceCandidates.find((c) => c.protocol === 'udp')!;
  return iceAnswers(udp.address, udp.port, p.iceParameters.usernameFragment, p.iceParameters.password, timeoutMs);
}

/** `clients`: closed by the caller's afterAll. */
export function describeRouteProbe(getStack: () => NodeStack, clients: TestClient[]): void {
  async function client(): Promise<TestClient> {
    const c = await TestClient.open(getStack().wsUrl, 'msgpack');
    clients.push(c);
    return c;
  }

  async function standby(token: string): Promise<TestClient> {
    const c = await client();
    expect(await c.request('standby', { v: 1, token })).toMatchObject({ ok: true });
    return c;
  }
  const stack = { lesson: () => getStack().lesson() };

  describe('sfu.probe (pre-join route check)', () => {
    it('gives a standby socket a transport on the node ports that answers ICE, then closes it after its lifetime', async () => {
      const lesson = await stack.lesson();
      const tutor = await client();
      expect(await tutor.request('hello', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: true });
      // Seated sockets have no use for it; unauthenticated ones get nothing.
      expect(await tutor.request('sfu.probe')).toMatchObject({ ok: false, error: { code: 'already_authenticated' } });
      const anon = await client();
      expect(await anon.request('sfu.probe')).toMatchObject({ ok: false, error: { code: 'not_authenticated' } });

      const student = await standby(lesson.studentToken);
      const started = Date.now();
      const p = await probe(student);
      expect(p.lifetimeMs).toBe(LIFETIME_MS);
      expect(p.iceParameters.iceLite).toBe(true);
      // The node's own candidates: its UDP port and its ICE-TCP (passive) port, no relay.
      expect(p.iceCandidates.map((c) => c.protocol).sort()).toEqual(['tcp', 'udp']);
      expect(p.iceCandidates.every((c) => c.address === '127.0.0.1' && c.type === 'host')).toBe(true);
      expect(await answers(p)).toBe(true);
      // One at a time per socket.
      expect(await student.request('sfu.probe')).toMatchObject({ ok: false, error: { code: 'rate_limited', message: expect.stringContaining('already open') } });
      // Its lifetime over, it is gone: no more ICE answers.
      await new Promise((r) => setTimeout(r, Math.max(0, started + LIFETIME_MS + 100 - Date.now())));
      expect(await answers(p, 400)).toBe(false);
      // A probe is nobody's business in the lesson: no presence, no mode change.
      expect(tutor.notifications.filter((n) => n.t === 'peer.joined' || n.t === 'mode' || n.t === 'peer.presence')).toEqual([]);
      student.close();
      anon.close();
    });

    it('closes the probe at the join and at the socket close', async () => {
      const lesson = await stack.lesson();
      const student = await standby(lesson.studentToken);
      const p = await probe(student);
      expect(await student.request('join')).toMatchObject({ ok: true });
      expect(await answers(p, 400)).toBe(false);
      expect(await student.request('sfu.probe')).toMatchObject({ ok: false, error: { code: 'already_authenticated' } });

      const tutor = await standby(lesson.tutorToken);
      const q = await probe(tutor);
      expect(await answers(q)).toBe(true);
      tutor.close();
      await expect.poll(() => answers(q, 300), { timeout: 3_000 }).toBe(false);
      student.close();
    });

    it('is bounded per socket (kind bucket) and per node', async () => {
      const [a, b] = [await stack.lesson(), await stack.lesson()];
      const one = await standby(a.studentToken);
      const two = await standby(a.tutorToken);
      const three = await standby(b.studentToken);
      // The node holds at most SIGNALING_MAX_PROBES (2) at once.
      await probe(one);
      await probe(two);
      expect(await three.request('sfu.probe')).toMatchObject({ ok: false, error: { code: 'rate_limited', message: expect.stringContaining('on this node') } });
      // The kind bucket: 3 at once, then one per 5 s (`one` spent 1, `three` 1, these 2 more).
      expect(await three.request('sfu.probe')).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
      expect(await three.request('sfu.probe')).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
      const flood = (await three.request('sfu.probe')) as { ok: boolean; error?: { message: string } };
      expect(flood).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
      expect(flood.error!.message).not.toContain('on this node'); // the bucket refused it, not the node cap
      for (const c of [one, two, three]) c.close();
    });
  });
}
