// Issue 12 item 9: a role whose data dir cannot be written (a read-only root without the volume,
// a wrong path) stops at once with one clear line naming the variable and exit code 2 — not a
// stack trace, and not a node that runs on and loses hooks. Before the fix the media node created
// its mediasoup workers, then died on the spool's mkdir with an unhandled rejection (exit 1 and a
// stack trace); the recorder likewise on its work dir.
// Two ways to be unwritable: a path under a regular file (ENOTDIR, any user) and, as root, a
// read-only filesystem mounted in a private mount namespace (EROFS, what a container sees).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const isRoot = process.getuid?.() === 0;

const baseEnv = () => ({
  ...process.env,
  JOIN_TOKEN_SECRET: randomBytes(32).toString('base64url'),
  INTERNAL_HOOK_SECRET: randomBytes(32).toString('base64url'),
  API_INTERNAL_URL: 'http://127.0.0.1:9',
  LOG_LEVEL: 'warn',
});

function run(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(t);
      done({ code, out });
    });
  });
}

/** `node <script>` with `dir` mounted read-only first (private mount namespace; root only). */
const readOnly = (dir: string, script: string) => ['unshare', '-m', 'sh', '-c', 'mount -t tmpfs -o ro,size=1m tmpfs "$1" && exec "$2" "$3"', 'sh', dir, process.execPath, join(REPO_ROOT, script)];

function expectClearRefusal(r: { code: number | null; out: string }, variable: string, errno: string): void {
  expect(r.code, r.out).toBe(2);
  expect(r.out).toMatch(new RegExp(`${variable} \\(.*\\) is not writable: ${errno}`));
  expect(r.out, 'no stack trace').not.toMatch(/^\s+at /m);
}

describe('an unwritable data dir is a clear startup error', () => {
  it('media node: HOOK_SPOOL_DIR under a regular file', async () => {
    const d = mkdtempSync(join(tmpdir(), 'duet-rodir-'));
    dirs.push(d);
    writeFileSync(join(d, 'file'), '');
    const r = await run([process.execPath, join(REPO_ROOT, 'signaling/src/main.ts')], { ...baseEnv(), HOOK_SPOOL_DIR: join(d, 'file', 'spool'), SIGNALING_PORT: '0', MEDIA_PORT_BASE: '0', MEDIASOUP_WORKERS: '1' });
    expectClearRefusal(r, 'HOOK_SPOOL_DIR', 'ENOTDIR');
  });

  it.runIf(isRoot)('media node: DUET_DATA_DIR on a read-only filesystem', async () => {
    const d = mkdtempSync(join(tmpdir(), 'duet-rodir-'));
    dirs.push(d);
    const r = await run(readOnly(d, 'signaling/src/main.ts'), { ...baseEnv(), DUET_DATA_DIR: d, SIGNALING_PORT: '0', MEDIA_PORT_BASE: '0', MEDIASOUP_WORKERS: '1' });
    expectClearRefusal(r, 'HOOK_SPOOL_DIR', 'EROFS');
  });

  it('recorder: RECORDER_WORK_DIR under a regular file', async () => {
    const d = mkdtempSync(join(tmpdir(), 'duet-rodir-'));
    dirs.push(d);
    writeFileSync(join(d, 'file'), '');
    const r = await run([process.execPath, join(REPO_ROOT, 'recorder/src/main.ts')], { ...baseEnv(), RECORDER_WORK_DIR: join(d, 'file', 'work'), RECORDER_PORT: '0', OBJECTS_DIR: join(d, 'objects') });
    expectClearRefusal(r, 'RECORDER_WORK_DIR', 'ENOTDIR');
  });

  it.runIf(isRoot)('recorder: RECORDER_WORK_DIR on a read-only filesystem', async () => {
    const d = mkdtempSync(join(tmpdir(), 'duet-rodir-'));
    dirs.push(d);
    const r = await run(readOnly(d, 'recorder/src/main.ts'), { ...baseEnv(), RECORDER_WORK_DIR: join(d, 'work'), RECORDER_PORT: '0', OBJECTS_DIR: join(tmpdir(), 'duet-rodir-objects') });
    expectClearRefusal(r, 'RECORDER_WORK_DIR', 'EROFS');
  });
});
