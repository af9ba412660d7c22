// Raw segments are the recorder's working material: once the composed file is in storage (its
// upload confirmed, `recording.ready` queued) they go, unless RECORDING_KEEP_SEGMENTS=1. Only a
// segment whose own upload was confirmed is deleted (anything else was never the recorder's to
// remove), and the manifest keeps the list with `removed: true` so the record stays complete.
import type { ObjectStore } from '@duet/api/storage';
import type { TrackEntry } from './manifest.ts';

export interface CleanupResult {
  removed: number;
  failed: number;
}

export async function removeUploadedSegments(
  store: Pick<ObjectStore, 'delete'>,
  tracks: readonly TrackEntry[],
  log: (level: 'info' | 'warn', msg: string, extra?: Record<string, unknown>) => void,
): Promise<CleanupResult> {
  const result: CleanupResult = { removed: 0, failed: 0 };
  for (const t of tracks) {
    for (const run of t.runs) {
      for (const s of run.segments) {
        if (!s.uploaded || s.removed) continue;
        try {
          await store.delete(s.key);
          s.removed = true;
          result.removed++;
        } catch (err) {
          // Left for an operator (or DELETE /v1/recordings/:id, which removes the whole prefix).
          result.failed++;
          log('warn', 'segment cleanup: delete failed', { key: s.key, error: (err as Error).message });
        }
      }
    }
  }
  return result;
}
