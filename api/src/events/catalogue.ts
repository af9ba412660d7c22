// The event catalogue: every event type (EVENT_TYPES in event.ts), what it means, whether the
// marketplace receives it as a webhook, and one example `data`. A Record over the type union, so
// adding a type without its entry does not compile. docs/events.md is generated from this
// (events-doc.ts; api/test/events-doc.test.ts fails when the committed page drifts).
import { WEBHOOK_API_VERSION, type EventType } from './event.ts';

export interface EventDoc {
  summary: string;
  /** false: an internal hook only (media node / recorder → API), never sent to endpoints. */
  webhook: boolean;
  /** Delivered without a lesson (session_id null, no metadata). */
  account?: boolean;
  example: Record<string, unknown>;
}

const AT = '2026-12-07T15:00:05.000Z';

export const EVENT_CATALOGUE: Readonly<Record<EventType, EventDoc>> = {
  'participant.joined': {
    summary: 'A participant took their seat in the room (`resumed`: came back within the reconnect grace).',
    webhook: true,
    example: { role: 'student', user_id: 'student-42', resumed: false },
  },
  'participant.left': {
    summary: 'A participant left the room; `reason` left | disconnected | grace_expired | ended | removed.',
    webhook: true,
    example: { role: 'student', user_id: 'student-42', reason: 'left', joined_at: AT },
  },
  'participant.reconnecting': {
    summary: "A participant's connection dropped; their seat is kept for the reconnect grace.",
    webhook: true,
    example: { role: 'tutor', user_id: 'tutor-17' },
  },
  'session.status_changed': {
    summary: 'The lesson moved between statuses with no more specific event (first join → waiting, cancel, reconnecting and back, archive).',
    webhook: true,
    example: { from: 'live', to: 'cancelled', reason: 'cancelled', cancel_reason: 'tutor ill', started: true },
  },
  'session.started': {
    summary: 'Both participants are present: the lesson is live.',
    webhook: true,
    example: { from: 'waiting', to: 'live', reason: 'both_present', started_at: AT },
  },
  'session.ended': {
    summary: 'The lesson is completed, with attendance and the time both were there together.',
    webhook: true,
    example: {
      from: 'live',
      to: 'completed',
      reason: 'time_up',
      ended_at: '2026-12-07T15:50:00.000Z',
      attendance: [
        { role: 'tutor', user_id: 'tutor-17', duration_seconds: 2995 },
        { role: 'student', user_id: 'student-42', duration_seconds: 2980 },
      ],
      overlap_seconds: 2975,
      never_overlapped: false,
      // Each room's media quality report received by then (GET /v1/sessions/:id/quality).
      quality: [
        {
          role: 'student',
          user_id: 'student-42',
          reports: 100,
          final: true,
          updated_at: '2026-12-07T15:49:58.000Z',
          report: { mode: 'p2p', path: { type: 'relay', protocol: 'tls' }, duration_seconds: 2980, rtt_ms: { median: 42, p90: 80 }, audio_loss_pct: 1.5, video_loss_pct: 2, audio_concealment_pct: 4, freeze_count: 2, freeze_seconds: 3.5, video_fps: 24, video_height: 480, browser: 'Chrome 131' },
        },
      ],
    },
  },
  'session.no_show': {
    summary: 'Nobody, or only one side, came by the end of the grace; `mutual` no-shows carry no penalty.',
    webhook: true,
    example: { from: 'waiting', to: 'no_show', reason: 'participant_absent', absent: ['student'], present: ['tutor'], mutual: false, penalty: true },
  },
  'session.warning': {
    summary: 'The lesson ends in `minutes_left` minutes (LESSON_WARNING_MINUTES).',
    webhook: true,
    example: { minutes_left: 5, ends_at: '2026-12-07T15:50:00.000Z' },
  },
  'session.mode_changed': {
    summary: "The media node moved the lesson's media: waiting | p2p | sfu, with the reason.",
    webhook: true,
    example: { mode: 'sfu', reason: 'p2p_timeout' },
  },
  'session.extended': {
    summary: 'The tutor or the marketplace added time.',
    webhook: true,
    example: { minutes: 10, extension_seconds: 600, ends_at: '2026-12-07T16:00:00.000Z', by: { role: 'tutor', user_id: 'tutor-17' } },
  },
  'session.rescheduled': {
    summary: 'The marketplace moved a scheduled lesson (PATCH /v1/sessions/:id with new times).',
    webhook: true,
    example: {
      scheduled_start: '2026-12-08T15:00:00.000Z',
      scheduled_end: '2026-12-08T15:50:00.000Z',
      previous: { scheduled_start: '2026-12-07T15:00:00.000Z', scheduled_end: '2026-12-07T15:50:00.000Z' },
    },
  },
  'participant.changed': {
    summary: "The marketplace changed who sits in a seat of a scheduled lesson; a different person's old links stop working (`links_revoked`).",
    webhook: true,
    example: {
      role: 'student',
      previous: { user_id: 'student-42', name: 'Sam Student' },
      participant: { user_id: 'student-77', name: 'Kim Student', avatar_url: null },
      links_revoked: true,
    },
  },
  'participant.revoked': {
    summary: 'The marketplace removed a participant: every link of the seat minted so far is refused; the media node closed the seat.',
    webhook: true,
    example: { role: 'student', user_id: 'student-42', reason: 'booking refunded', revoked_at: AT, node_notified: true },
  },
  'recording.started': {
    summary: 'The recorder started recording the lesson (internal hook: the marketplace hears of recording.ready / recording.failed).',
    webhook: false,
    example: { recording_id: '6f1c2a4e-1b7d-4c39-9a0e-3f5b8d2c7e10' },
  },
  'recording.ready': {
    summary: 'The recording is playable; GET `recording_url` with the API key for a fresh download link.',
    webhook: true,
    example: {
      recording_id: '6f1c2a4e-1b7d-4c39-9a0e-3f5b8d2c7e10',
      duration_seconds: 2990,
      size_bytes: 183500800,
      partial: false,
      recording_url: 'https://duet.school.example/v1/recordings/6f1c2a4e-1b7d-4c39-9a0e-3f5b8d2c7e10',
    },
  },
  'recording.failed': {
    summary: 'The recording could not be produced.',
    webhook: true,
    example: { recording_id: '6f1c2a4e-1b7d-4c39-9a0e-3f5b8d2c7e10', reason: 'storage_unavailable' },
  },
  'recording.deleted': {
    summary: 'A recording was deleted (DELETE /v1/recordings/:id, retention, or an erasure); its row stays as `deleted`.',
    webhook: true,
    example: { recording_id: '6f1c2a4e-1b7d-4c39-9a0e-3f5b8d2c7e10', reason: 'retention', objects_deleted: 14, bytes_deleted: 190000000 },
  },
  'recording.consent': {
    summary: 'A participant acknowledged the recording notice when joining a recorded lesson.',
    webhook: true,
    example: { role: 'student', user_id: 'student-42', at: AT, notice: 'recorded_lesson' },
  },
  'session.erased': {
    summary: "GDPR: the lesson's content was erased (counts only, never the content); billing facts kept.",
    webhook: true,
    example: {
      erase_id: 'era_3c9e0f7a-5b21-4d8e-9c6a-1f2b3c4d5e6f',
      requested_by: 'privacy@school.example',
      by: 'api_key',
      counts: { chat_messages: 12, notes: 2, feedback: 2, analytics_events: 40, resources: 1, attendance_facts: 4, recordings: 1 },
      kept: { scheduled_start: '2026-12-07T15:00:00.000Z', status: 'completed' },
    },
  },
  'user.erased': {
    summary: "GDPR: one user's data erased from this lesson (one event per lesson of the user).",
    webhook: true,
    example: {
      erase_id: 'era_7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      user_id: 'student-42',
      role: 'student',
      requested_by: 'privacy@school.example',
      by: 'api_key',
      counts: { chat_messages: 5, notes: 1, feedback: 1, analytics_events: 20, resources: 0, recordings: 1 },
    },
  },
  'feedback.submitted': {
    summary: 'A participant rated the lesson after it ended.',
    webhook: true,
    example: { role: 'student', user_id: 'student-42', rating: 5, comment: 'Clear and patient.', created_at: '2026-12-07T15:52:00.000Z' },
  },
  'resource.uploaded': {
    summary: 'The tutor (or the marketplace) shared a file with the lesson.',
    webhook: true,
    example: {
      resource_id: '2d4f6a8c-0e1b-4c3d-8e5f-7a9b1c3d5e7f',
      filename: 'worksheet.pdf',
      content_type: 'application/pdf',
      size_bytes: 48213,
      uploaded_by: { role: 'tutor', user_id: 'tutor-17' },
    },
  },
  'webhook_endpoint.disabled': {
    summary: 'An endpoint managed through the API failed for WEBHOOK_DISABLE_AFTER_DAYS and was disabled (sent to the other endpoints).',
    webhook: true,
    account: true,
    example: { endpoint_id: 'we_5d1c0a9e8b7f6a51', url: 'https://old.school.example/hooks', failing_since: '2026-12-04T09:00:00.000Z', reason: 'failing', disable_after_days: 3 },
  },
  ping: {
    summary: 'POST /v1/webhook-endpoints/:id/test: a signed test delivery to that endpoint only (never stored or retried).',
    webhook: true,
    account: true,
    example: { endpoint_id: 'we_5d1c0a9e8b7f6a51' },
  },
};

const EXAMPLE_SESSION = '0b7c5e1a-8d2f-4e6b-9a3c-5d7e9f1a2b3c';

/** One example payload of a type as delivered (docs/events.md and the OpenAPI `webhooks` section show the same). */
export function examplePayload(type: EventType) {
  const d = EVENT_CATALOGUE[type];
  return {
    id: 'evt_2f9a7c1e-4b3d-4e8f-a6c2-9d1b0e7f5a3c',
    type,
    api_version: WEBHOOK_API_VERSION,
    created_at: '2026-12-07T15:00:05.000Z',
    session_id: d.account ? null : EXAMPLE_SESSION,
    ...(d.account ? {} : { metadata: { booking_id: 'bk_1042' } }),
    data: d.example,
  };
}
