// Recorder hooks (recording.started / ready / failed): recording rows, and the outbound webhooks
// recording.ready / recording.failed through the outbox (same transaction as the row).
import type { AppContext } from '../context.ts';
import type { Tx } from '../db/connect.ts';
import { ApiError } from '../errors.ts';
import type { DuetEvent, EventType } from '../events/event.ts';
import { newEvent } from '../events/event.ts';
import type { Session } from '../domain/session.ts';
import { erasedAt } from '../repositories/erasure-repo.ts';
import { findRecording, insertProcessing, markDeleted, markFailed, markReady } from '../repositories/recordings-repo.ts';
import { purgeRecordingObjects } from './recording-lifecycle-service.ts';
import { recordEvent } from './outbox-service.ts';
import { recordingResourceUrl } from './recording-catalog-service.ts';
import { RECORDING_CONTENT_TYPES, isRecordingContentType } from '../domain/served-types.ts';

type HookHandler = (ctx: AppContext, tx: Tx, session: Session, event: DuetEvent) => Promise<void>;

const ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function invalid(event: DuetEvent, needs: string): ApiError {
  return new ApiError(400, 'invalid_event_data', `${event.type} needs data ${needs}`);
}

function recordingId(event: DuetEvent): string {
  const id = event.data.recording_id;
  if (typeof id !== 'string' || !ID_RE.test(id)) throw invalid(event, '{recording_id: uuid, ...}');
  return id;
}

async function onStarted(ctx: AppContext, tx: Tx, session: Session, event: DuetEvent): Promise<void> {
  const id = recordingId(event);
  await insertProcessing(tx, { id, sessionId: session.id, startedAt: new Date(event.created_at) });
  // A recorder that resumes after the lesson was erased: the row is born deleted.
  if (await erasedAt(tx, session.id)) await markDeleted(tx, id, 'session_erased', ctx.now());
}

async function onReady(ctx: AppContext, tx: Tx, session: Session, event: DuetEvent): Promise<void> {
  const id = recordingId(event);
  const { storage_key: key, duration_seconds: duration, size_bytes: size, partial, content_type: contentType } = event.data;
  const prefix = `recordings/sessions/${session.id}/`;
  if (typeof key !== 'string' || !key.startsWith(prefix) || key.includes('..') || key.length > 400) throw invalid(event, `{storage_key under ${prefix}}`);
  if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 0) throw invalid(event, '{duration_seconds >= 0}');
  if (!Number.isInteger(size) || (size as number) < 0) throw invalid(event, '{size_bytes: integer >= 0}');
  // The recorder does not choose how the file is served: audio or video only, never a page.
  if (contentType !== undefined && contentType !== null && (typeof contentType !== 'string' || !isRecordingContentType(contentType))) {
    throw new ApiError(400, 'recording_content_type_not_allowed', `a recording is one of ${RECORDING_CONTENT_TYPES.join(', ')}`);
  }
  const at = new Date(event.created_at);
  await markReady(tx, {
    id,
    sessionId: session.id,
    storageKey: key,
    contentType: typeof contentType === 'string' ? contentType.toLowerCase() : 'video/mp4',
    durationSeconds: duration,
    sizeBytes: size as number,
    partial: partial === true,
    at,
  });
  const row = await findRecording(tx, session.id, id);
  if (row?.status === 'deleted') {
    // Deleted (lesson erased) before the recorder finished: what it uploaded goes too, no webhook.
    await purgeRecordingObjects(ctx, row);
    return;
  }
  // The file itself is fetched through a short-lived link minted on demand (a link in the webhook
  // would expire while deliveries retry): GET recording_url with the API key returns `url`.
  const data = { recording_id: id, duration_seconds: duration, size_bytes: size, partial: partial === true, recording_url: recordingResourceUrl(ctx, id) };
  await recordEvent(ctx, tx, webhook('recording.ready', session.id, data, at));
}

async function onFailed(ctx: AppContext, tx: Tx, session: Session, event: DuetEvent): Promise<void> {
  const id = recordingId(event);
  const reason = typeof event.data.reason === 'string' ? event.data.reason.slice(0, 100) : 'unknown';
  const at = new Date(event.created_at);
  await markFailed(tx, { id, sessionId: session.id, reason, partial: event.data.partial === true, at });
  if ((await findRecording(tx, session.id, id))?.status === 'deleted') return;
  await recordEvent(ctx, tx, webhook('recording.failed', session.id, { recording_id: id, reason }, at));
}

/** The outbound event: its own id (the hook's id stays the receipt's), the recorder's time. */
function webhook(type: EventType, sessionId: string, data: Record<string, unknown>, at: Date): DuetEvent {
  return newEvent(type, sessionId, data, at);
}

export const RECORDING_HOOK_HANDLERS: Partial<Record<EventType, HookHandler>> = {
  'recording.started': onStarted,
  'recording.ready': onReady,
  'recording.failed': onFailed,
};
