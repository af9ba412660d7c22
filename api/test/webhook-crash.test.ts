// kill -9 of the API while webhooks are in flight loses nothing: the API runs as a child process,
// is killed mid-delivery, restarted on the same database, and the receiver (deduping by event id,
// as marketplaces must) ends up with every event.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  API_KEY,
  DB_KINDS,
  createLesson,
  createTestDatabase,
  eventually,
  httpClient,
  sendHook,
  testEnv,
} from './support/harness.ts';
import { exited, freePort, startApi } from './support/api-process.ts';

describe.each(DB_KINDS)('kill -9 during webhook delivery (%s)', (kind) => {
  it('delivers every event after a restart, each id at least once', { timeout: 120_000 }, async () => {
    // A slow marketplace: each request is held for 300 ms, so deliveries are in flight when we kill.
    const received = new Map<string, number>();
    let requests = 0;
    const receiver: Server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        requests++;
        setTimeout(() => {
          const id = JSON.parse(raw).id as string;
          received.set(id, (received.get(id) ?? 0) + 1);
          res.writeHead(200).end();
        }, 300);
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const rxUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const db = await createTestDatabase(kind, { persistent: true });
    const port = await freePort();
    const env = {
      ...testEnv(db.url, {
        API_PORT: String(port),
        LOG_LEVEL: 'warn',
        WEBHOOK_ENDPOINTS: JSON.stringify([{ url: rxUrl, secret: 'whsec-crash-0123456789' }]),
        WEBHOOK_POLL_MS: '50',
        WEBHOOK_TIMEOUT_MS: '2000',
        WEBHOOK_RETRY_BASE_MS: '100',
        WEBHOOK_RETRY_MAX_MS: '500',
      }),
    };
    const url = `http://127.0.0.1:${port}`;
    const api = { request: httpClient(url) };
    const start = async (): Promise<ChildProcess> => (await startApi(env, url)).child;

    let child = await start();
    try {
      const lessons: any[] = [];
      for (let i = 0; i < 6; i++) {
        const lesson = await createLesson(api);
        lessons.push(lesson);
        for (const [type, role] of [['participant.joined', 'tutor'], ['participant.joined', 'student'], ['participant.left', 'student'], ['participant.left', 'tutor']] as const) {
          const user_id = role === 'tutor' ? lesson.tutor.id : lesson.student.id;
          const res = await sendHook(api, { id: `evt_${randomUUID()}`, type, created_at: new Date().toISOString(), session_id: lesson.id, data: { role, user_id } });
          expect(res.status, JSON.stringify(res.body)).toBe(200);
        }
      }
      // Kill -9 while requests are held open by the receiver (sent, not yet acknowledged).
      await eventually(() => (requests >= 3 ? true : undefined), 30_000);
      child.kill('SIGKILL');
      await exited(child);
      const beforeRestart = received.size;

      child = await start();
      const eventIds: string[] = [];
      for (const l of lessons) {
        const res = await api.request('GET', `/v1/sessions/${l.id}/events`, { token: API_KEY });
        eventIds.push(...res.body.events.map((e: any) => e.id));
      }
      expect(eventIds).toHaveLength(6 * 7); // 4 participant events + waiting, started, ended per lesson
      await eventually(() => (eventIds.every((id) => received.has(id)) ? true : undefined), 60_000);
      // Rows whose request was in flight at the kill are sent again once their lease runs out.
      await eventually(async () => {
        const pending = await api.request('GET', '/v1/webhooks/deliveries?status=pending', { token: API_KEY });
        return pending.body.deliveries.length === 0 ? true : undefined;
      }, 60_000);
      const log = await api.request('GET', '/v1/webhooks/deliveries?limit=1000', { token: API_KEY });
      expect(log.body.deliveries).toHaveLength(eventIds.length);
      expect(log.body.deliveries.every((d: any) => d.status === 'delivered')).toBe(true);
      expect(beforeRestart).toBeLessThan(eventIds.length); // the kill really happened mid-delivery
      // Nothing was sent that is not an event of ours.
      expect([...received.keys()].every((id) => eventIds.includes(id))).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await exited(child);
      await new Promise((r) => receiver.close(r));
      await db.drop();
    }
  });
});
