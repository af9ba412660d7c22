// The RUNBOOK's PostgreSQL backup and restore, exercised: an API on a real PostgreSQL holds
// lessons (with attendance, events and webhook deliveries), `pg_dump` as the RUNBOOK writes it,
// a NEW PostgreSQL server, `createdb` + `pg_restore` as the RUNBOOK writes them, and an API on
// the restored database serves the same lessons (and `duet lessons list` lists them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { createApiServer, loadApiConfig, type ApiServer } from '@duet/api';
import { newEvent, sign, type EventType } from '@duet/api/events';
import { findPostgresBin, startPostgresServer, type PostgresServer } from '../../api/test/support/postgres-server.ts';
import { DEPLOY_DIR, REPO_ROOT, run } from './support/exec.ts';

const API_KEY = `duet_backup_${randomBytes(16).toString('hex')}`;
const HOOK_SECRET = randomBytes(32).toString('hex');
const JOIN_SECRET = randomBytes(32).toString('hex');
const DUET_PASSWORD = randomBytes(12).toString('hex');
const runbook = readFileSync(join(DEPLOY_DIR, 'RUNBOOK.md'), 'utf8');

let servers: PostgresServer[] = [];
let dir: string;

/** The RUNBOOK's command line starting with `prefix`, split into argv (its shell bits substituted). */
function runbookCommand(prefix: string, substitute: Record<string, string>): string[] {
  const line = runbook.split('\n').find((l) => l.startsWith(prefix));
  expect(line, `RUNBOOK has a line starting "${prefix}"`).toBeTruthy();
  return line!
    .replace(/\s+#.*$/, '')
    .split(/\s+/)
    .map((w) => Object.entries(substitute).reduce((acc, [from, to]) => acc.split(from).join(to), w));
}

/** A `duet` role owning database `name` on `server`, as an operator sets it up. */
async function duetDatabase(server: PostgresServer, name: string): Promise<string> {
  const admin = postgres(server.url, { max: 1, onnotice: () => {} });
  try {
    const rows = await admin<{ n: number }[]>`select count(*)::int as n from pg_roles where rolname = 'duet'`;
    if (rows[0]?.n === 0) await admin.unsafe(`create role duet login password '${DUET_PASSWORD}'`);
  } finally {
    await admin.end();
  }
  const u = new URL(server.url);
  // The RUNBOOK's `createdb -O duet <name>`, against this server.
  const createdb = runbookCommand('createdb -O duet', { duet_restored: name });
  const r = await run(join(findPostgresBin(), createdb[0]!), [...createdb.slice(1), '-h', u.hostname, '-p', u.port, '-U', 'postgres'], { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) } });
  expect(r.code, r.stderr).toBe(0);
  return `postgres://duet:${DUET_PASSWORD}@${u.hostname}:${u.port}/${name}`;
}

async function startApi(databaseUrl: string): Promise<{ api: ApiServer; url: string }> {
  const api = createApiServer(
    loadApiConfig({ DATABASE_URL: databaseUrl, API_PORT: '0', DUET_API_KEY: API_KEY, JOIN_TOKEN_SECRET: JOIN_SECRET, INTERNAL_HOOK_SECRET: HOOK_SECRET, LOG_LEVEL: 'silent', WEBHOOK_ENDPOINTS: JSON.stringify([{ url: 'http://127.0.0.1:9/hooks', secret: randomBytes(16).toString('hex') }]) }),
  );
  return { api, url: (await api.start()).url };
}

async function get(url: string, path: string) {
  const res = await fetch(url + path, { headers: { authorization: `Bearer ${API_KEY}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as any;
}

/** A lesson's durable state as the API serves it (time-relative fields left out). */
async function snapshot(url: string, id: string) {
  const { can_join: _c, duration_seconds: _d, ...lesson } = await get(url, `/v1/sessions/${id}`);
  return { lesson, attendance: await get(url, `/v1/sessions/${id}/attendance`), events: await get(url, `/v1/sessions/${id}/events`) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duet-backup-'));
  servers = [await startPostgresServer()];
}, 120_000);
afterAll(async () => {
  for (const s of servers) await s.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('RUNBOOK: back up and restore PostgreSQL', () => {
  it('pg_dump, restore into a new server, and the API serves the restored lessons', async () => {
    // 1. Production: an API on PostgreSQL with two lessons, one of them held.
    const prodUrl = await duetDatabase(servers[0]!, 'duet');
    const prod = await startApi(prodUrl);
    const ids: string[] = [];
    for (const title of ['Algebra', 'Piano']) {
      const now = Date.now();
      const res = await fetch(`${prod.url}/v1/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title, scheduled_start: new Date(now).toISOString(), scheduled_end: new Date(now + 3600_000).toISOString(), tutor: { id: 't-1', name: 'Tia' }, student: { id: 's-1', name: 'Sam' } }),
      });
      expect(res.status, await res.clone().text()).toBe(201);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const hook = async (type: EventType, data: Record<string, unknown>) => {
      const raw = JSON.stringify(newEvent(type, ids[0]!, data));
      const res = await fetch(`${prod.url}/internal/hooks`, { method: 'POST', headers: { 'content-type': 'application/json', 'duet-signature': sign(HOOK_SECRET, raw) }, body: raw });
      expect(res.status).toBe(200);
    };
    await hook('participant.joined', { role: 'tutor', user_id: 't-1' });
    await hook('participant.joined', { role: 'student', user_id: 's-1' });
    await hook('session.mode_changed', { mode: 'p2p', reason: 'both_present' });
    await hook('session.ended', { reason: 'ended_by_tutor' });
    await hook('participant.left', { role: 'student', user_id: 's-1', reason: 'ended' });
    await hook('participant.left', { role: 'tutor', user_id: 't-1', reason: 'ended' });
    const before = [await snapshot(prod.url, ids[0]!), await snapshot(prod.url, ids[1]!)];
    expect(before[0]!.lesson.status).toBe('completed');
    expect(before[0]!.events.events.length).toBeGreaterThan(4);
    const deliveriesBefore = (await get(prod.url, `/v1/webhooks/deliveries?session_id=${ids[0]}`)).deliveries.length;
    expect(deliveriesBefore).toBeGreaterThan(0);
    await prod.api.close();

    // 2. The nightly backup, as the RUNBOOK writes it.
    const dumpFile = join(dir, 'duet-backup.dump');
    const dump = runbookCommand('pg_dump ', { '/backup/duet-$(date': dumpFile, '+%F).dump': '', '"$DATABASE_URL"': prodUrl }).filter(Boolean);
    expect(dump).toContain('--format=custom');
    const dumped = await run(join(findPostgresBin(), dump[0]!), dump.slice(1), { timeoutMs: 60_000 });
    expect(dumped.code, dumped.stderr).toBe(0);
    expect(statSync(dumpFile).size).toBeGreaterThan(1000);

    // 3. Production is lost; a NEW server, an empty database, the RUNBOOK's pg_restore.
    await servers[0]!.stop();
    servers.push(await startPostgresServer());
    const restoredUrl = await duetDatabase(servers[1]!, 'duet_restored');
    const restore = runbookCommand('pg_restore ', { 'postgres://duet:…@db/duet_restored': restoredUrl, 'duet-2026-11-23.dump': dumpFile });
    const restored = await run(join(findPostgresBin(), restore[0]!), restore.slice(1), { timeoutMs: 60_000 });
    expect(restored.code, restored.stderr).toBe(0);

    // 4. The API on the restored database serves the same lessons, attendance and events.
    const back = await startApi(restoredUrl);
    try {
      expect([await snapshot(back.url, ids[0]!), await snapshot(back.url, ids[1]!)]).toEqual(before);
      expect((await get(back.url, `/v1/webhooks/deliveries?session_id=${ids[0]}`)).deliveries.length).toBe(deliveriesBefore);
      // The RUNBOOK's check after a restore.
      const list = await run(process.execPath, [join(REPO_ROOT, 'deploy/bin/duet.ts'), 'lessons', 'list', '--limit', '5'], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DUET_API_URL: back.url, DUET_API_KEY: API_KEY },
      });
      expect(list.code, list.stderr).toBe(0);
      for (const id of ids) expect(list.stdout).toContain(id);
      // It keeps working: a new lesson is written to the restored database.
      const res = await fetch(`${back.url}/v1/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'After restore', scheduled_start: new Date().toISOString(), scheduled_end: new Date(Date.now() + 600_000).toISOString(), tutor: { id: 't-2', name: 'Ty' }, student: { id: 's-2', name: 'Su' } }),
      });
      expect(res.status).toBe(201);
    } finally {
      await back.api.close();
    }
  }, 240_000);
});
