// The publishable package: built to JavaScript + .d.ts, packed with `npm pack`, installed from the
// tarball into a plain Node project in a temp dir (offline: openapi-fetch is bundled), then used
// there by plain JavaScript (no TypeScript loader) against a running API — create a lesson, mint a
// token, read it with the token, list — and to verify a webhook signed by the API's own signer.
// The project also typechecks a TypeScript consumer against the shipped .d.ts (typed event union).
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../api/src/events/signature.ts';
import { API_KEY, startApi, type TestApi } from '../../api/test/support/harness.ts';
import { buildSdk } from '../scripts/build.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'duet-sdk-pack-'));
let api: TestApi;

beforeAll(async () => {
  api = await startApi('pglite:memory');
});
afterAll(async () => {
  await api?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('@duet/sdk package', () => {
  it('packs, installs offline into a plain Node project, and works there without TypeScript', async () => {
    const dist = buildSdk();
    execFileSync('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: dist, stdio: 'pipe' });
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
    expect(tarball).toBe('duet-sdk-0.1.0.tgz');
    const project = join(work, 'project');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'marketplace', version: '1.0.0', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--silent', join(work, tarball)], { cwd: project, stdio: 'pipe' });

    const secret = 'whsec_test_0123456789abcdef0123';
    const body = JSON.stringify({ id: 'evt_1', type: 'session.ended', created_at: '2026-12-07T15:50:00Z', session_id: 's1', data: { reason: 'time_up' } });
    writeFileSync(
      join(project, 'use.mjs'),
      `import { createDuetClient, unwrap, verifyWebhook, DuetApiError } from '@duet/sdk';
const [url, key, secret, body, header] = process.argv.slice(2);
const duet = createDuetClient({ baseUrl: url, apiKey: key });
const lesson = await unwrap(duet.POST('/v1/sessions', { body: { title: 'Packed', scheduled_start: new Date(Date.now() + 60000).toISOString(),
  scheduled_end: new Date(Date.now() + 3600000).toISOString(), tutor: { id: 't1', name: 'Tutor' }, student: { id: 's1', name: 'Student' } } }));
const link = await unwrap(duet.POST('/v1/sessions/{id}/tokens', { params: { path: { id: lesson.id } }, body: { role: 'student' } }));
const asStudent = await unwrap(createDuetClient({ baseUrl: url, token: link.token }).GET('/v1/sessions/{id}', { params: { path: { id: lesson.id } } }));
const list = await unwrap(duet.GET('/v1/sessions', { params: { query: { user_id: 't1' } } }));
let denied;
try { await unwrap(createDuetClient({ baseUrl: url, apiKey: 'wrong-key-0123456789' }).GET('/v1/sessions')); } catch (e) { denied = e instanceof DuetApiError && e.status + ' ' + e.code; }
const event = verifyWebhook(secret, body, header);
let forged;
try { verifyWebhook(secret, body.replace('time_up', 'ended_by_tutor'), header); } catch (e) { forged = e.reason; }
console.log(JSON.stringify({ title: asStudent.title, listed: list.sessions.map((s) => s.id).includes(lesson.id), joinUrl: link.join_url.includes('#token='), denied, event: event.type, forged }));
`,
    );
    // Asynchronously: the API answers from this process.
    const { stdout: out } = await promisify(execFile)(process.execPath, ['use.mjs', api.url, API_KEY, secret, body, sign(secret, body)], { cwd: project, encoding: 'utf8', timeout: 30_000 });
    expect(JSON.parse(out)).toEqual({ title: 'Packed', listed: true, joinUrl: true, denied: '401 api_key_invalid', event: 'session.ended', forged: 'mismatch' });

    // The shipped .d.ts: a consumer narrows the webhook union on `type`; a wrong path does not compile.
    writeFileSync(
      join(project, 'typed.ts'),
      `import { createDuetClient, verifyWebhook, type DuetWebhookEvent } from '@duet/sdk';
const e: DuetWebhookEvent = verifyWebhook('s', '', 't=1,v1=x');
if (e.type === 'participant.joined') { const t: 'participant.joined' = e.type; void t; }
const duet = createDuetClient({ baseUrl: '' });
void duet.GET('/v1/sessions/{id}', { params: { path: { id: 'x' } } });
// @ts-expect-error not a route of the document
void duet.GET('/v1/no-such-route');
`,
    );
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: [] }, files: ['typed.ts'] }));
    execFileSync(resolve(ROOT, 'node_modules/.bin/tsc'), ['-p', project], { cwd: project, stdio: 'pipe' });
  });
});
