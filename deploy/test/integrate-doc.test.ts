// docs/integrate.md works as written: its walkthrough's `sh` blocks run, in order, in one bash
// against a started API, with the page's own `js` receiver; the webhook the last block provokes
// arrives and is verified by that receiver. A changed route, a broken command or a receiver that
// no longer verifies the signature scheme fails here.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, startApi, type TestApi } from '../../api/test/support/harness.ts';
import { freePort } from '../src/testing/index.ts';

const DOC = readFileSync(resolve(import.meta.dirname, '../../docs/integrate.md'), 'utf8');
const walkthrough = DOC.slice(DOC.indexOf('## Walkthrough with curl'), DOC.indexOf('## @duet/sdk'));
const blocks = (lang: string) => [...walkthrough.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
const SECRET = 'whsec_integrate_doc_0123456789abcdef';
const work = mkdtempSync(join(tmpdir(), 'duet-integrate-'));
let api: TestApi;
let port: number;

beforeAll(async () => {
  port = await freePort();
  api = await startApi('pglite:memory', {
    WEBHOOK_ENDPOINTS: JSON.stringify([{ url: `http://127.0.0.1:${port}/duet`, secret: SECRET }]),
    WEBHOOK_POLL_MS: '50',
  });
});
afterAll(async () => {
  await api?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('docs/integrate.md walkthrough', () => {
  it('runs as written: create, tokens, iframe page, a verified webhook', async () => {
    const sh = blocks('sh');
    const js = blocks('js');
    expect(sh.length).toBeGreaterThanOrEqual(5);
    expect(js).toHaveLength(1);
    writeFileSync(join(work, 'receiver.mjs'), js[0]!);
    const script = `set -euo pipefail\n${sh.join('\n')}`;
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, DUET_URL: api.url, DUET_API_KEY: API_KEY, WEBHOOK_SECRET: SECRET, PORT: String(port) };
    // Asynchronously: the API answers from this process.
    const { code, out } = await new Promise<{ code: number | null; out: string }>((done) => {
      const child = spawn('bash', ['-c', script], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c));
      child.stderr.on('data', (c: Buffer) => (out += c));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        done({ code, out });
      });
    });
    expect(code, out).toBe(0);
    const lesson = JSON.parse(readFileSync(join(work, 'lesson.json'), 'utf8')) as { id: string };
    expect(out).toContain(`lesson ${lesson.id}: scheduled`);
    expect(out).toContain(`verified session.status_changed ${lesson.id}`);
    expect(out).not.toMatch(/eyJ[\w-]+\.eyJ/); // the page never prints a token
    const page = readFileSync(join(work, 'lesson.html'), 'utf8');
    expect(page).toMatch(new RegExp(`src="${api.url}/session/${lesson.id}\\?theme=dark#token=`));
    // The receiver refused nothing it should have accepted, and the API saw a 2xx.
    const deliveries = await api.request('GET', `/v1/webhooks/deliveries?session_id=${lesson.id}`, { token: API_KEY });
    expect(deliveries.body.deliveries.some((d: { status: string }) => d.status === 'delivered')).toBe(true);
  });
});
