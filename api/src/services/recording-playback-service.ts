// Watching a recording seconds after the lesson (issue 15): the recorder publishes playback.json
// (recorder/src/playback.ts) next to the copied per-track segments as soon as the lesson ends; this
// serves it with a short-lived URL per segment, and, once the composed MP4 is ready, that file
// instead (the raw segments may then leave storage). Segment keys are never taken from the client:
// a segment is named by its track and segment index in the recording's own playback manifest.
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { findRecording, type RecordingRow } from '../repositories/recordings-repo.ts';
import { ObjectNotFoundError, type ObjectRead, type ObjectStore } from '../storage/index.ts';
import { recordingPrefix } from './recording-lifecycle-service.ts';
import { playbackPath, toJson } from './recordings-service.ts';
import { requireSignedPath, signedUrl, type SeatBinding, type SignedQuery } from './signed-urls.ts';

/** What the recorder writes (recorder/src/playback.ts PlaybackManifest), as far as the API reads it. */
interface StoredPlayback {
  durationS: number;
  tracks: { role: string; source: string; kind: string; mimeType: string; segments: { key: string; startS: number; durationS: number }[] }[];
}

export interface PlaybackJson {
  recording_id: string;
  /** `segments`: play the tracks from `tracks`; `file`: the composed MP4 at `file_url`. */
  mode: 'segments' | 'file';
  duration_seconds: number | null;
  file_url: string | null;
  tracks: { role: string; source: string; kind: string; mime_type: string; segments: { url: string; start: number; duration: number }[] }[];
}

/** Segment manifests are small (~100 bytes a segment): 4 MB is hours of a many-track lesson. */
const MAX_PLAYBACK_BYTES = 4 * 1024 * 1024;
const MIME = /^(audio|video)\/webm; codecs="(vp8|vp9|opus)"$/;

function segmentPath(sessionId: string, recordingId: string, track: number, segment: number): string {
  return `${playbackPath(sessionId, recordingId)}/${track}/${segment}`;
}

export function checkPlaybackUrl(ctx: AppContext, sessionId: string, recordingId: string, query: SignedQuery, segment?: { track: number; segment: number }): Promise<SeatBinding | null> {
  return requireSignedPath(ctx, sessionId, segment ? segmentPath(sessionId, recordingId, segment.track, segment.segment) : playbackPath(sessionId, recordingId), query);
}

async function recordingFor(ctx: AppContext, sessionId: string, recordingId: string): Promise<RecordingRow> {
  const row = await findRecording(ctx.sql, sessionId, recordingId);
  if (!row || row.status === 'deleted') throw new ApiError(404, 'recording_not_found', 'recording not found');
  if (row.status === 'failed') throw new ApiError(409, 'recording_failed', 'the recording failed; there is nothing to play');
  return row;
}

async function readPlayback(store: ObjectStore, row: RecordingRow): Promise<StoredPlayback> {
  const key = `${recordingPrefix(row.session_id, row.id)}playback.json`;
  let text: string;
  try {
    const obj = await store.get(key);
    if (obj.size > MAX_PLAYBACK_BYTES) {
      obj.body.destroy();
      throw new ApiError(500, 'playback_manifest_invalid', 'the playback manifest is too large');
    }
    const chunks: Buffer[] = [];
    for await (const c of obj.body) chunks.push(Buffer.from(c));
    text = Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    if (err instanceof ObjectNotFoundError) throw new ApiError(409, 'recording_not_playable_yet', 'the recording becomes playable seconds after the lesson ends; try again shortly');
    throw err;
  }
  const p = JSON.parse(text) as StoredPlayback;
  if (!p || !Array.isArray(p.tracks) || typeof p.durationS !== 'number') throw new ApiError(500, 'playback_manifest_invalid', 'the playback manifest cannot be read');
  // Written by the recorder, but checked anyway: a key outside this recording is never served.
  const prefix = recordingPrefix(row.session_id, row.id);
  for (const t of p.tracks) {
    if (!MIME.test(t.mimeType) || !Array.isArray(t.segments) || t.segments.some((s) => typeof s.key !== 'string' || !s.key.startsWith(prefix) || s.key.includes('..'))) {
      throw new ApiError(500, 'playback_manifest_invalid', 'the playback manifest cannot be read');
    }
  }
  return p;
}

/** `seat`: the participant link the URLs handed out are bound to (null: the API key's). */
export async function getPlayback(ctx: AppContext, store: ObjectStore, sessionId: string, recordingId: string, seat: SeatBinding | null): Promise<PlaybackJson> {
  const row = await recordingFor(ctx, sessionId, recordingId);
  if (row.status === 'ready') {
    const json = await toJson(ctx, row, seat);
    return { recording_id: row.id, mode: 'file', duration_seconds: row.duration_seconds, file_url: json.url, tracks: [] };
  }
  const p = await readPlayback(store, row);
  const tracks = await Promise.all(
    p.tracks.map(async (t, ti) => ({
      role: t.role,
      source: t.source,
      kind: t.kind,
      mime_type: t.mimeType,
      segments: await Promise.all(
        t.segments.map(async (s, si) => ({
          url:
            store.kind === 's3' && store.presignGet
              ? await store.presignGet(s.key, { expiresInSeconds: ctx.config.signedUrlTtlSeconds, contentType: t.mimeType.split(';')[0]! })
              : signedUrl(ctx, segmentPath(row.session_id, row.id, ti, si), seat).url,
          start: s.startS,
          duration: s.durationS,
        })),
      ),
    })),
  );
  return { recording_id: row.id, mode: 'segments', duration_seconds: p.durationS, file_url: null, tracks };
}

/** One segment's bytes (local storage; on S3 the player fetches presigned URLs directly). */
export async function openPlaybackSegment(ctx: AppContext, store: ObjectStore, sessionId: string, recordingId: string, track: number, segment: number): Promise<{ read: ObjectRead; contentType: string }> {
  const row = await recordingFor(ctx, sessionId, recordingId);
  if (row.status === 'ready') throw new ApiError(410, 'playback_segments_gone', 'the composed recording is ready; play its file');
  const p = await readPlayback(store, row);
  const t = p.tracks[track];
  const s = t?.segments[segment];
  if (!t || !s) throw new ApiError(404, 'segment_not_found', 'no such segment in this recording');
  try {
    return { read: await store.get(s.key), contentType: t.mimeType.split(';')[0]! };
  } catch (err) {
    if (err instanceof ObjectNotFoundError) throw new ApiError(404, 'segment_not_found', 'the segment is no longer in storage');
    throw err;
  }
}
