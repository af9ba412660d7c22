// The README's start command, run the way a person runs it. The suite runs in a network namespace
// with only loopback, so this also proves a second run needs no network (everything is reused).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/testing/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'duet-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));


describe('start command', () => {
  it('starts the platform offline and prints working tutor and student links', async () => {
    const [apiPort, sigPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = { ...process.env, DUET_DATA_DIR: dataDir, API_PORT: String(apiPort), SIGNALING_PORT: String(sigPort), MEDIASOUP_WORKERS: '1', MEDIA_PORT_BASE: '0' };
    for (const k of ['DUET_API_KEY', 'JOIN_TOKEN_SECRET', 'INTERNAL_HOOK_SECRET', 'DATABASE_URL']) delete env[k];
    const child = spawn('bash', [join(ROOT, 'scripts/start.sh')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const links = await new Promise<{ tutor: string; student: string }>((resolveLinks, reject) => {
        const timer = setTimeout(() => reject(new Error(`no links within 90 s:\n${out}`)), 90_000);
        child.stdout.on('data', () => {
          const tutor = /Tutor\s*:\s*(\S+)/.exec(out)?.[1];
          const student = /Student\s*:\s*(\S+)/.exec(out)?.[1];
          if (tutor && student) {
            clearTimeout(timer);
            resolveLinks({ tutor, student });
          }
        });
        child.once('exit', (code) => reject(new Error(`start exited with ${code}:\n${out}`)));
      });
      expect(out).not.toMatch(/npm (ci|install)|apt-get|building mediasoup/i);
      for (const [role, link] of Object.entries(links)) {
        const url = new URL(link);
        expect(url.origin).toBe(`http://127.0.0.1:${apiPort}`);
        const page = await fetch(url.origin + url.pathname);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('<div id="app">');
        const token = new URLSearchParams(url.hash.slice(1)).get('token');
        const join = await fetch(`${url.origin}/v1/sessions${url.pathname.replace('/session', '')}/join`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
        expect(join.status, role).toBe(200);
        // The lesson is placed on the media node registered as `local`: it registered with its own
        // NODE_SECRET (`dn1:` credential), as npm start no longer hands it INTERNAL_HOOK_SECRET.
        expect(await join.json()).toMatchObject({ you: { role }, signaling_url: `ws://127.0.0.1:${sigPort}/ws`, media_node: 'local' });
      }
      // Secrets stay out of the output.
      expect(out).not.toMatch(/duet_[\w-]{43}/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    }
  });
});
