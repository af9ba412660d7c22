// `duet keys create|list|rotate|revoke` (issue 16 item 2), run as the real binary against a real
// API (PGlite in memory) on loopback: a created key works with its scope only, a rotation keeps the
// old secret working for the overlap, a revoked key stops at once, and a lessons key cannot create
// keys through the CLI either.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, loadApiConfig, type ApiServer } from '@duet/api';
import { REPO_ROOT, run } from './support/exec.ts';

const API_KEY = `duet_cli_${randomBytes(16).toString('hex')}`;
let api: ApiServer;
let apiUrl: string;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duet-cli-keys-'));
  api = createApiServer(
    loadApiConfig({
      DATABASE_URL: 'pglite:memory',
      API_PORT: '0',
      DUET_API_KEY: API_KEY,
      JOIN_TOKEN_SECRET: randomBytes(32).toString('hex'),
      INTERNAL_HOOK_SECRET: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'silent',
    }),
    { lessonJobs: false },
  );
  apiUrl = (await api.start()).url;
});
afterAll(async () => {
  await api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function duet(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [join(REPO_ROOT, 'deploy/bin/duet.ts'), ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DUET_API_URL: apiUrl, DUET_API_KEY: API_KEY, ...env },
    timeoutMs: 60_000,
  });
}
const status = async (key: string, path = '/v1/sessions') => (await fetch(apiUrl + path, { headers: { authorization: `Bearer ${key}` } })).status;

describe('duet keys', () => {
  it('creates, lists, rotates with an overlap and revokes a key', async () => {
    const created = await duet(['keys', 'create', '--name', 'booking service', '--scopes', 'lessons,read']);
    expect(created.code, created.stderr).toBe(0);
    const secret = /secret: (duet_sk_\S+)/.exec(created.stdout)?.[1];
    const id = /created key (key_[0-9a-f]{16})/.exec(created.stdout)?.[1];
    expect(secret && id).toBeTruthy();
    expect(await status(secret!)).toBe(200);
    expect(await status(secret!, '/v1/nodes')).toBe(403);

    const listed = await duet(['keys', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(id!);
    expect(listed.stdout).toContain('lessons,read');
    expect(listed.stdout).not.toContain(secret!);

    const rotated = await duet(['keys', 'rotate', id!, '--overlap', '15m', '--json']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const next = JSON.parse(rotated.stdout).secret as string;
    expect(next).not.toBe(secret);
    expect(await status(secret!)).toBe(200);
    expect(await status(next)).toBe(200);

    // A lessons key cannot create keys, through the CLI either (exit 1, the API's code).
    const keyFile = join(dir, 'lessons.key');
    writeFileSync(keyFile, `${next}\n`, { mode: 0o600 });
    const escalate = await duet(['keys', 'create', '--name', 'x', '--scopes', 'operator', '--api-key-file', keyFile], { DUET_API_KEY: '' });
    expect(escalate.code).toBe(1);
    expect(escalate.stderr).toContain('insufficient_scope');

    const revoked = await duet(['keys', 'revoke', id!]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(await status(next)).toBe(401);
    expect(await status(secret!)).toBe(401);
  });

  it('refuses bad usage with exit 2', async () => {
    expect((await duet(['keys', 'create', '--name', 'x', '--scopes', 'admin'])).code).toBe(2);
    expect((await duet(['keys', 'rotate', 'not-a-key'])).code).toBe(2);
    expect((await duet(['keys', 'explode'])).code).toBe(2);
  });
});
