// Configuration, start-up (migrations, restart on the same database) and what reaches the logs.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadApiConfig } from '../src/config.ts';
import { loadMigrations, migrate } from '../src/db/migrate.ts';
import {
  API_KEY,
  DB_KINDS,
  HOOK_SECRET,
  JOIN_SECRET,
  createLesson,
  createTestDatabase,
  mintToken,
  startApi,
  type TestDatabase,
} from './support/harness.ts';

const base = { DUET_API_KEY: API_KEY, JOIN_TOKEN_SECRET: JOIN_SECRET, INTERNAL_HOOK_SECRET: HOOK_SECRET };

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadApiConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('loadApiConfig', () => {
  it('has sensible defaults', () => {
    const c = loadApiConfig({ ...base, DUET_DATA_DIR: '/srv/duet' });
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      publicUrl: null,
      database: { kind: 'pglite', dataDir: '/srv/duet/pglite' },
      joinEarlyMinutes: 15,
      joinTokenTtlSeconds: 14_400,
      signalingPublicUrl: 'ws://127.0.0.1:8090/ws',
      iceServers: [],
      webhookEndpoints: [],
      logLevel: 'info',
    });
    expect(c.webDistDir).toMatch(/\/web\/dist$/);
  });

  it('reads LESSON_WARNING_MINUTES like the media node and rejects bad lists', () => {
    expect(loadApiConfig(base).warningMinutes).toEqual([5, 1]);
    expect(loadApiConfig({ ...base, LESSON_WARNING_MINUTES: '1, 10,5,10' }).warningMinutes).toEqual([10, 5, 1]);
    for (const bad of ['0', '5,x', '241', '5,,1', '-1'])
      expect(problemsOf({ ...base, LESSON_WARNING_MINUTES: bad }).join()).toContain('LESSON_WARNING_MINUTES');
  });

  it('keeps only a digest of the API key', () => {
    const c = loadApiConfig(base);
    expect(JSON.stringify(c)).not.toContain(API_KEY);
    expect(c.apiKeySha256).toHaveLength(32);
  });

  it('reads every variable', () => {
    const c = loadApiConfig({
      ...base,
      API_HOST: '0.0.0.0',
      API_PORT: '0',
      PUBLIC_URL: 'https://duet.example.test/',
      DATABASE_URL: 'postgres://u:p@db:5432/duet',
      JOIN_EARLY_MINUTES: '5',
      JOIN_TOKEN_TTL_SECONDS: '600',
      SIGNALING_PUBLIC_URL: 'wss://media.example.test/ws',
      ICE_SERVERS: '[{"urls":["turn:t.example.test:3478"],"username":"u","credential":"c"}]',
      WEBHOOK_ENDPOINTS: '[{"url":"https://m.example.test/hooks/","secret":"wh-secret-7f3a9c2e51"}]',
      WEB_DIST_DIR: '/srv/web',
      LOG_LEVEL: 'warn',
      MEDIA_NODES: '[{"id":"eu-1","signaling_url":"wss://eu1.example.test/ws"},{"id":"us-1","signaling_url":"wss://us1.example.test/ws"}]',
      STUN_URLS: 'stun:s1.example.test:3478, stun:s2.example.test',
      TURN_URLS: 'turns:t.example.test:5349',
      TURN_SECRET: 'coturn-secret-0123456789',
      TURN_TTL_SECONDS: '120',
      SIGNED_URL_TTL_SECONDS: '30',
      LESSON_MAX_EXTENSION_MINUTES: '45',
      LESSON_JOBS_INTERVAL_MS: '500',
      JOIN_TOKEN_SINGLE_USE: 'true',
      WEB_ORIGIN: 'https://app.example.test/',
      RATE_LIMIT_MAX: '10',
      RATE_LIMIT_WINDOW_MS: '1000',
      RESOURCE_MAX_BYTES: '1000',
      RESOURCE_CONTENT_TYPES: 'application/pdf, image/*',
      WEBHOOK_MAX_AGE_SECONDS: '3600',
      S3_BUCKET: 'duet-objects',
      S3_ENDPOINT: 'http://s3.example.test:9000',
      METRICS_TOKEN: 'metrics-token-7f3a9c2e51',
      TRUST_PROXY: '10.0.0.0/8, 127.0.0.1',
      RATE_LIMIT_KEY_MAX: '700',
      RATE_LIMIT_SEAT_MAX: '70',
      CHAT_MAX_MESSAGES_PER_LESSON: '7',
      NOTES_MAX_CHARS: '77',
      ANALYTICS_MAX_EVENTS_PER_SEAT: '17',
      RESOURCES_MAX_PER_LESSON: '3',
      RESOURCES_MAX_BYTES_PER_LESSON: '3000',
    });
    expect(c.limits).toEqual({
      trustProxy: ['10.0.0.0/8', '127.0.0.1'],
      keyMax: 700,
      seatMax: 70,
      chatMaxPerLesson: 7,
      notesMaxChars: 77,
      analyticsMaxPerSeat: 17,
      resourcesMaxCount: 3,
      resourcesMaxTotalBytes: 3000,
    });
    expect(c).toMatchObject({
      mediaNodes: [
        { id: 'eu-1', signalingUrl: 'wss://eu1.example.test/ws' },
        { id: 'us-1', signalingUrl: 'wss://us1.example.test/ws' },
      ],
      stunUrls: ['stun:s1.example.test:3478', 'stun:s2.example.test'],
      turn: { urls: ['turns:t.example.test:5349'], secret: 'coturn-secret-0123456789', ttlSeconds: 120 },
      signedUrlTtlSeconds: 30,
      maxExtensionMinutes: 45,
      lessonJobsIntervalMs: 500,
      joinTokenSingleUse: true,
      webOrigin: 'https://app.example.test',
      rateLimitMax: 10,
      rateLimitWindowMs: 1000,
      resourceMaxBytes: 1000,
      resourceContentTypes: ['application/pdf', 'image/*'],
      webhookMaxAgeSeconds: 3600,
      storage: { kind: 's3', bucket: 'duet-objects', endpoint: 'http://s3.example.test:9000', forcePathStyle: true },
    });
    expect(c).toMatchObject({
      host: '0.0.0.0',
      port: 0,
      publicUrl: 'https://duet.example.test',
      database: { kind: 'postgres', url: 'postgres://u:p@db:5432/duet' },
      joinEarlyMinutes: 5,
      joinTokenTtlSeconds: 600,
      signalingPublicUrl: 'wss://media.example.test/ws',
      iceServers: [{ urls: ['turn:t.example.test:3478'], username: 'u', credential: 'c' }],
      webhookEndpoints: [{ url: 'https://m.example.test/hooks/', secret: 'wh-secret-7f3a9c2e51', types: null }],
      webDistDir: '/srv/web',
      logLevel: 'warn',
    });
    expect(loadApiConfig({ ...base, DATABASE_URL: 'pglite:memory' }).database).toEqual({ kind: 'pglite', dataDir: null });
  });

  it.each([
    [{ DUET_API_KEY: undefined }, /DUET_API_KEY is required/],
    [{ DUET_API_KEY: 'short' }, /DUET_API_KEY must be at least 24 characters/],
    [{ JOIN_TOKEN_SECRET: 'x'.repeat(31) }, /JOIN_TOKEN_SECRET must be at least 32/],
    [{ INTERNAL_HOOK_SECRET: '' }, /INTERNAL_HOOK_SECRET is required/],
    [{ INTERNAL_HOOK_SECRET: JOIN_SECRET }, /must differ/],
    [{ API_PORT: '70000' }, /API_PORT must be an integer between 0 and 65535/],
    [{ API_PORT: 'http' }, /API_PORT/],
    [{ PUBLIC_URL: 'duet.example.test' }, /PUBLIC_URL must be a http or https URL/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be/],
    [{ JOIN_EARLY_MINUTES: '-1' }, /JOIN_EARLY_MINUTES/],
    [{ JOIN_TOKEN_TTL_SECONDS: '10' }, /JOIN_TOKEN_TTL_SECONDS must be an integer between 60/],
    [{ SIGNALING_PUBLIC_URL: 'http://x/ws' }, /SIGNALING_PUBLIC_URL must be a ws or wss URL/],
    [{ ICE_SERVERS: '{' }, /ICE_SERVERS must be a JSON array/],
    [{ ICE_SERVERS: '[{"urls":"http://x"}]' }, /ICE_SERVERS\[0\]/],
    [{ WEBHOOK_ENDPOINTS: '[{"url":"ftp://x","secret":"wh-secret-7f3a9c2e51"}]' }, /WEBHOOK_ENDPOINTS\[0\].url/],
    [{ WEBHOOK_ENDPOINTS: '[{"url":"https://x"}]' }, /WEBHOOK_ENDPOINTS\[0\] must be \{url, secret\}/],
    [{ WEBHOOK_ENDPOINTS: '[{"url":"https://x","secret":"short"}]' }, /secret must be at least 16/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ MEDIA_NODES: '[{"id":"a b","signaling_url":"wss://x"}]' }, /MEDIA_NODES\[0\] must be/],
    [{ MEDIA_NODES: '[{"id":"a","signaling_url":"https://x"}]' }, /MEDIA_NODES\[0\].signaling_url must be a ws or wss URL/],
    [{ TURN_URLS: 'turn:x' }, /TURN_URLS needs TURN_SECRET/],
    [{ TURN_URLS: 'http://x', TURN_SECRET: 'x'.repeat(20) }, /TURN_URLS: "http:\/\/x" is not a turn/],
    [{ STUN_URLS: 'turn:x' }, /STUN_URLS/],
    [{ JOIN_TOKEN_SINGLE_USE: 'yes' }, /JOIN_TOKEN_SINGLE_USE must be true or false/],
    [{ WEB_ORIGIN: '*' }, /WEB_ORIGIN must be a http or https URL/],
    [{ RESOURCE_CONTENT_TYPES: 'pdf' }, /RESOURCE_CONTENT_TYPES: "pdf" is not a media type/],
    [{ WEBHOOK_ENDPOINTS: '[{"url":"https://x","secret":"0123456789abcdef","types":["session.exploded"]}]' }, /types must be a non-empty list/],
    [{ URL_SIGNING_SECRET: 'short' }, /URL_SIGNING_SECRET must be at least 32/],
    [{ FRAME_ANCESTORS: 'https://school.example/lessons' }, /FRAME_ANCESTORS: "https:\/\/school.example\/lessons" is not an http\(s\) origin/],
    [{ FRAME_ANCESTORS: '*' }, /FRAME_ANCESTORS: "\*" is not an http\(s\) origin/],
    [{ S3_BUCKET: 'b', S3_ENDPOINT: 'ftp://x' }, /S3_ENDPOINT must be an http\(s\) URL/],
  ])('reports %j clearly', (override, message) => {
    const problems = problemsOf({ ...base, ...override });
    expect(problems.join('\n')).toMatch(message);
  });

  it('reports all problems at once', () => {
    const problems = problemsOf({ API_PORT: 'x' });
    expect(problems).toHaveLength(4);
    expect(() => loadApiConfig({})).toThrow(/invalid API configuration/);
  });
});

describe.each(DB_KINDS)('start-up and restart (%s)', (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind, { persistent: true });
  });
  afterAll(() => db?.drop());

  it('migrates once, keeps data across a restart and re-syncs the transition table', { timeout: 120_000 }, async () => {
    const first = await startApi(db.url);
    const lesson = await createLesson(first);
    const migrations = await first.server.sql`select version from schema_migrations order by version`;
    expect(migrations.map((m) => m.version)).toEqual((await loadMigrations()).map((m) => m.version));
    // Someone adds an illegal move by hand; the next start puts the table back.
    await first.server.sql`insert into session_status_transitions values ('completed', 'live')`;
    await first.close();
    // Each shutdown step is timed, in order, so a close that drags names the step that dragged.
    expect(first.server.closeSteps.map((s) => s.step)).toEqual(['http', 'lesson jobs', 'webhook deliveries', 'database']);
    expect(first.server.closeSteps.every((s) => s.ms >= 0 && s.ms < 10_000)).toBe(true);

    const second = await startApi(db.url);
    try {
      expect((await second.request('GET', `/v1/sessions/${lesson.id}`, { token: API_KEY })).body).toEqual(lesson);
      const [row] = await second.server.sql`
        select count(*)::int as n from session_status_transitions where from_status = 'completed' and to_status = 'live'`;
      expect(row!.n).toBe(0);
      expect(await migrate(second.server.sql)).toEqual({ applied: [] });
      // A migration edited after it ran is refused rather than silently diverging.
      const edited = (await loadMigrations()).map((m, i) => (i === 0 ? { ...m, checksum: 'changed' } : m));
      await expect(migrate(second.server.sql, edited)).rejects.toThrow(/was changed after it was applied/);
    } finally {
      await second.close();
    }
  });

  it('builds join URLs from the address it listens on when PUBLIC_URL is unset', async () => {
    const api = await startApi(db.url);
    try {
      const lesson = await createLesson(api);
      const res = await api.request('POST', `/v1/sessions/${lesson.id}/tokens`, { token: API_KEY, body: { role: 'tutor' } });
      expect(res.body.join_url).toBe(`${api.url}/session/${lesson.id}#token=${res.body.token}`);
      expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await api.close();
    }
  });

  it('never logs credentials', async () => {
    const lines: string[] = [];
    const api = await startApi(db.url, { LOG_LEVEL: 'trace' }, { logStream: { write: (l) => void lines.push(l) } });
    try {
      const lesson = await createLesson(api);
      const token = await mintToken(api, lesson.id, 'student');
      await api.request('GET', `/v1/sessions/${lesson.id}`, { token });
      await api.request('POST', `/v1/sessions/${lesson.id}/join`, { token });
      await api.request('GET', `/internal/sessions/${lesson.id}`, { token: HOOK_SECRET });
      await api.request('GET', `/v1/sessions/${lesson.id}`, { token: `${API_KEY}-wrong` });
      // A signed download URL: its signature is a credential too.
      const sig = 'ab'.repeat(32);
      await api.request('GET', `/v1/sessions/${lesson.id}/resources/${randomUUID()}/content?exp=99&sig=${sig}`);
      await api.request('GET', `/v1/sessions/${lesson.id}?token=${token}`);
      // Code that logs headers or a token by mistake still logs no secret.
      api.server.app.log.info({ headers: { authorization: `Bearer ${token}`, 'duet-signature': 't=1,v1=ab' }, token }, 'probe');
      const all = lines.join('');
      expect(all).toContain('"msg":"probe"');
      expect(all).toContain('[redacted]');
      expect(all).toContain('sig=[redacted]');
      for (const secret of [API_KEY, JOIN_SECRET, HOOK_SECRET, token, 'v1=ab', sig]) expect(all).not.toContain(secret);
    } finally {
      await api.close();
    }
  });
});
