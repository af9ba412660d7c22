// Issue 12 item 8: a media node whose hook spool's filesystem is nearly full reports not ready
// (/readyz 503 with the reason), so no new lesson is placed where its hooks could not be
// spooled. The threshold is MIN_FREE_DISK_MB against statfs of HOOK_SPOOL_DIR. Before the fix
// /readyz never looked at the disk.
import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { startNodeStack } from '../support/stack.ts';

const freeMb = () => {
  const s = statfsSync(tmpdir());
  return Math.floor((Number(s.bavail) * Number(s.bsize)) / (1024 * 1024));
};

describe('media node /readyz and free disk', () => {
  it('is 503 with a low-disk reason below MIN_FREE_DISK_MB, 200 above it', async () => {
    const low = await startNodeStack({ MIN_FREE_DISK_MB: String(freeMb() + 100_000) });
    try {
      const res = await fetch(`${low.httpUrl}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { ready: boolean; reasons: string[] };
      expect(body.reasons.some((r) => /^low disk: \d+ MB free in HOOK_SPOOL_DIR/.test(r))).toBe(true);
    } finally {
      await low.stop();
    }
    const fine = await startNodeStack({ MIN_FREE_DISK_MB: String(Math.max(1, freeMb() - 1_000)) });
    try {
      const res = await fetch(`${fine.httpUrl}/readyz`);
      expect(res.status, JSON.stringify(await res.clone().json())).toBe(200);
    } finally {
      await fine.stop();
    }
  }, 60_000);
});
