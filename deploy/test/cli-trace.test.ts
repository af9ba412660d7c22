// `duet lessons trace <id>` run as the real binary against a real API (PGlite) whose lesson got
// the hooks a media node sends (signed, through /internal/hooks, as the node does), a client's
// first-frame report, and webhook deliveries to two real endpoints — one that accepts, one that
// answers 500. The timeline shows them in order, with the mode moves and the failing endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { createApiServer, loadApiConfig, type ApiServer } from '@duet/api';
import { newEvent, sign, type EventType } from '@duet/api/events';
import { freePort } from '../src/testing/index.ts';
import { REPO_ROOT, run } from './support/exec.ts';

const API_KEY = `duet_trace_${randomBytes(16).toString('hex')}`;
const HOOK_SECRET = randomBytes(32).toString('hex');
let api: ApiServer;
let apiUrl: string;
let receiver: Server;
let lessonId: string;

const duet = (args: string[]) =>
  run(process.execPath, [join(REPO_ROOT, 'deploy/bin/duet.ts'), ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DUET_API_URL: apiUrl, DUET_API_KEY: API_KEY },
    timeoutMs: 60_000,
  });

async function call(method: string, path: string, body: unknown, token = API_KEY) {
  const res = await fetch(apiUrl + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

async function hook(type: EventType, data: Record<string, unknown>, at: Date) {
  const event = { ...newEvent(type, lessonId, data), created_at: at.toISOString() };
  const raw = JSON.stringify(event);
  const res = await fetch(`${apiUrl}/internal/hooks`, { method: 'POST', headers: { 'content-type': 'application/json', 'duet-signature': sign(HOOK_SECRET, raw) }, body: raw });
  expect(res.status, `${type}: ${await res.clone().text()}`).toBe(200);
}

beforeAll(async () => {
  const port = await freePort();
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(req.url === '/ok' ? 204 : 500).end());
  });
  await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', r));
  api = createApiServer(
    loadApiConfig({
      DATABASE_URL: 'pglite:memory',
      API_PORT: '0',
      DUET_API_KEY: API_KEY,
      JOIN_TOKEN_SECRET: randomBytes(32).toString('hex'),
      INTERNAL_HOOK_SECRET: HOOK_SECRET,
      LOG_LEVEL: 'silent',
      WEBHOOK_ENDPOINTS: JSON.stringify([
        { url: `http://127.0.0.1:${port}/ok`, secret: randomBytes(16).toString('hex') },
        { url: `http://127.0.0.1:${port}/broken`, secret: randomBytes(16).toString('hex'), types: ['session.ended'] },
      ]),
    }),
  );
  apiUrl = (await api.start()).url;
});
afterAll(async () => {
  await api?.close();
  receiver?.close();
});

describe('duet lessons trace', () => {
  it("prints the lesson's timeline: joins, drops, mode moves, client reports, end, webhook deliveries", async () => {
    const created = await duet(['lessons', 'create', '--title', 'Trace me', '--tutor', 't-1:Tia', '--student', 's-1:Sam', '--in', '0', '--minutes', '30', '--json']);
    expect(created.code, created.stderr).toBe(0);
    lessonId = JSON.parse(created.stdout).id;
    const t0 = Date.now();
    const at = (s: number) => new Date(t0 + s * 1000);
    await hook('participant.joined', { role: 'tutor', user_id: 't-1' }, at(1));
    await hook('participant.joined', { role: 'student', user_id: 's-1' }, at(2));
    await hook('session.mode_changed', { mode: 'p2p', reason: 'both_present' }, at(2.1));
    await hook('session.mode_changed', { mode: 'sfu', reason: 'p2p_timeout' }, at(12));
    await hook('participant.reconnecting', { role: 'student', user_id: 's-1' }, at(20));
    await hook('participant.joined', { role: 'student', user_id: 's-1', resumed: true }, at(23));
    // The client's own report, with its participant token.
    const token = (await call('POST', `/v1/sessions/${lessonId}/tokens`, { role: 'student' })).body.token;
    expect((await call('POST', `/v1/sessions/${lessonId}/analytics`, { type: 'first_frame', at: at(3).toISOString(), data: { ms: 420, mode: 'p2p' } }, token)).status).toBe(202);
    await hook('session.ended', { reason: 'ended_by_tutor' }, at(40));
    await hook('participant.left', { role: 'student', user_id: 's-1', reason: 'ended' }, at(41));
    await hook('participant.left', { role: 'tutor', user_id: 't-1', reason: 'ended' }, at(41));
    // Bad mode data is refused (never stored).
    const bad = { ...newEvent('session.mode_changed', lessonId, { mode: 'warp', reason: 'x' }) };
    const raw = JSON.stringify(bad);
    const refused = await fetch(`${apiUrl}/internal/hooks`, { method: 'POST', headers: { 'content-type': 'application/json', 'duet-signature': sign(HOOK_SECRET, raw) }, body: raw });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: 'invalid_event_data' } });

    // Wait until the broken endpoint has been tried at least once.
    await expect
      .poll(async () => (await (await fetch(`${apiUrl}/v1/webhooks/deliveries?session_id=${lessonId}&endpoint_url=${encodeURIComponent(`http://127.0.0.1:${new URL(receiverUrl()).port}/broken`)}`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()).deliveries[0]?.attempts ?? 0, { timeout: 30_000 })
      .toBeGreaterThan(0);

    const r = await duet(['lessons', 'trace', lessonId]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^lesson ${lessonId} "Trace me" — `));
    const body = lines.slice(2);
    const idx = (re: RegExp) => {
      const i = body.findIndex((l) => re.test(l));
      expect(i, `${re} in\n${r.stdout}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    const order = [
      idx(/lesson\s+created\s+scheduled .* -> /),
      idx(/event\s+participant\.joined\s+tutor t-1$/),
      idx(/event\s+participant\.joined\s+student s-1$/),
      idx(/event\s+session\.mode_changed\s+media p2p \(both_present\)/),
      idx(/client\s+first_frame\s+student: first video after 420 ms \(p2p\)/),
      idx(/event\s+session\.mode_changed\s+media sfu \(p2p_timeout\)/),
      idx(/event\s+participant\.reconnecting\s+student s-1 dropped/),
      idx(/event\s+participant\.joined\s+student s-1 \(resumed\)/),
      idx(/event\s+session\.ended\s+ended_by_tutor/),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(body.some((l) => /webhook\s+participant\.joined\s+#\d+ -> http:\/\/127\.0\.0\.1:\d+\/ok: delivered after 1 attempt/.test(l)), r.stdout).toBe(true);
    expect(body.some((l) => /webhook\s+session\.ended\s+#\d+ -> http:\/\/127\.0\.0\.1:\d+\/broken: pending, [1-9]\d* attempt\(s\) so far: .*500/.test(l)), r.stdout).toBe(true);
    expect(body.some((l) => /warp/.test(l))).toBe(false);

    const json = JSON.parse((await duet(['lessons', 'trace', lessonId, '--json'])).stdout);
    expect(json.lesson.id).toBe(lessonId);
    expect(json.timeline.filter((e: any) => e.source === 'event' && e.what === 'session.mode_changed').map((e: any) => e.detail)).toEqual(['media p2p (both_present)', 'media sfu (p2p_timeout)']);
  });

  it('refuses bad usage and unknown lessons with clear errors', async () => {
    const noId = await duet(['lessons', 'trace']);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toContain('usage: duet lessons trace <lesson id>');
    const unknown = await duet(['lessons', 'trace', '00000000-0000-4000-8000-000000000000']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/404/);
  });
});

function receiverUrl() {
  const a = receiver.address();
  return typeof a === 'object' && a ? `http://127.0.0.1:${a.port}` : '';
}
