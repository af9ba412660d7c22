// Raw segment cleanup after ready: only segments whose upload was confirmed are deleted; a segment
// still uploading (or never uploaded) is left, and a failing delete is reported, not fatal.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '@duet/api/storage';
import type { TrackEntry } from '../src/manifest.ts';
import { removeUploadedSegments } from '../src/segment-cleanup.ts';

describe('segment cleanup', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('deletes confirmed uploads only, marks them removed, and survives a failing delete', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'duet-seg-clean-'));
    dirs.push(dir);
    const store = new LocalObjectStore(dir);
    const p = 'recordings/sessions/l1/r1/tracks/run-0';
    const seg = (file: string, uploaded: boolean) => ({ file, startS: 0, endS: 2, size: 3, key: `${p}/${file}`, uploaded });
    for (const f of ['a.webm', 'b.webm', 'c.webm']) await store.put(`${p}/${f}`, 'abc');
    const tracks = [{ trackId: 't', role: 'tutor', source: 'camera', kind: 'video', runs: [{ segments: [seg('a.webm', true), seg('b.webm', false), seg('c.webm', true)] }] }] as unknown as TrackEntry[];

    const logs: unknown[] = [];
    const flaky = { delete: async (key: string) => (key.endsWith('c.webm') ? Promise.reject(new Error('503 slow down')) : store.delete(key)) };
    expect(await removeUploadedSegments(flaky, tracks, (...a) => logs.push(a))).toEqual({ removed: 1, failed: 1 });
    expect(await store.head(`${p}/a.webm`)).toBeNull();
    // Not confirmed: never deleted.
    expect(await store.head(`${p}/b.webm`)).not.toBeNull();
    expect(await store.head(`${p}/c.webm`)).not.toBeNull();
    expect(tracks[0]!.runs[0]!.segments.map((s) => !!s.removed)).toEqual([true, false, false]);
    expect(logs).toHaveLength(1);
    // A second pass (the flaky store recovered) finishes the job and skips what is already gone.
    expect(await removeUploadedSegments(store, tracks, () => undefined)).toEqual({ removed: 1, failed: 0 });
    expect(await store.head(`${p}/c.webm`)).toBeNull();
  });
});
