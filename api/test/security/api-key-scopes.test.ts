// Issue 16 item 2: named API keys with scopes. Every /v1 operation of the served OpenAPI document is
// called with a `read` key and a `lessons` key: a read key can call no operation that writes, a
// lessons key no operator operation (creating keys included); rotation overlaps, revocation is at
// once, the bootstrap DUET_API_KEY keeps every scope, and no secret reaches a log line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, DB_KINDS, createLesson, startApiOn, type TestApi } from '../support/harness.ts';

describe.each(DB_KINDS)('API keys and scopes (%s)', (kind) => {
  let api: TestApi;
  const logs: string[] = [];
  const keys: Record<'read' | 'lessons' | 'operator', string> = { read: '', lessons: '', operator: '' };

  beforeAll(async () => {
    api = await startApiOn(kind, { LOG_LEVEL: 'info' }, { logStream: { write: (l: string) => void logs.push(l) } });
    for (const scope of ['read', 'lessons', 'operator'] as const) {
      const res = await api.request('POST', '/v1/api-keys', { token: API_KEY, body: { name: `${scope} key`, scopes: [scope] } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.secret).toMatch(/^duet_sk_[A-Za-z0-9_-]{43}$/);
      expect(res.body.key).toMatchObject({ scopes: [scope], status: 'active', prefix: res.body.secret.slice(0, 12) });
      keys[scope] = res.body.secret;
    }
  });
  afterAll(() => api?.close());

  it('walks every /v1 operation: read keys never write, lessons keys never operate', async () => {
    const doc = (await api.request('GET', '/docs/json')).body;
    const problems: string[] = [];
    let walked = 0;
    for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
      if (!path.startsWith('/v1/')) continue;
      for (const [method, op] of Object.entries<any>(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const scope = op['x-duet-scope'];
        const where = `${method.toUpperCase()} ${path}`;
        if (!['read', 'lessons', 'operator', 'participant', 'public'].includes(scope)) problems.push(`${where}: no x-duet-scope`);
        if (method !== 'get' && (scope === 'read' || scope === 'public')) problems.push(`${where}: a write declared ${scope}`);
        const url = path.replace(/\{[^}]+\}/g, 'x0');
        const call = (token: string) => api.request(method.toUpperCase(), url, { token, body: method === 'get' || method === 'delete' ? undefined : {} });
        walked++;
        const asRead = await call(keys.read);
        const readMayCall = scope === 'read' || scope === 'public';
        if (!readMayCall && !(asRead.status === 403 && asRead.body?.error?.code === 'insufficient_scope')) problems.push(`${where}: read key got ${asRead.status} ${asRead.body?.error?.code}`);
        if (readMayCall && asRead.body?.error?.code === 'insufficient_scope') problems.push(`${where}: read key refused a read`);
        const asLessons = await call(keys.lessons);
        const lessonsMayCall = scope === 'read' || scope === 'public' || scope === 'lessons';
        if (!lessonsMayCall && !(asLessons.status === 403 && asLessons.body?.error?.code === 'insufficient_scope')) problems.push(`${where}: lessons key got ${asLessons.status} ${asLessons.body?.error?.code}`);
        if (lessonsMayCall && asLessons.body?.error?.code === 'insufficient_scope') problems.push(`${where}: lessons key refused its own scope`);
      }
    }
    expect(problems).toEqual([]);
    expect(walked).toBeGreaterThan(50);
  });

  it('lets each scope do its own work, and the bootstrap key everything', async () => {
    const lesson = await createLesson({ request: (m, p, o) => api.request(m, p, { ...o, token: keys.lessons }) });
    expect((await api.request('GET', `/v1/sessions/${lesson.id}`, { token: keys.read })).status).toBe(200);
    expect((await api.request('PATCH', `/v1/sessions/${lesson.id}`, { token: keys.read, body: { title: 'x' } })).status).toBe(403);
    expect((await api.request('PATCH', `/v1/sessions/${lesson.id}`, { token: keys.lessons, body: { title: 'Renamed' } })).status).toBe(200);
    expect((await api.request('GET', '/v1/nodes', { token: keys.operator })).status).toBe(200);
    expect((await api.request('GET', '/v1/nodes', { token: keys.lessons })).status).toBe(403);
    // Scope escalation: a lessons key cannot mint itself an operator key.
    const escalate = await api.request('POST', '/v1/api-keys', { token: keys.lessons, body: { name: 'mine', scopes: ['operator'] } });
    expect(escalate.status).toBe(403);
    expect(escalate.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'operator' });
    expect((await api.request('GET', '/v1/api-keys', { token: API_KEY })).status).toBe(200);
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/join`, { token: keys.operator })).status).toBe(403);
  });

  it('rotates with an overlap, revokes at once, and refuses look-alike keys', async () => {
    const created = await api.request('POST', '/v1/api-keys', { token: keys.operator, body: { name: 'rotating', scopes: ['read'] } });
    const { id } = created.body.key;
    const old = created.body.secret;
    const rotated = await api.request('POST', `/v1/api-keys/${id}/rotate`, { token: keys.operator, body: { overlap_seconds: 3600 } });
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.secret;
    expect(fresh).not.toBe(old);
    expect(rotated.body.key.previous_secret_expires_at).not.toBeNull();
    expect((await api.request('GET', '/v1/sessions', { token: old })).status).toBe(200);
    expect((await api.request('GET', '/v1/sessions', { token: fresh })).status).toBe(200);
    // No overlap: the old secret stops at once.
    const again = await api.request('POST', `/v1/api-keys/${id}/rotate`, { token: keys.operator, body: { overlap_seconds: 0 } });
    expect((await api.request('GET', '/v1/sessions', { token: again.body.secret })).status).toBe(200);
    expect((await api.request('GET', '/v1/sessions', { token: fresh })).body.error.code).toBe('api_key_invalid');
    expect((await api.request('GET', '/v1/sessions', { token: old })).status).toBe(401);
    // A key cannot revoke itself (an operator would lock themselves out); another operator key can.
    expect((await api.request('POST', `/v1/api-keys/${id}/revoke`, { token: keys.operator })).status).toBe(200);
    expect((await api.request('GET', '/v1/sessions', { token: again.body.secret })).status).toBe(401);
    const list = (await api.request('GET', '/v1/api-keys', { token: keys.operator })).body.keys;
    expect(list.find((k: any) => k.id === id)).toMatchObject({ status: 'revoked' });
    expect(JSON.stringify(list)).not.toMatch(/duet_sk_[A-Za-z0-9_-]{43}/);
    // Same prefix, wrong body; and the right secret with a character changed.
    for (const bad of [`duet_sk_${'A'.repeat(43)}`, keys.read.slice(0, -1) + (keys.read.endsWith('A') ? 'B' : 'A'), `${keys.read}x`]) {
      expect((await api.request('GET', '/v1/sessions', { token: bad })).status).toBe(401);
    }
  });

  it('never logs a key secret', () => {
    const all = logs.join('\n');
    for (const secret of Object.values(keys)) expect(all).not.toContain(secret);
    expect(all).not.toMatch(/duet_sk_[A-Za-z0-9_-]{43}/);
  });
});
