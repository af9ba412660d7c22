// Issue 12 item 8: a recorder whose work dir's filesystem is nearly full reports not ready
// (/readyz 503 with the reason), so its media node stops taking recorded lessons before segments
// cannot be written. MIN_FREE_DISK_MB against statfs of RECORDER_WORK_DIR; before the fix
// /readyz only checked storage and draining.
import { statfsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLocalStore, recorderEnv, startRecorderInProcess, useRecorderTestBed } from '../support/recorder-harness.ts';

describe('recorder /readyz and free disk', () => {
  const bed = useRecorderTestBed();

  it('is 503 with a low-disk reason below MIN_FREE_DISK_MB, 200 above it', async () => {
    const work = await bed.dir('duet-readyz-disk-');
    const s = statfsSync(work);
    const free = Math.floor((Number(s.bavail) * Number(s.bsize)) / (1024 * 1024));
    const store = createLocalStore(await bed.dir('duet-readyz-objects-'));
    for (const [min, status] of [[free + 100_000, 503], [Math.max(1, free - 1_000), 200]] as const) {
      const rec = await startRecorderInProcess(recorderEnv(work, bed.api.url, { MIN_FREE_DISK_MB: String(min) }), store);
      try {
        const res = await fetch(`${rec.url}/readyz`);
        const body = (await res.json()) as { reasons: string[] };
        expect(res.status, JSON.stringify(body)).toBe(status);
        if (status === 503) expect(body.reasons.some((r) => /^low disk: \d+ MB free in RECORDER_WORK_DIR/.test(r))).toBe(true);
      } finally {
        await rec.close();
      }
    }
  }, 60_000);
});
