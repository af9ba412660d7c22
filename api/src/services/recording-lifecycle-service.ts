// Deleting recordings: every object of the recording (composed file, raw segments, manifests, parts)
// is removed from object storage first, then the row is marked `deleted` and `recording.deleted` goes
// out through the outbox in the same transaction. If storage fails the row stays as it was (503), so
// a retry finishes the job; deleting a missing object is not an error, so a retry is always safe.
import type { AppContext } from '../context.ts';
import type { Tx } from '../db/connect.ts';
import { ApiError } from '../errors.ts';
import { newEvent } from '../events/event.ts';
import { lockExpiredRecordings, lockRecording, markDeleted, type DeletedReason, type RecordingRow } from '../repositories/recordings-repo.ts';
import { recordEvent } from './outbox-service.ts';

/** Where the recorder writes everything about one recording (recorder/src/manifest.ts storagePrefix). */
export function recordingPrefix(sessionId: string, recordingId: string): string {
  return `recordings/sessions/${sessionId}/${recordingId}/`;
}

/** Removes every stored object of the recording; returns how many objects and bytes went. */
export async function purgeRecordingObjects(ctx: AppContext, r: RecordingRow): Promise<{ objects: number; bytes: number }> {
  let objects;
  try {
    objects = await ctx.objects.list(recordingPrefix(r.session_id, r.id));
    for (const o of objects) await ctx.objects.delete(o.key);
    // The hook checks the composed file is under the lesson's prefix, not necessarily this one.
    if (r.storage_key && !objects.some((o) => o.key === r.storage_key)) await ctx.objects.delete(r.storage_key);
  } catch (err) {
    ctx.log.warn({ recordingId: r.id, err: (err as Error).message }, 'recording delete: object storage failed');
    throw new ApiError(503, 'storage_unavailable', 'object storage did not answer; nothing was marked deleted, retry later');
  }
  return { objects: objects.length, bytes: objects.reduce((n, o) => n + o.size, 0) };
}

/** Deletes a locked, finished recording (caller's transaction): storage, row, webhook. */
export async function deleteLockedRecording(ctx: AppContext, tx: Tx, r: RecordingRow, reason: DeletedReason, data: Record<string, unknown> = {}): Promise<{ objects: number; bytes: number }> {
  const purged = await purgeRecordingObjects(ctx, r);
  const at = ctx.now();
  await markDeleted(tx, r.id, reason, at);
  await recordEvent(ctx, tx, newEvent('recording.deleted', r.session_id, { recording_id: r.id, reason, objects_deleted: purged.objects, bytes_deleted: purged.bytes, ...data }, at));
  return purged;
}

/** DELETE /v1/recordings/:id (API key). */
export async function deleteRecording(ctx: AppContext, id: string): Promise<void> {
  await ctx.sql.begin(async (tx) => {
    const r = await lockRecording(tx, id);
    if (!r) throw new ApiError(404, 'recording_not_found', 'recording not found');
    if (r.status === 'deleted') throw new ApiError(409, 'recording_deleted', 'the recording was already deleted');
    // The recorder is still writing: deleting now would leave whatever it uploads next.
    if (r.status === 'processing') throw new ApiError(409, 'recording_processing', 'the recording is still processing; delete it once it is ready or failed');
    await deleteLockedRecording(ctx, tx, r, 'api');
  });
  ctx.eventsCommitted();
}

const RETENTION_BATCH = 10;

/**
 * RECORDING_RETENTION_DAYS: deletes finished recordings older than that. Rows are taken with
 * FOR UPDATE SKIP LOCKED, so several API instances running this at once never delete one twice.
 * A recording whose storage fails is left for the next pass (logged), the others go on.
 */
export async function runRetentionOnce(ctx: AppContext): Promise<{ deleted: string[] }> {
  const days = ctx.config.recordingRetentionDays;
  const deleted: string[] = [];
  if (days === null) return { deleted };
  const cutoff = new Date(ctx.now().getTime() - days * 86_400_000);
  const skipped = new Set<string>();
  for (;;) {
    const n = await ctx.sql.begin(async (tx) => {
      const due = (await lockExpiredRecordings(tx, cutoff, RETENTION_BATCH + skipped.size + 1)).filter((r) => !skipped.has(r.id));
      for (const r of due.slice(0, RETENTION_BATCH)) {
        try {
          await tx.savepoint(async (sp) => {
            await deleteLockedRecording(ctx, sp, r, 'retention', { retention_days: days });
          });
          deleted.push(r.id);
        } catch (err) {
          skipped.add(r.id);
          ctx.log.warn({ recordingId: r.id, err: (err as Error).message }, 'recording retention: will retry on the next pass');
        }
      }
      return due.length;
    });
    if (deleted.length > 0) ctx.eventsCommitted();
    if (n <= RETENTION_BATCH || skipped.size > 100) return { deleted };
  }
}
