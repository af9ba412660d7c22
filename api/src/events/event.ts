// The one event shape shared by internal hooks (signaling/recorder -> API) and
// outbound webhooks (API -> marketplace). See DESIGN.md "Lifecycle events".
import { randomUUID } from 'node:crypto';

export const EVENT_TYPES = [
  'participant.joined',
  'participant.left',
  'participant.reconnecting',
  // Any lesson status move without a more specific type below (data: { from, to }).
  'session.status_changed',
  'session.started',
  'session.ended',
  'session.no_show',
  'session.warning',
  // The media node moved the lesson's media (data: mode waiting | p2p | sfu, reason).
  'session.mode_changed',
  // The tutor or the marketplace added time (data: minutes, extension_seconds, ends_at, by).
  'session.extended',
  // The marketplace moved a scheduled lesson (data: scheduled_start, scheduled_end, previous).
  'session.rescheduled',
  // The marketplace changed who sits in a seat of a scheduled lesson (data: role, previous, participant, links_revoked).
  'participant.changed',
  // The marketplace removed a participant (data: role, user_id, reason, revoked_at, node_notified).
  'participant.revoked',
  'recording.started',
  'recording.ready',
  'recording.failed',
  // The marketplace deleted it, or retention did (data: recording_id, reason, objects_deleted).
  'recording.deleted',
  // A participant acknowledged the recording notice (data: role, user_id, at, recording).
  'recording.consent',
  // GDPR: the lesson's content was erased (data: erase_id, counts, kept; never the content itself).
  'session.erased',
  // GDPR: one user's data erased from this lesson (one event per lesson; data: erase_id, user_id, role, counts).
  'user.erased',
  'feedback.submitted',
  'resource.uploaded',
  // An endpoint managed through the API failed for WEBHOOK_DISABLE_AFTER_DAYS and was disabled (no session).
  'webhook_endpoint.disabled',
  // POST /v1/webhook-endpoints/:id/test: delivered to that endpoint only, never stored (no session).
  'ping',
] as const;

/**
 * The version of the webhook payload shape, sent as `api_version` in every delivery. A change a
 * receiver could notice (a field removed or retyped) gets a new date; added fields do not.
 */
export const WEBHOOK_API_VERSION = '2026-12-01';

export type EventType = (typeof EVENT_TYPES)[number];

export interface DuetEvent<D extends Record<string, unknown> = Record<string, unknown>> {
  /** Stable id: receivers dedupe on it, senders retry with the same id. */
  id: string;
  type: EventType;
  /** ISO 8601 timestamp of when the fact happened (not when it was delivered). */
  created_at: string;
  session_id: string;
  data: D;
}

/** An event about the account rather than one lesson (session_id null). */
export interface AccountEvent<D extends Record<string, unknown> = Record<string, unknown>> {
  id: string;
  type: EventType;
  created_at: string;
  session_id: null;
  data: D;
}

/**
 * What a webhook endpoint receives: the event, the payload version and, for a lesson's event, the
 * lesson's metadata as it is when the delivery is sent.
 */
export interface WebhookPayload {
  id: string;
  type: EventType;
  api_version: string;
  created_at: string;
  session_id: string | null;
  metadata?: Record<string, unknown>;
  data: Record<string, unknown>;
}

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

export function newEvent<D extends Record<string, unknown>>(
  type: EventType,
  sessionId: string,
  data: D,
  at: Date = new Date(),
): DuetEvent<D> {
  return { id: `evt_${randomUUID()}`, type, created_at: at.toISOString(), session_id: sessionId, data };
}
