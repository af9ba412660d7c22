// Issue 12 item 9: an uncaught exception on any role ends the process (exit 70, so the supervisor
// restarts it) instead of running on in an unknown state. Each role is started as production
// starts it, plus a test-only preload (fixtures/throw-on-sigusr2.mjs) that throws from a signal
// handler; before the fix the media node and the all-in-one logged the error and kept serving,
// and the API died with Node's generic exit 1 without the guard's log line.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/testing/index.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const INJECT = join(import.meta.dirname, 'fixtures/throw-on-sigusr2.mjs');
const EXIT_UNCAUGHT = 70;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const secrets = () => ({
  DUET_API_KEY: randomBytes(24).toString('base64url'),
  JOIN_TOKEN_SECRET: randomBytes(32).toString('base64url'),
  INTERNAL_HOOK_SECRET: randomBytes(32).toString('base64url'),
});

async function startRole(script: string, env: Record<string, string>, healthUrl: string): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', INJECT, join(REPO_ROOT, script)], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited early with ${child.exitCode}:\n${out}`);
    if ((await fetch(healthUrl).catch(() => null))?.ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${script} did not become healthy:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: () => out };
}

async function exitAfterInjectedThrow(role: { child: ChildProcess; output: () => string }): Promise<number | null> {
  const exited = new Promise<number | null>((r) => role.child.once('exit', (code) => r(code)));
  role.child.kill('SIGUSR2');
  const code = await Promise.race([exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), 10_000))]);
  if (code === 'alive') {
    role.child.kill('SIGKILL');
    await exited;
    throw new Error(`still running 10 s after an uncaught exception:\n${role.output().slice(-2000)}`);
  }
  return code;
}

describe('an uncaught exception ends the process', () => {
  it('api', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'duet-uncaught-api-'));
    dirs.push(dir);
    const port = await freePort();
    const role = await startRole('api/src/main.ts', { ...secrets(), DUET_DATA_DIR: dir, API_PORT: String(port) }, `http://127.0.0.1:${port}/healthz`);
    expect(await exitAfterInjectedThrow(role)).toBe(EXIT_UNCAUGHT);
    expect(role.output()).toContain('uncaught exception: exiting');
  });

  it('signaling (media node)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'duet-uncaught-media-'));
    dirs.push(dir);
    const port = await freePort();
    const role = await startRole(
      'signaling/src/main.ts',
      { ...secrets(), DUET_DATA_DIR: dir, API_INTERNAL_URL: 'http://127.0.0.1:9', SIGNALING_HOST: '127.0.0.1', SIGNALING_PORT: String(port), MEDIA_PORT_BASE: '0', MEDIASOUP_WORKERS: '1' },
      `http://127.0.0.1:${port}/healthz`,
    );
    expect(await exitAfterInjectedThrow(role)).toBe(EXIT_UNCAUGHT);
    expect(role.output()).toContain('uncaught exception: exiting');
  });

  it('recorder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'duet-uncaught-rec-'));
    dirs.push(dir);
    const port = await freePort();
    const role = await startRole(
      'recorder/src/main.ts',
      { ...secrets(), RECORDER_WORK_DIR: dir, RECORDER_PORT: String(port), API_INTERNAL_URL: 'http://127.0.0.1:9', OBJECTS_DIR: join(dir, 'objects') },
      `http://127.0.0.1:${port}/healthz`,
    );
    expect(await exitAfterInjectedThrow(role)).toBe(EXIT_UNCAUGHT);
    expect(role.output()).toContain('uncaught exception: exiting');
  });

  it('all-in-one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'duet-uncaught-aio-'));
    dirs.push(dir);
    const [apiPort, sigPort] = [await freePort(), await freePort()];
    const role = await startRole(
      'deploy/src/all-in-one.ts',
      { DUET_DATA_DIR: dir, API_PORT: String(apiPort), SIGNALING_PORT: String(sigPort), MEDIA_PORT_BASE: '0', MEDIASOUP_WORKERS: '1', DUET_DEMO_LESSON: '0', DUET_LOG_STDOUT: '1', RECORDER_ENABLED: '0' },
      `http://127.0.0.1:${apiPort}/healthz`,
    );
    expect(await exitAfterInjectedThrow(role)).toBe(EXIT_UNCAUGHT);
    expect(role.output()).toContain('uncaught exception: exiting');
  });
});
