// The marketplace's view of recordings across lessons: one recording by id (with a fresh download
// link) and a filtered list, paginated by an opaque keyset cursor over (started_at, id).
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { findRecordingById, listAllRecordings, type RecordingStatus } from '../repositories/recordings-repo.ts';
import { toJson, type RecordingJson } from './recordings-service.ts';

export interface RecordingListInput {
  from?: Date;
  to?: Date;
  userId?: string;
  status?: RecordingStatus;
  cursor?: string;
  limit: number;
}

function encodeCursor(r: { started_at: Date; id: string }): string {
  return Buffer.from(JSON.stringify([r.started_at.toISOString(), r.id])).toString('base64url');
}

function decodeCursor(cursor: string): { start: Date; id: string } {
  try {
    const [start, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const d = new Date(start as string);
    if (typeof start === 'string' && typeof id === 'string' && id.length <= 100 && !Number.isNaN(d.getTime())) return { start: d, id };
  } catch {
    // answered below
  }
  throw new ApiError(400, 'invalid_cursor', 'cursor is not a value returned as next_cursor');
}

export async function listRecordingsAcross(ctx: AppContext, input: RecordingListInput): Promise<{ recordings: RecordingJson[]; next_cursor: string | null }> {
  if (input.from && input.to && input.to <= input.from) throw new ApiError(400, 'validation_failed', 'to must be after from');
  const rows = await listAllRecordings(ctx.sql, {
    from: input.from,
    to: input.to,
    userId: input.userId,
    status: input.status,
    after: input.cursor ? decodeCursor(input.cursor) : undefined,
    limit: input.limit + 1,
  });
  const page = rows.slice(0, input.limit);
  return { recordings: await Promise.all(page.map((r) => toJson(ctx, r, null))), next_cursor: rows.length > input.limit ? encodeCursor(page[page.length - 1]!) : null };
}

export async function getRecording(ctx: AppContext, id: string): Promise<RecordingJson> {
  const row = await findRecordingById(ctx.sql, id);
  if (!row) throw new ApiError(404, 'recording_not_found', 'recording not found');
  return toJson(ctx, row, null);
}

/** What `recording.ready` tells the marketplace: the API-key endpoint that mints a fresh link. */
export function recordingResourceUrl(ctx: AppContext, id: string): string {
  return `${ctx.publicUrl()}/v1/recordings/${encodeURIComponent(id)}`;
}
