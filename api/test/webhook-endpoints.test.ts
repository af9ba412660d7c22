// Issue 16 item 3: webhook endpoints managed through the API. The secret is shown once; a test ping
// arrives signed; events carry api_version; during a secret roll both signatures are sent and each
// verifies; a failing endpoint is disabled after WEBHOOK_DISABLE_AFTER_DAYS with an event to the
// others; non-public URLs are refused (the SSRF rules); env endpoints keep working beside them.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verify } from '../src/events/signature.ts';
import { API_KEY, DB_KINDS, createLesson, eventually, startApiOn, type TestApi } from './support/harness.ts';

const ENV_SECRET = 'env-endpoint-secret-0123456789abcd';

async function startReceiver() {
  const got: { path: string; raw: string; body: any; signature: string }[] = [];
  const status = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      got.push({ path: req.url ?? '', raw, body: JSON.parse(raw), signature: String(req.headers['duet-signature']) });
      res.writeHead(status.get(req.url ?? '') ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, got, status, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe.each(DB_KINDS)('webhook endpoints through the API (%s)', (kind) => {
  let api: TestApi;
  let strict: TestApi;
  let rx: Awaited<ReturnType<typeof startReceiver>>;
  const op = (method: string, path: string, body?: unknown) => api.request(method, path, { token: API_KEY, body });

  beforeAll(async () => {
    rx = await startReceiver();
    const env = {
      WEBHOOK_ENDPOINTS: JSON.stringify([{ url: `${rx.base}/env`, secret: ENV_SECRET }]),
      WEBHOOK_POLL_MS: '50',
      WEBHOOK_RETRY_BASE_MS: '20',
      WEBHOOK_RETRY_MAX_MS: '40',
    };
    api = await startApiOn(kind, { ...env, WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
    strict = await startApiOn(kind);
  });
  afterAll(async () => {
    await api?.close();
    await strict?.close();
    await rx?.close();
  });

  it('refuses non-public and credentialed URLs unless WEBHOOK_ALLOW_PRIVATE_URLS', async () => {
    for (const url of [
      `${rx.base}/a`,
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:10.0.0.5]/x',
      'http://[::1]:8080/x',
      'http://localhost:9/x',
      'http://10.1.2.3/x',
      'https://user:pw@hooks.example.com/x',
      'ftp://hooks.example.com/x',
      'http://0x7f000001/x',
    ]) {
      const res = await strict.request('POST', '/v1/webhook-endpoints', { token: API_KEY, body: { url } });
      expect(res.status, url).toBe(400);
      expect(res.body.error.code, url).toBe('webhook_url_not_allowed');
    }
  });

  it('creates (secret once), pings, delivers events with api_version, and rolls the secret with two signatures', async () => {
    const created = await op('POST', '/v1/webhook-endpoints', { url: `${rx.base}/api`, description: 'main' });
    expect(created.status).toBe(201);
    const { endpoint, secret } = created.body;
    expect(secret).toMatch(/^whsec_/);
    const listed = await op('GET', '/v1/webhook-endpoints');
    expect(listed.body.endpoints.map((e: any) => e.id)).toContain(endpoint.id);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect((await op('POST', '/v1/webhook-endpoints', { url: `${rx.base}/env` })).status).toBe(409);

    const ping = await op('POST', `/v1/webhook-endpoints/${endpoint.id}/test`);
    expect(ping.body).toMatchObject({ delivered: true, status_code: 200, error: null });
    const pinged = rx.got.find((g) => g.body.id === ping.body.event_id)!;
    expect(pinged.body).toMatchObject({ type: 'ping', api_version: '2026-12-01', session_id: null, data: { endpoint_id: endpoint.id } });
    expect(verify(secret, pinged.raw, pinged.signature).ok).toBe(true);

    // An event reaches both the API endpoint and the env endpoint, each signed with its own secret.
    const lesson = await createLesson(api, { metadata: { booking_id: 'bk_7' } });
    await op('POST', `/v1/sessions/${lesson.id}/cancel`, { reason: 'moved' });
    const viaApi = await eventually(() => rx.got.find((g) => g.path === '/api' && g.body.session_id === lesson.id));
    const viaEnv = await eventually(() => rx.got.find((g) => g.path === '/env' && g.body.session_id === lesson.id));
    expect(viaApi.body).toMatchObject({ api_version: '2026-12-01', metadata: { booking_id: 'bk_7' }, type: 'session.status_changed' });
    expect(verify(secret, viaApi.raw, viaApi.signature).ok).toBe(true);
    expect(verify(ENV_SECRET, viaEnv.raw, viaEnv.signature).ok).toBe(true);

    // Roll: the new secret is shown once; deliveries carry v1= for both until the roll ends.
    const rolled = await op('POST', `/v1/webhook-endpoints/${endpoint.id}/roll-secret`, { overlap_seconds: 3600 });
    expect(rolled.status).toBe(200);
    const next = rolled.body.secret;
    expect(next).not.toBe(secret);
    expect(rolled.body.endpoint.secret_rolling_until).not.toBeNull();
    const ping2 = await op('POST', `/v1/webhook-endpoints/${endpoint.id}/test`);
    const during = rx.got.find((g) => g.body.id === ping2.body.event_id)!;
    expect(during.signature.match(/v1=/g)).toHaveLength(2);
    expect(verify(next, during.raw, during.signature).ok).toBe(true);
    expect(verify(secret, during.raw, during.signature).ok).toBe(true);
    // A roll without overlap: only the newest secret signs.
    const third = (await op('POST', `/v1/webhook-endpoints/${endpoint.id}/roll-secret`, { overlap_seconds: 0 })).body.secret;
    const ping3 = await op('POST', `/v1/webhook-endpoints/${endpoint.id}/test`);
    const after = rx.got.find((g) => g.body.id === ping3.body.event_id)!;
    expect(after.signature.match(/v1=/g)).toHaveLength(1);
    expect(verify(third, after.raw, after.signature).ok).toBe(true);
    expect(verify(next, after.raw, after.signature).ok).toBe(false);

    // Types filter and deletion.
    const patched = await op('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { types: ['session.rescheduled'] });
    expect(patched.body.endpoint.types).toEqual(['session.rescheduled']);
    expect((await op('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { types: ['no.such'] })).status).toBe(400);
    expect((await op('DELETE', `/v1/webhook-endpoints/${endpoint.id}`)).status).toBe(204);
    expect((await op('GET', `/v1/webhook-endpoints/${endpoint.id}`)).status).toBe(404);
  });

  it('disables an endpoint failing for WEBHOOK_DISABLE_AFTER_DAYS, with an event to the others', async () => {
    const failingPath = `/failing-${randomUUID()}`;
    rx.status.set(failingPath, 500);
    const { endpoint } = (await op('POST', '/v1/webhook-endpoints', { url: `${rx.base}${failingPath}` })).body;
    const lesson = await createLesson(api);
    await op('POST', `/v1/sessions/${lesson.id}/cancel`, { reason: 'x' });
    await eventually(async () => ((await op('GET', `/v1/webhook-endpoints/${endpoint.id}`)).body.endpoint.failing_since ? true : undefined));
    // Its streak began 4 days ago (default WEBHOOK_DISABLE_AFTER_DAYS = 3): the next failure disables it.
    await api.server.sql`update webhook_endpoints set failing_since = now() - interval '4 days' where id = ${endpoint.id}`;
    const disabledEvent = await eventually(() => rx.got.find((g) => g.path === '/env' && g.body.type === 'webhook_endpoint.disabled' && g.body.data.endpoint_id === endpoint.id), 15_000);
    expect(disabledEvent.body).toMatchObject({ session_id: null, data: { reason: 'failing', disable_after_days: 3 } });
    expect((await op('GET', `/v1/webhook-endpoints/${endpoint.id}`)).body.endpoint).toMatchObject({ enabled: false, disabled_reason: 'failing' });
    const metrics = await api.request('GET', '/metrics');
    expect(metrics.body).toMatch(/duet_webhook_endpoints\{state="disabled"\} [1-9]/);
    // Turned back on: the streak starts over.
    const on = await op('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { enabled: true });
    expect(on.body.endpoint).toMatchObject({ enabled: true, failing_since: null, disabled_at: null });
  });
});
