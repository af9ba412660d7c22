// Test helpers: a database of either kind, a running API on it, and a small HTTP client.
import type { Socket } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { inject } from 'vitest';
import { loadApiConfig } from '../../src/config.ts';
import { checkResponsesAgainstSchemas } from './response-check.ts';
import { createApiServer, type ApiServer, type ApiServerOptions } from '../../src/server.ts';
import type { DuetEvent } from '../../src/events/event.ts';
import { sign } from '../../src/events/signature.ts';

export type DbKind = 'pglite' | 'postgres';
/** For describe.each: every suite runs against embedded PGlite and a real PostgreSQL server. */
export const DB_KINDS: [DbKind][] = [['pglite'], ['postgres']];

export const API_KEY = 'test-api-key-0123456789abcdef';
export const JOIN_SECRET = 'test-join-token-secret-0123456789abcdef';
export const HOOK_SECRET = 'test-internal-hook-secret-0123456789abcdef';

export interface TestDatabase {
  /** DATABASE_URL for the API. */
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh database: a new database on the shared PostgreSQL server, or PGlite (in memory, or in
 * a temp dir when it must survive an API restart).
 */
export async function createTestDatabase(kind: DbKind, opts: { persistent?: boolean } = {}): Promise<TestDatabase> {
  if (kind === 'pglite') {
    if (!opts.persistent) return { url: 'pglite:memory', drop: async () => {} };
    const dir = await mkdtemp(join(tmpdir(), 'duet-pglite-'));
    return { url: `pglite:${dir}`, drop: () => rm(dir, { recursive: true, force: true }) };
  }
  const adminUrl = inject('postgresAdminUrl');
  const name = `duet_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}

// Local object storage for tests goes to a temp dir, never into the repo's ./data.
const OBJECTS_DIR = join(tmpdir(), `duet-test-objects-${process.pid}-${randomBytes(4).toString('hex')}`);

export function testEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    OBJECTS_DIR,
    API_HOST: '127.0.0.1',
    API_PORT: '0',
    DUET_API_KEY: API_KEY,
    JOIN_TOKEN_SECRET: JOIN_SECRET,
    INTERNAL_HOOK_SECRET: HOOK_SECRET,
    LOG_LEVEL: 'silent',
    ...extra,
  };
}

export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestApi {
  server: ApiServer;
  url: string;
  request<T = any>(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<Res<T>>;
  close(): Promise<void>;
}

/** A small JSON HTTP client for an API at `url` (also used against an API running as a child process). */
export function httpClient(url: string): TestApi['request'] {
  return async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(url + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (e.g. HTML)
    }
    return { status: res.status, body: parsed as any, headers: res.headers };
  };
}

export async function startApi(
  databaseUrl: string,
  extraEnv: Record<string, string> = {},
  options: ApiServerOptions = {},
): Promise<TestApi> {
  const config = loadApiConfig(testEnv(databaseUrl, extraEnv));
  // An in-memory PGlite starts from the run's migrated seed (global-setup.ts) when there is one.
  if (config.database.kind === 'pglite' && config.database.dataDir === null) {
    const seed = await pgliteSeed();
    if (seed) config.database = { ...config.database, seed };
  }
  // Lesson jobs are driven explicitly in tests (server.runLessonJobs) unless a test turns them on.
  const server = createApiServer(config, { lessonJobs: false, ...options });
  checkResponsesAgainstSchemas(server.app);
  const { url } = await server.start();
  // Every connection the server accepted, so a close held up in "http" can name what holds it.
  const sockets = new Set<Socket>();
  server.app.server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  return {
    server,
    url,
    request: httpClient(url),
    close: async () => {
      // A close that hangs (three times in 30 fresh runs, PGlite, signed-url-links) never returns
      // to print its slow steps: say where it is while it waits (it still fails by its timeout).
      const t0 = Date.now();
      const watch = setInterval(() => console.warn(`[api close] still in step "${server.closingStep}" after ${Math.round((Date.now() - t0) / 1000)} s; done: ${server.closeSteps.map((s) => `${s.step} ${s.ms} ms`).join(', ') || 'none'}; open connections: ${describeSockets(sockets)}`), 10_000);
      try {
        await server.close();
      } finally {
        clearInterval(watch);
      }
      // A close that drags is a hang waiting to happen: say which step, in the test's output.
      const slow = server.closeSteps.filter((s) => s.ms > 3_000);
      if (slow.length > 0) console.warn(`[api close] slow steps: ${slow.map((s) => `${s.step} ${s.ms} ms`).join(', ')}`);
    },
  };
}

/** What each open server connection is doing: idle, or the request whose response has not finished. */
function describeSockets(sockets: Set<Socket>): string {
  if (sockets.size === 0) return 'none';
  return [...sockets]
    .map((s) => {
      const res = (s as unknown as { _httpMessage?: { req?: { method?: string; url?: string }; statusCode?: number; headersSent?: boolean; writableEnded?: boolean; writableFinished?: boolean } })._httpMessage;
      if (!res) return `idle(destroyed ${s.destroyed}, readable ${s.readable}, pending ${s.pending})`;
      return `${res.req?.method} ${res.req?.url?.split('?')[0]} status ${res.statusCode} headersSent ${res.headersSent} ended ${res.writableEnded} finished ${res.writableFinished}`;
    })
    .join(' | ');
}

let seedBytes: Promise<Buffer | undefined> | undefined;
/** The migrated PGlite seed of this run (read once per test file), or none outside the api project. */
async function pgliteSeed(): Promise<Blob | undefined> {
  const path = inject('pgliteSeedPath') as string | undefined;
  if (!path) return undefined;
  seedBytes ??= readFile(path).catch(() => undefined);
  const bytes = await seedBytes;
  return bytes ? new Blob([new Uint8Array(bytes)]) : undefined;
}

/** A started API on a fresh database of `kind`; `close` also drops the database. */
export async function startApiOn(
  kind: DbKind,
  extraEnv: Record<string, string> = {},
  options: ApiServerOptions = {},
): Promise<TestApi> {
  const db = await createTestDatabase(kind);
  const api = await startApi(db.url, extraEnv, options);
  return {
    ...api,
    async close() {
      await api.close();
      await db.drop();
    },
  };
}

const iso = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString();
export const MINUTE = 60_000;

export function lessonBody(overrides: Record<string, unknown> = {}) {
  const n = randomBytes(4).toString('hex');
  return {
    title: 'Algebra, lesson 3',
    scheduled_start: iso(5 * MINUTE),
    scheduled_end: iso(65 * MINUTE),
    recording: false,
    tutor: { id: `tutor-${n}`, name: 'Ada Tutor', avatar_url: 'https://example.test/ada.png' },
    student: { id: `student-${n}`, name: 'Sam Student' },
    ...overrides,
  };
}

export async function createLesson(api: Pick<TestApi, 'request'>, overrides: Record<string, unknown> = {}) {
  const res = await api.request('POST', '/v1/sessions', { token: API_KEY, body: lessonBody(overrides) });
  if (res.status !== 201) throw new Error(`create lesson: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function mintToken(api: Pick<TestApi, 'request'>, sessionId: string, role: 'tutor' | 'student'): Promise<string> {
  const res = await api.request('POST', `/v1/sessions/${sessionId}/tokens`, { token: API_KEY, body: { role } });
  if (res.status !== 201) throw new Error(`mint token: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token;
}

/** A lifecycle event as a media node or recorder sends it (fresh id, created now unless `at`). */
export function hookEvent(type: string, sessionId: string, data: Record<string, unknown>, at: Date = new Date()): DuetEvent {
  return { id: `evt_${randomUUID()}`, type: type as DuetEvent['type'], created_at: at.toISOString(), session_id: sessionId, data };
}

export async function sendHook(
  api: Pick<TestApi, 'request'>,
  event: DuetEvent,
  opts: { secret?: string; nowSeconds?: number; signature?: string } = {},
): Promise<Res> {
  const raw = JSON.stringify(event);
  const signature = opts.signature ?? sign(opts.secret ?? HOOK_SECRET, raw, opts.nowSeconds);
  return api.request('POST', '/internal/hooks', {
    rawBody: raw,
    headers: { 'content-type': 'application/json', 'duet-signature': signature },
  });
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
