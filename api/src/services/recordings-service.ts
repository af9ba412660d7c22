// Lesson recordings for readers: the list (with a short-lived signed URL for each ready file) and
// the bytes, streamed from object storage with HTTP Range support.
import { isRecordingContentType } from '../domain/served-types.ts';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import type { Caller } from './auth-service.ts';
import { getSessionFor } from './sessions-service.ts';
import { listRecordings, findRecording, type RecordingRow } from '../repositories/recordings-repo.ts';
import { requireSignedPath, seatFor, signedUrl, type SeatBinding, type SignedQuery } from './signed-urls.ts';
import { ObjectNotFoundError, RangeNotSatisfiableError, type ObjectRead, type ObjectStore } from '../storage/index.ts';

export interface RecordingJson {
  id: string;
  session_id: string;
  status: 'processing' | 'ready' | 'failed' | 'deleted';
  started_at: string;
  finished_at: string | null;
  duration_seconds: number | null;
  size_bytes: number | null;
  content_type: string | null;
  partial: boolean;
  failure_reason: string | null;
  /** Signed, short-lived; works in `<video src>` without headers (ready recordings only). */
  url: string | null;
  url_expires_at: string | null;
  /** Signed, short-lived: the playback description (recording-playback-service.ts). */
  playback_url: string | null;
  deleted_at: string | null;
  deleted_reason: string | null;
}

export function recordingFilePath(sessionId: string, recordingId: string): string {
  return `/v1/sessions/${encodeURIComponent(sessionId)}/recordings/${encodeURIComponent(recordingId)}/file`;
}

/** Where the player reads a recording's playback description (routes/recording-playback.ts). */
export function playbackPath(sessionId: string, recordingId: string): string {
  return `${recordingFilePath(sessionId, recordingId).slice(0, -'/file'.length)}/playback`;
}

/**
 * The download link of a ready recording: on S3 a presigned S3 URL (the bytes never pass through
 * the API); on the local store the API's own signed URL. Both expire after SIGNED_URL_TTL_SECONDS.
 */
async function downloadUrl(ctx: AppContext, r: RecordingRow, seat: SeatBinding | null): Promise<{ url: string; expiresAt: Date } | null> {
  if (r.status !== 'ready' || !r.storage_key) return null;
  const store = ctx.objects;
  if (store.kind === 's3' && store.presignGet) {
    const ttl = ctx.config.signedUrlTtlSeconds;
    const expiresAt = new Date(ctx.now().getTime() + ttl * 1000);
    // Audio/video only, as from the API itself (served-types.ts): anything else is opaque bytes.
    const type = r.content_type ?? 'video/mp4';
    const playable = isRecordingContentType(type);
    const url = await store.presignGet(r.storage_key, {
      expiresInSeconds: ttl,
      contentType: playable ? type : 'application/octet-stream',
      contentDisposition: playable ? `inline; filename="lesson-${r.session_id}-recording.mp4"` : `attachment; filename="lesson-${r.session_id}-recording.bin"`,
    });
    return { url, expiresAt };
  }
  return signedUrl(ctx, recordingFilePath(r.session_id, r.id), seat);
}

/** `seat`: the participant link the URLs are minted for (they die with it); null for the API key. */
export async function toJson(ctx: AppContext, r: RecordingRow, seat: SeatBinding | null): Promise<RecordingJson> {
  const link = await downloadUrl(ctx, r, seat);
  const url = link?.url ?? null;
  const expiresAt = link?.expiresAt.toISOString() ?? null;
  return {
    id: r.id,
    session_id: r.session_id,
    status: r.status,
    started_at: r.started_at.toISOString(),
    finished_at: r.finished_at?.toISOString() ?? null,
    duration_seconds: r.duration_seconds,
    size_bytes: r.size_bytes,
    content_type: r.content_type,
    partial: r.partial,
    failure_reason: r.failure_reason,
    url,
    url_expires_at: expiresAt,
    playback_url: r.status === 'processing' || r.status === 'ready' ? signedUrl(ctx, playbackPath(r.session_id, r.id), seat).url : null,
    deleted_at: r.deleted_at?.toISOString() ?? null,
    deleted_reason: r.deleted_reason,
  };
}

export async function listRecordingsFor(ctx: AppContext, sessionId: string, caller: Caller): Promise<{ recordings: RecordingJson[] }> {
  const session = await getSessionFor(ctx, sessionId, caller);
  const rows = await listRecordings(ctx.sql, session.id);
  return { recordings: await Promise.all(rows.map((r) => toJson(ctx, r, seatFor(caller)))) };
}

/** Who may read the file: a valid signed URL for exactly this path, or a caller already authenticated. */
export async function checkRecordingUrl(ctx: AppContext, sessionId: string, recordingId: string, query: SignedQuery): Promise<void> {
  await requireSignedPath(ctx, sessionId, recordingFilePath(sessionId, recordingId), query);
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` (one range); null = whole file; throws 416 when it cannot be served. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // malformed or multi-range: ignore, serve 200 (RFC 9110)
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw new RangeNotSatisfiableError(size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return null;
  }
  if (start >= size) throw new RangeNotSatisfiableError(size);
  return { start, end };
}

export async function openRecordingFile(
  ctx: AppContext,
  store: ObjectStore,
  sessionId: string,
  recordingId: string,
  rangeHeader: string | undefined,
): Promise<{ read: ObjectRead; contentType: string }> {
  const row = await findRecording(ctx.sql, sessionId, recordingId);
  if (!row) throw new ApiError(404, 'recording_not_found', 'recording not found');
  if (row.status !== 'ready' || !row.storage_key) throw new ApiError(409, 'recording_not_ready', `the recording is ${row.status}`);
  const info = await store.head(row.storage_key);
  if (!info) throw new ApiError(404, 'recording_file_missing', 'the recording file is missing from storage');
  const range = parseRange(rangeHeader, info.size);
  try {
    const read = await store.get(row.storage_key, range ?? undefined);
    return { read, contentType: row.content_type ?? 'video/mp4' };
  } catch (err) {
    if (err instanceof ObjectNotFoundError) throw new ApiError(404, 'recording_file_missing', 'the recording file is missing from storage');
    throw err;
  }
}
