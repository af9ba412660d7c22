// A hook wakes the webhook delivery loop only when its transaction wrote a delivery. Every join and
// leave is a hook; with no endpoint taking those events each wake-up was a claim query for nothing
// (one per hook at 200 joins/s in the signaling bench). With an endpoint taking the type (from
// WEBHOOK_ENDPOINTS or managed through the API) the loop is woken as before, so delivery stays prompt.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { loadApiConfig } from '../src/config.ts';
import type { AppContext } from '../src/context.ts';
import { applyHook } from '../src/services/hooks-service.ts';
import { insertEndpoint } from '../src/repositories/webhook-endpoints-repo.ts';
import { DB_KINDS, createLesson, hookEvent, startApiOn, testEnv, type TestApi } from './support/harness.ts';


describe.each(DB_KINDS)('hooks wake the delivery loop only for deliveries (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind);
  });
  afterAll(() => api?.close());

  /** A context on the API's own database, with `WEBHOOK_ENDPOINTS` as given, counting wake-ups. */
  function contextWith(endpoints: unknown[]): { ctx: AppContext; wakeups: () => number } {
    let n = 0;
    const config = loadApiConfig(testEnv('pglite:memory', { WEBHOOK_ENDPOINTS: JSON.stringify(endpoints) }));
    const ctx: AppContext = {
      config,
      sql: api.server.sql,
      objects: null as never,
      log: pino({ level: 'silent' }),
      now: () => new Date(),
      publicUrl: () => api.url,
      eventsCommitted: () => void n++,
    };
    return { ctx, wakeups: () => n };
  }
  const deliveriesOf = async (eventId: string) => (await api.server.sql`select endpoint_url from webhook_deliveries where event_id = ${eventId}`).map((r) => r.endpoint_url as string);

  it('no endpoint takes the event: applied, recorded, no delivery and no wake-up', async () => {
    const lesson = await createLesson(api);
    const { ctx, wakeups } = contextWith([]);
    const joined = hookEvent('participant.joined', lesson.id, { role: 'tutor', user_id: lesson.tutor.id });
    expect(await applyHook(ctx, joined)).toEqual({ duplicate: false });
    expect(wakeups()).toBe(0);
    expect(await deliveriesOf(joined.id)).toEqual([]);
    // The hook did everything else: the event is in the log and the lesson is waiting.
    const [event] = await api.server.sql`select type from events where id = ${joined.id}`;
    expect(event?.type).toBe('participant.joined');
    const [row] = await api.server.sql`select status from sessions where id = ${lesson.id}`;
    expect(row?.status).toBe('waiting');
    // A replay (duplicate) wakes nothing either.
    expect(await applyHook(ctx, joined)).toEqual({ duplicate: true });
    expect(wakeups()).toBe(0);
  });

  it('an environment endpoint for the type: one delivery, one wake-up; for other types only: none', async () => {
    const lesson = await createLesson(api);
    const url = 'https://marketplace.example/duet-left';
    const { ctx, wakeups } = contextWith([{ url, secret: 'whsec-0123456789abcdef0123456789', types: ['participant.left'] }]);
    const joined = hookEvent('participant.joined', lesson.id, { role: 'student', user_id: lesson.student.id });
    await applyHook(ctx, joined);
    expect(wakeups()).toBe(0);
    expect(await deliveriesOf(joined.id)).toEqual([]);
    const left = hookEvent('participant.left', lesson.id, { role: 'student', user_id: lesson.student.id });
    await applyHook(ctx, left);
    expect(wakeups()).toBe(1);
    expect(await deliveriesOf(left.id)).toEqual([url]);
  });

  it('an endpoint managed through the API for the type: one delivery, one wake-up', async () => {
    const lesson = await createLesson(api);
    const url = `https://marketplace.example/managed-${randomUUID()}`;
    const endpoint = await insertEndpoint(api.server.sql, { id: `we_${randomUUID()}`, url, description: null, types: ['participant.joined'], secret: 'whsec-managed-0123456789abcdef' });
    try {
      const { ctx, wakeups } = contextWith([]);
      const joined = hookEvent('participant.joined', lesson.id, { role: 'tutor', user_id: lesson.tutor.id });
      await applyHook(ctx, joined);
      expect(wakeups()).toBe(1);
      expect(await deliveriesOf(joined.id)).toEqual([url]);
    } finally {
      await api.server.sql`update webhook_endpoints set enabled = false where id = ${endpoint.id}`;
    }
  });
});
