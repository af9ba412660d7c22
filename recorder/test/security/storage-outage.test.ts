// Issue 12 item 8: an object-storage outage in the middle of a recording loses nothing. A real
// S3-protocol server (moto) sits behind a TCP hop the test cuts (every connection refused and
// reset) while the lesson records and while it finalizes, for longer than the old give-up
// (eight tries of the final upload, ~25 s at the test's retry base: the recording used to fail
// with storage_unavailable). Segments that could not be uploaded stay on local disk; once storage
// is back every segment and the final file are in the bucket and the API sees recording.ready.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type S3TestServer } from '@duet/deploy/testing';
import { API_KEY, createLesson, eventually } from '../../../api/test/support/harness.ts';
import { createObjectStore, loadStorageConfig } from '../../src/store.ts';
import { OPUS, sendAudio } from '../support/rtp-sender.ts';
import { recorderEnv, sleep, startRecorderInProcess, useRecorderTestBed } from '../support/recorder-harness.ts';

/** A TCP hop to `port` that can play an outage (connections refused: accepted then reset). */
async function tcpHop(port: number): Promise<{ port: number; down: boolean; refused: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const state = { port: 0, down: false, refused: 0, close: async () => undefined as void };
  const server: Server = createServer((client) => {
    if (state.down) {
      state.refused++;
      return client.resetAndDestroy();
    }
    const up = connect(port, '127.0.0.1');
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(up).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.port = (server.address() as { port: number }).port;
  return Object.assign(state, {
    set down(v: boolean) {
      (state as { _down?: boolean })._down = v;
      if (v) for (const s of sockets) s.destroy();
    },
    get down() {
      return (state as { _down?: boolean })._down ?? false;
    },
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  });
}

const manifestAt = async (path: string) => JSON.parse(await readFile(path, 'utf8').catch(() => '{}'));

describe('storage outage during a recording', () => {
  const bed = useRecorderTestBed();
  let s3: S3TestServer;
  beforeAll(async () => {
    s3 = await startS3Server('duet-outage');
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('keeps every segment through the outage and completes once storage is back', async () => {
    const hop = await tcpHop(Number(new URL(s3.endpoint).port));
    const store = createObjectStore(loadStorageConfig({ ...s3.env, S3_ENDPOINT: `http://127.0.0.1:${hop.port}` }));
    const work = await bed.dir('duet-outage-work-');
    const rec = await startRecorderInProcess(recorderEnv(work, bed.api.url), store);
    const lesson = await createLesson(bed.api, { recording: true });
    const rid = (await rec.call('POST', '/v1/recordings', { lessonId: lesson.id })).body.recordingId as string;
    const mic = await rec.call('POST', `/v1/recordings/${rid}/tracks`, { trackId: 'mic', role: 'tutor', source: 'microphone', kind: 'audio', codec: OPUS });
    const audio = sendAudio(mic.body.port, 440);
    const manifestPath = join(work, rid, 'manifest.json');
    const segments = async () => (await manifestAt(manifestPath)).tracks?.[0]?.runs?.flatMap((r: any) => r.segments.map((s: any) => ({ ...s, dir: r.dir }))) ?? [];
    try {
      // Storage works at first: a segment is confirmed.
      await eventually(async () => ((await segments()).some((s: any) => s.uploaded) ? true : undefined), 30_000);
      hop.down = true;
      // The lesson goes on: new segments are written and kept locally, unconfirmed.
      await eventually(async () => ((await segments()).filter((s: any) => !s.uploaded).length >= 3 ? true : undefined), 30_000);
      for (const s of (await segments()).filter((x: any) => !x.uploaded)) expect(existsSync(join(work, rid, s.dir, s.file)), s.file).toBe(true);
    } finally {
      await audio.stop();
    }
    await rec.call('POST', `/v1/recordings/${rid}/stop`, {});
    // Finalize composes from the local segments, then cannot upload: it keeps trying.
    await eventually(async () => ((await manifestAt(manifestPath)).finalize?.step === 'upload' ? true : undefined), 60_000);
    await sleep(35_000);
    const during = await manifestAt(manifestPath);
    expect(during.state).toBe('finalizing');
    expect(hop.refused).toBeGreaterThan(8);
    for (const s of await segments()) if (!s.uploaded) expect(existsSync(join(work, rid, s.dir, s.file)), s.file).toBe(true);

    hop.down = false;
    const done = await eventually(async () => {
      const m = await manifestAt(manifestPath);
      return m.state === 'ready' || m.state === 'failed' ? m : undefined;
    }, 120_000);
    expect(done.state).toBe('ready');
    // Every segment is confirmed and really in the bucket, and so is the final file.
    await eventually(async () => ((await segments()).every((s: any) => s.uploaded) ? true : undefined), 60_000);
    const all = await segments();
    expect(all.length).toBeGreaterThanOrEqual(4);
    for (const s of all) expect((await store.head(s.key))?.size, s.key).toBe(s.size);
    expect((await store.head(done.finalize.outputKey))?.size).toBe(done.finalize.sizeBytes);
    const listed = await eventually(async () => {
      const res = await bed.api.request('GET', `/v1/sessions/${lesson.id}/recordings`, { token: API_KEY });
      return res.body.recordings?.find((r: any) => r.id === rid && r.status === 'ready');
    }, 30_000);
    expect(listed.status).toBe('ready');
    await rec.close();
    await hop.close();
  }, 300_000);
});
