// The `duet` operator CLI, run as the real binary (deploy/bin/duet.ts) against a real API
// (PGlite in memory) on loopback, and `duet doctor` against a real mediasoup worker, FFmpeg,
// a real PostgreSQL and real ports — including every way a check must fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiServer, loadApiConfig, type ApiServer } from '@duet/api';
import { freePort, startS3Server, type S3TestServer } from '@duet/deploy/testing';
import { startPostgresServer, type PostgresServer } from '../../api/test/support/postgres-server.ts';
import { REPO_ROOT, run } from './support/exec.ts';

const API_KEY = `duet_cli_${randomBytes(16).toString('hex')}`;
const JOIN_SECRET = randomBytes(32).toString('hex');
const HOOK_SECRET = randomBytes(32).toString('hex');
let api: ApiServer;
let apiUrl: string;
let dir: string;
// The marketplace's webhook receiver: refuses everything until told otherwise.
let receiverStatus = 500;
const received: string[] = [];
const receiver = createHttpServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    received.push(body);
    res.writeHead(receiverStatus).end();
  });
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duet-cli-'));
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;
  api = createApiServer(
    loadApiConfig({
      DATABASE_URL: 'pglite:memory',
      API_PORT: '0',
      DUET_API_KEY: API_KEY,
      JOIN_TOKEN_SECRET: JOIN_SECRET,
      INTERNAL_HOOK_SECRET: HOOK_SECRET,
      LOG_LEVEL: 'silent',
      WEBHOOK_ENDPOINTS: JSON.stringify([{ url: hookUrl, secret: randomBytes(16).toString('hex') }]),
      WEBHOOK_POLL_MS: '50',
      WEBHOOK_MAX_ATTEMPTS: '1',
    }),
  );
  apiUrl = (await api.start()).url;
});

afterAll(async () => {
  await api?.close();
  receiver.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function duet(args: string[], env: Record<string, string> = {}) {
  // A clean environment: only what the test gives (plus PATH for ffmpeg), as an operator's shell would have.
  return run(process.execPath, [join(REPO_ROOT, 'deploy/bin/duet.ts'), ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DUET_API_URL: apiUrl, DUET_API_KEY: API_KEY, ...env },
    timeoutMs: 60_000,
  });
}

describe('duet lessons and tokens', () => {
  let lessonId: string;

  it('creates a lesson, lists it, shows it and mints a working join link', async () => {
    const created = await duet(['lessons', 'create', '--title', 'Algebra 1', '--tutor', 't-1:Tara Tutor', '--student', 's-1:Sam Student', '--in', '0', '--minutes', '45', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const lesson = JSON.parse(created.stdout);
    lessonId = lesson.id;
    expect(lesson.title).toBe('Algebra 1');
    expect(Date.parse(lesson.scheduled_end) - Date.parse(lesson.scheduled_start)).toBe(45 * 60_000);

    const list = await duet(['lessons', 'list', '--status', 'scheduled']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+SCHEDULED_START/);
    expect(list.stdout).toContain(lessonId);
    const listJson = JSON.parse((await duet(['lessons', 'list', '--all', '--json'])).stdout);
    expect(listJson.sessions.map((s: { id: string }) => s.id)).toContain(lessonId);

    const show = await duet(['lessons', 'show', lessonId]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`^id\\s+${lessonId}$`, 'm'));
    expect(show.stdout).toContain('nobody joined yet');

    const mint = await duet(['tokens', 'mint', lessonId, '--role', 'student']);
    expect(mint.code, mint.stderr).toBe(0);
    const link = mint.stdout.trim();
    expect(link).toMatch(new RegExp(`/session/${lessonId}#token=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
    const token = link.split('#token=')[1]!;
    // The token really opens this lesson's join for the student.
    const join = await fetch(`${apiUrl}/v1/sessions/${lessonId}/join`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(join.status).toBe(200);
    expect(((await join.json()) as { you: { role: string; user_id: string } }).you).toMatchObject({ role: 'student', user_id: 's-1' });
  });

  it('explains bad input and API errors, never printing the key', async () => {
    const wrongKey = `duet_wrong_${randomBytes(16).toString('hex')}`;
    const unauthorized = await duet(['lessons', 'list'], { DUET_API_KEY: wrongKey });
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.stderr).toMatch(/401 api_key_invalid.*check DUET_API_KEY/);
    expect(unauthorized.stdout + unauthorized.stderr).not.toContain(wrongKey);

    const missing = await duet(['lessons', 'show', '00000000-0000-4000-8000-000000000000']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/404 \w+/);

    const cases: [string[], RegExp][] = [
      [['lessons', 'create', '--title', 'x', '--tutor', 'nocolon', '--student', 's:S'], /--tutor must be <user id>:<display name>/],
      [['tokens', 'mint', lessonId, '--role', 'parent'], /--role must be tutor or student/],
      [['lessons', 'list', '--limit', 'many'], /--limit must be an integer/],
      [['lessons', 'list', '--bogus'], /Unknown option '--bogus'/],
      [['frobnicate'], /unknown command: frobnicate/],
    ];
    for (const [args, message] of cases) {
      const r = await duet(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    const noKey = await duet(['lessons', 'list'], { DUET_API_KEY: '' });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('no API key');

    const keyFile = join(dir, 'api-key');
    writeFileSync(keyFile, `${API_KEY}\n`);
    chmodSync(keyFile, 0o600);
    expect((await duet(['lessons', 'list', '--api-key-file', keyFile], { DUET_API_KEY: '' })).code).toBe(0);

    const down = await duet(['lessons', 'list'], { DUET_API_URL: `http://127.0.0.1:${await freePort()}` });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the API .*ECONNREFUSED/);
  });
});

describe('duet webhooks', () => {
  it('lists a failed delivery and re-queues it until the marketplace acknowledges it', async () => {
    const created = JSON.parse((await duet(['lessons', 'create', '--title', 'Webhook lesson', '--tutor', 't-2:T', '--student', 's-2:S', '--in', '60', '--json'])).stdout);
    const cancel = await fetch(`${apiUrl}/v1/sessions/${created.id}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'tutor ill' }),
    });
    expect(cancel.status).toBe(200);
    // One attempt allowed: the receiver's 500 makes the delivery fail for good.
    let failed: { id: string; status: string; event_type: string; last_status_code: number }[] = [];
    for (let i = 0; i < 100 && failed.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const r = await duet(['webhooks', 'deliveries', '--status', 'failed', '--lesson', created.id, '--json']);
      expect(r.code, r.stderr).toBe(0);
      failed = JSON.parse(r.stdout).deliveries;
    }
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]).toMatchObject({ status: 'failed', last_status_code: 500 });
    const human = await duet(['webhooks', 'deliveries', '--lesson', created.id]);
    expect(human.stdout.split('\n')[0]).toMatch(/^ID\s+EVENT_TYPE\s+SESSION_ID\s+STATUS/);
    expect(human.stdout).toContain(failed[0]!.event_type);

    receiverStatus = 200;
    const retry = await duet(['webhooks', 'retry', failed[0]!.id]);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toContain(`delivery ${failed[0]!.id} re-queued`);
    let delivered = false;
    for (let i = 0; i < 100 && !delivered; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const list = JSON.parse((await duet(['webhooks', 'deliveries', '--status', 'delivered', '--lesson', created.id, '--json'])).stdout);
      delivered = list.deliveries.some((d: { id: string }) => d.id === failed[0]!.id);
    }
    expect(delivered).toBe(true);
    // Retrying a delivered one is refused with the API's reason; bad input never reaches the API.
    const again = await duet(['webhooks', 'retry', failed[0]!.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/409 delivery_not_failed/);
    expect((await duet(['webhooks', 'retry', 'abc'])).code).toBe(2);
    expect((await duet(['webhooks', 'deliveries', '--status', 'lost'])).code).toBe(2);
  });
});

describe('duet nodes', () => {
  it('lists a real media node that registered itself, drains and undrains it', async () => {
    const port = await freePort();
    let output = '';
    const node = spawn(process.execPath, [join(REPO_ROOT, 'signaling/src/main.ts')], {
      env: {
        ...process.env,
        NODE_ID: 'media-cli',
        API_INTERNAL_URL: apiUrl,
        JOIN_TOKEN_SECRET: JOIN_SECRET,
        INTERNAL_HOOK_SECRET: HOOK_SECRET,
        SIGNALING_HOST: '127.0.0.1',
        SIGNALING_PORT: String(port),
        MEDIA_PORT_BASE: '0',
        MEDIASOUP_WORKERS: '1',
        NODE_HEARTBEAT_MS: '200',
        SHUTDOWN_DRAIN_DEADLINE_MS: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    node.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    node.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    try {
      let listed: { id: string; state: string; health: string; signaling_url: string }[] = [];
      for (let i = 0; i < 150 && !listed.some((n) => n.id === 'media-cli'); i++) {
        await new Promise((r) => setTimeout(r, 100));
        listed = JSON.parse((await duet(['nodes', 'list', '--json'])).stdout).nodes;
      }
      expect(listed.find((n) => n.id === 'media-cli'), output).toMatchObject({ state: 'active', signaling_url: `ws://127.0.0.1:${port}/ws` });
      const table = await duet(['nodes', 'list']);
      expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+HEALTH\s+STATE\s+LESSONS/);
      expect(table.stdout).toMatch(/media-cli\s+healthy\s+active/);

      const drain = await duet(['nodes', 'drain', 'media-cli', '--deadline', '600', '--reason', 'kernel upgrade']);
      expect(drain.code, drain.stderr).toBe(0);
      expect(drain.stdout).toMatch(/node media-cli is draining: no new lessons; 0 open lesson\(s\) there\nat \d{4}-\S+ its remaining participants are moved/);
      const shown = JSON.parse((await duet(['nodes', 'show', 'media-cli', '--json'])).stdout);
      expect(shown).toMatchObject({ state: 'draining', drain_reason: 'kernel upgrade' });
      expect(Date.parse(shown.drain_deadline) - Date.now()).toBeGreaterThan(500_000);

      const undrain = await duet(['nodes', 'undrain', 'media-cli']);
      expect(undrain.stdout).toContain('node media-cli is active');
      expect((await duet(['nodes', 'show', 'media-cli'])).stdout).toMatch(/^state\s+active$/m);

      expect((await duet(['nodes', 'show', 'no-such-node'])).code).toBe(1);
      expect((await duet(['nodes', 'drain', 'bad id!'])).code).toBe(2);
      expect((await duet(['nodes', 'drain', 'media-cli', '--deadline', 'soon'])).code).toBe(2);
    } finally {
      node.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => (node.kill('SIGKILL'), r(undefined)), 20_000);
        node.once('exit', () => (clearTimeout(t), r(undefined)));
      });
    }
    // SIGTERM: the node left the registry by itself.
    expect(JSON.parse((await duet(['nodes', 'list', '--json'])).stdout).nodes.map((n: { id: string }) => n.id)).not.toContain('media-cli');
  });
});

describe('duet doctor', () => {
  let pg: PostgresServer;
  let busy: Server;
  beforeAll(async () => {
    pg = await startPostgresServer();
    busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  }, 120_000);
  afterAll(async () => {
    busy?.close();
    await pg?.stop();
  });

  const healthy = async (): Promise<Record<string, string>> => ({
    DUET_API_KEY: API_KEY,
    JOIN_TOKEN_SECRET: JOIN_SECRET,
    INTERNAL_HOOK_SECRET: HOOK_SECRET,
    MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN!,
    MEDIA_LISTEN_IP: '127.0.0.1',
    MEDIA_PORT_BASE: String(await freePort()),
    MEDIASOUP_WORKERS: '1',
    SIGNALING_PORT: String(await freePort()),
    API_PORT: String(await freePort()),
    RECORDER_PORT: String(await freePort()),
    API_INTERNAL_URL: apiUrl,
    NODE_ID: 'media-1',
    NODE_PUBLIC_URL: 'wss://media-1.example.com/ws',
    DATABASE_URL: pg.url,
    OBJECTS_DIR: join(dir, 'objects'),
  });

  it('passes on a healthy host: worker starts, FFmpeg, ports, database, storage, API', async () => {
    const r = await duet(['doctor', '--json'], await healthy());
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; status: string; detail: string }[] };
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(Object.keys(byName).sort()).toEqual(['announced address', 'api', 'database', 'ffmpeg', 'node identity', 'port API', 'port media', 'port recorder', 'port signaling', 'secrets', 'storage', 'worker'].sort());
    for (const name of ['worker', 'ffmpeg', 'node identity', 'port API', 'port media', 'port recorder', 'port signaling', 'database', 'storage', 'api', 'secrets']) {
      expect(byName[name]!.status, `${name}: ${byName[name]!.detail}`).toBe('ok');
    }
    expect(byName.worker!.detail).toMatch(/mediasoup 3\.\d+\.\d+ worker starts.*; it forwards Opus RED$/);
    expect(byName.database!.detail).toMatch(/PostgreSQL \d+/);
    // Loopback is fine for a laptop, but an operator is warned it is not reachable from outside.
    expect(byName['announced address']!.status).toBe('warn');
    expect(report.ok).toBe(true);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(API_KEY);
    expect(r.stdout).not.toContain(new URL(pg.url).password);
  });

  it('fails, with a reason per check, on a broken host', async () => {
    const pgPassword = 'wrong-password-do-not-print';
    const notADir = join(dir, 'plain-file');
    writeFileSync(notADir, 'x');
    const deadDb = new URL(pg.url);
    deadDb.password = pgPassword;
    const env = {
      ...(await healthy()),
      MEDIASOUP_WORKER_BIN: '/bin/false',
      SIGNALING_PORT: String((busy.address() as { port: number }).port),
      MEDIA_LISTEN_IP: '0.0.0.0',
      MEDIA_ANNOUNCED_ADDRESS: '0.0.0.0',
      JOIN_TOKEN_SECRET: 'CHANGE_ME_join_token_secret_at_least_32_characters',
      DATABASE_URL: deadDb.toString(),
      OBJECTS_DIR: join(notADir, 'objects'), // a file where a directory should be
      FFMPEG_PATH: '/nonexistent/ffmpeg',
      API_INTERNAL_URL: `http://127.0.0.1:${await freePort()}`,
      NODE_PUBLIC_URL: 'https://media-1.example.com/ws',
    };
    const r = await duet(['doctor'], env);
    expect(r.code).toBe(1);
    const line = (name: string) => r.stdout.split('\n').find((l) => new RegExp(`^\\w+\\s+${name}\\s`).test(l)) ?? `(no ${name} line)`;
    expect(line('worker')).toMatch(/^FAIL .*does not start/);
    expect(line('ffmpeg')).toMatch(/^FAIL .*does not run/);
    expect(line('port signaling')).toMatch(/^FAIL .*in use by another program/);
    expect(line('announced address')).toMatch(/^FAIL .*not 0\.0\.0\.0/);
    expect(line('secrets')).toMatch(/^FAIL .*JOIN_TOKEN_SECRET is still a placeholder \(CHANGE_ME/);
    expect(line('database')).toMatch(/^FAIL .*password authentication failed/);
    expect(line('storage')).toMatch(/^FAIL .*not writable/);
    expect(line('api')).toMatch(/^FAIL .*unreachable/);
    expect(line('node identity')).toMatch(/^FAIL .*NODE_PUBLIC_URL must be a ws:\/\/ or wss:\/\/ URL/);
    expect(r.stdout).toMatch(/\d+ checks failed$/m);
    expect(r.stdout + r.stderr).not.toContain(pgPassword);
    expect(r.stdout + r.stderr).not.toContain('CHANGE_ME_join_token_secret');
  });

  it('checks S3 storage with a real write, read, list and delete, and reports bad credentials', async () => {
    let s3: S3TestServer | undefined;
    try {
      s3 = await startS3Server();
      const ok = await duet(['doctor', '--role', 'recorder', '--json'], { ...(await healthy()), ...s3.env });
      const storage = (JSON.parse(ok.stdout) as { checks: { name: string; status: string; detail: string }[] }).checks.find((c) => c.name === 'storage')!;
      expect(storage.status, storage.detail).toBe('ok');
      expect(storage.detail).toContain(`S3 bucket ${s3.bucket}`);
      const missingBucket = await duet(['doctor', '--role', 'recorder'], { ...(await healthy()), ...s3.env, S3_BUCKET: 'no-such-bucket-here' });
      expect(missingBucket.code).toBe(1);
      expect(missingBucket.stdout).toMatch(/^FAIL\s+storage\s+S3 bucket no-such-bucket-here .*not writable/m);
    } finally {
      await s3?.stop();
    }
  });

  it('reads the services\' EnvironmentFile, JSON values included', async () => {
    const envFile = join(dir, 'media.env');
    const { MEDIASOUP_WORKER_BIN: _worker, ...rest } = await healthy();
    writeFileSync(envFile, ['# as in deploy/env/media.env.example', ...Object.entries(rest).map(([k, v]) => `${k}=${v}`), 'WEBHOOK_ENDPOINTS=[{"url":"https://m.example/hooks","secret":"0123456789abcdef"}]', ''].join('\n'));
    const r = await duet(['doctor', '--role', 'media', '--env-from', envFile, '--json'], { MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN!, DUET_API_KEY: '' });
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; status: string; detail: string }[] };
    expect(report.checks.find((c) => c.name === 'secrets')!.status).toBe('ok');
    expect(report.checks.find((c) => c.name === 'port media')!.detail).toContain(`127.0.0.1:${rest.MEDIA_PORT_BASE}`);
    expect(report.ok).toBe(true);
    const missing = await duet(['doctor', '--env-from', join(dir, 'nope.env')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read --env-from');
  });

  it('checks only what a role needs', async () => {
    const r = await duet(['doctor', '--role', 'api', '--json'], { ...(await healthy()), MEDIASOUP_WORKER_BIN: '/bin/false' });
    const names = (JSON.parse(r.stdout) as { checks: { name: string }[] }).checks.map((c) => c.name);
    expect(names).not.toContain('worker');
    expect(names).toContain('database');
    expect(r.code).toBe(0);
    expect((await duet(['doctor', '--role', 'gpu'])).code).toBe(2);
  });
});
