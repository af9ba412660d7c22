// Issue 12 item 8: a recording that failed because storage stayed down past
// RECORDER_UPLOAD_DEADLINE_HOURS can be retried once storage is back — `duet recordings retry <id>`
// (the real CLI binary) -> API POST /v1/recordings/:id/retry (API key) -> the registered media
// node's /internal/recordings/:id/retry -> its recorder, which holds the local files and finalizes
// again -> recording.ready. Before the fix there was no way back from `failed`: the files sat on
// the recorder's disk and the lesson had no recording.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, loadApiConfig, type ApiServer } from '@duet/api';
import { LocalObjectStore, type ObjectStore } from '@duet/api/storage';
import { createRecorderService, loadRecorderConfig, type RecorderService } from '@duet/recorder';
import { createSignalingServer, loadSignalingConfig, type SignalingServer } from '@duet/signaling';
import { freePort } from '../../src/testing/index.ts';
import { OPUS, sendAudio } from '../../../recorder/test/support/rtp-sender.ts';
import { REPO_ROOT, run } from '../support/exec.ts';

const API_KEY = `duet_retry_${randomBytes(16).toString('hex')}`;
const JOIN_SECRET = randomBytes(32).toString('hex');
const HOOK_SECRET = randomBytes(32).toString('hex');

describe('retrying a failed recording', () => {
  let dir: string;
  let api: ApiServer;
  let apiUrl: string;
  let node: SignalingServer;
  let recorder: RecorderService;
  let recorderUrl: string;
  let failing = true;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'duet-rec-retry-'));
    api = createApiServer(loadApiConfig({ DATABASE_URL: 'pglite:memory', API_PORT: '0', DUET_API_KEY: API_KEY, JOIN_TOKEN_SECRET: JOIN_SECRET, INTERNAL_HOOK_SECRET: HOOK_SECRET, LOG_LEVEL: 'silent', OBJECTS_DIR: join(dir, 'objects') }));
    apiUrl = (await api.start()).url;
    // Storage that is down until the test says otherwise (every upload throws).
    const real = new LocalObjectStore(join(dir, 'objects'));
    const store: ObjectStore = Object.assign(Object.create(Object.getPrototypeOf(real)), real, {
      putFile: (key: string, path: string, opts: { contentType: string }) => (failing ? Promise.reject(new Error('storage unavailable (test)')) : real.putFile(key, path, opts)),
    });
    recorder = createRecorderService(
      loadRecorderConfig({
        INTERNAL_HOOK_SECRET: HOOK_SECRET,
        API_INTERNAL_URL: apiUrl,
        RECORDER_WORK_DIR: join(dir, 'work'),
        RECORDER_PORT: '0',
        RECORDER_SEGMENT_SECONDS: '2',
        RECORDER_IDLE_STOP_MS: '3000',
        // ~5 s: the outage outlasts it, so the recording fails as it would after 24 h.
        RECORDER_UPLOAD_DEADLINE_HOURS: '0.0015',
      }),
      store,
      () => undefined,
      { uploadRetryMs: 100 },
    );
    recorderUrl = (await recorder.start()).url;
    const port = await freePort();
    process.env.RECORDER_URL = recorderUrl;
    try {
      node = await createSignalingServer(
        loadSignalingConfig({
          ...process.env,
          NODE_ID: 'media-retry',
          API_INTERNAL_URL: apiUrl,
          JOIN_TOKEN_SECRET: JOIN_SECRET,
          INTERNAL_HOOK_SECRET: HOOK_SECRET,
          SIGNALING_HOST: '127.0.0.1',
          SIGNALING_PORT: String(port),
          MEDIA_PORT_BASE: '0',
          MEDIASOUP_WORKERS: '1',
          NODE_HEARTBEAT_MS: '200',
          HOOK_SPOOL_DIR: join(dir, 'spool'),
          LOG_LEVEL: 'silent',
        }),
        () => undefined,
      );
    } finally {
      delete process.env.RECORDER_URL;
    }
    await node.start();
  });

  afterAll(async () => {
    await node?.close();
    await recorder?.close();
    await api?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const duet = (args: string[]) =>
    run(process.execPath, [join(REPO_ROOT, 'deploy/bin/duet.ts'), ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DUET_API_URL: apiUrl, DUET_API_KEY: API_KEY }, timeoutMs: 60_000 });
  const call = async (url: string, method: string, path: string, body?: unknown, token = HOOK_SECRET) => {
    const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
  };
  const recordingStatus = async (lessonId: string, id: string) =>
    ((await call(apiUrl, 'GET', `/v1/sessions/${lessonId}/recordings`, undefined, API_KEY)).body.recordings ?? []).find((r: any) => r.id === id);
  const until = async <T>(what: string, check: () => Promise<T | undefined>, ms: number): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await check();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('fails past the upload deadline, then `duet recordings retry` finalizes it once storage is back', async () => {
    await until('the node to register', async () => ((await call(apiUrl, 'GET', '/v1/nodes', undefined, API_KEY)).body.nodes?.some((n: any) => n.id === 'media-retry') ? true : undefined), 30_000);
    const start = new Date(Date.now() + 60_000).toISOString();
    const end = new Date(Date.now() + 3_600_000).toISOString();
    const lesson = (await call(apiUrl, 'POST', '/v1/sessions', { title: 'Retry', scheduled_start: start, scheduled_end: end, recording: true, tutor: { id: 't-r', name: 'Tara' }, student: { id: 's-r', name: 'Sam' } }, API_KEY)).body;
    const rid = (await call(recorderUrl, 'POST', '/v1/recordings', { lessonId: lesson.id })).body.recordingId as string;
    const mic = await call(recorderUrl, 'POST', `/v1/recordings/${rid}/tracks`, { trackId: 'mic', role: 'tutor', source: 'microphone', kind: 'audio', codec: OPUS });
    const audio = sendAudio(mic.body.port, 440);
    await new Promise((r) => setTimeout(r, 5_000));
    await audio.stop();
    await call(recorderUrl, 'POST', `/v1/recordings/${rid}/stop`, {});
    const failed = await until('recording.failed', async () => {
      const r = await recordingStatus(lesson.id, rid);
      return r?.status === 'failed' ? r : undefined;
    }, 90_000);
    expect(failed.failure_reason).toBe('storage_unavailable');

    // Refused while it is not failed / unknown / without the key.
    expect((await call(apiUrl, 'POST', `/v1/recordings/${rid}/retry`, {}, 'wrong-key')).status).toBe(401);
    expect((await call(apiUrl, 'POST', `/v1/recordings/00000000-0000-4000-8000-000000000000/retry`, {}, API_KEY)).status).toBe(404);
    expect((await duet(['recordings', 'retry', 'not-a-uuid'])).code).toBe(2);

    failing = false;
    const retried = await duet(['recordings', 'retry', rid]);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain('media node media-retry');
    const ready = await until('recording.ready', async () => {
      const r = await recordingStatus(lesson.id, rid);
      return r?.status === 'ready' ? r : undefined;
    }, 90_000);
    expect(ready.duration_seconds).toBeGreaterThan(2);
    // A ready recording is not retried again.
    const again = await duet(['recordings', 'retry', rid]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/409 recording_not_failed/);
  }, 240_000);
});
