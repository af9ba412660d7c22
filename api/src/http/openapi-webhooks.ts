// The OpenAPI 3.1 `webhooks` section: one entry per type of the event catalogue
// (api/src/events/event.ts EVENT_TYPES — the one source), each with the event envelope, a summary
// and an example payload. The generated SDK turns these into its typed webhook event union.
// A type added to EVENT_TYPES without an entry below still appears (generic summary, empty
// example data), so the document never silently misses an event.
import { EVENT_TYPES } from '../events/event.ts';
import { SIGNATURE_HEADER, EVENT_ID_HEADER } from '../events/signature.ts';

interface EventDoc {
  summary: string;
  data: Record<string, unknown>;
}

const SESSION = 'a3c1c9de-5b7e-4b43-9f4e-0c2b8f1d6e21';

export const EVENT_DOCS: Partial<Record<string, EventDoc>> = {
  'participant.joined': { summary: 'A participant entered the room', data: { role: 'student', user_id: 'student-7', resumed: false } },
  'participant.left': { summary: 'A participant left the room', data: { role: 'student', user_id: 'student-7', reason: 'left', joined_at: '2026-12-07T15:00:12Z' } },
  'participant.reconnecting': { summary: "A participant's connection dropped; the seat is kept for the grace period", data: { role: 'tutor', user_id: 'tutor-42' } },
  'session.status_changed': { summary: 'A lesson status move without a more specific type', data: { from: 'scheduled', to: 'waiting', reason: 'first_join' } },
  'session.started': { summary: 'Both participants are present', data: { started_at: '2026-12-07T15:00:40Z' } },
  'session.ended': {
    summary: 'The lesson ended (tutor ended it, or its time was up)',
    data: { reason: 'time_up', overlap_seconds: 2950, never_overlapped: false, duration_seconds: 2960 },
  },
  'session.no_show': { summary: 'Someone did not come within the grace period', data: { absent: ['student'], present: ['tutor'], mutual: false, penalty: 'student' } },
  'session.warning': { summary: 'Minutes left before the end', data: { minutes_left: 5, ends_at: '2026-12-07T15:50:00Z' } },
  'session.mode_changed': { summary: 'The media path changed (waiting, peer-to-peer, SFU)', data: { mode: 'sfu', reason: 'p2p_timeout' } },
  'session.extended': { summary: 'The tutor or the marketplace added time', data: { minutes: 10, extension_seconds: 600, ends_at: '2026-12-07T16:00:00Z', by: 'tutor' } },
  'participant.revoked': {
    summary: 'The marketplace removed a participant',
    data: { role: 'student', user_id: 'student-7', reason: 'booking_cancelled', revoked_at: '2026-12-07T15:10:00Z', node_notified: true },
  },
  'recording.started': { summary: 'Recording began', data: { recording_id: 'b1f0e3a2-7c55-4d0e-9a3b-5d1f2e8c4a90' } },
  'recording.ready': {
    summary: 'The composed recording is available',
    data: {
      recording_id: 'b1f0e3a2-7c55-4d0e-9a3b-5d1f2e8c4a90',
      duration_seconds: 2955,
      size_bytes: 183_500_000,
      partial: false,
      recording_url: 'https://duet.example/v1/recordings/b1f0e3a2-7c55-4d0e-9a3b-5d1f2e8c4a90',
    },
  },
  'recording.failed': { summary: 'The recording could not be produced', data: { recording_id: 'b1f0e3a2-7c55-4d0e-9a3b-5d1f2e8c4a90', reason: 'storage_unavailable' } },
  'recording.deleted': { summary: 'A recording was deleted (API or retention)', data: { recording_id: 'b1f0e3a2-7c55-4d0e-9a3b-5d1f2e8c4a90', reason: 'retention', objects_deleted: 7 } },
  'recording.consent': { summary: 'A participant acknowledged the recording notice', data: { role: 'student', user_id: 'student-7', at: '2026-12-07T14:59:30Z', recording: true } },
  'session.erased': { summary: "GDPR: the lesson's content was erased", data: { erase_id: 'er_5f2c', requested_by: 'dpo@marketplace.example', counts: { recordings: 1, chat_messages: 12 } } },
  'user.erased': { summary: "GDPR: one user's data was erased from this lesson", data: { erase_id: 'er_5f2d', user_id: 'student-7', role: 'student', counts: { notes: 1 } } },
  'feedback.submitted': { summary: 'A participant rated the lesson', data: { role: 'student', user_id: 'student-7', rating: 5, comment: 'Great session', created_at: '2026-12-07T15:52:00Z' } },
  'resource.uploaded': {
    summary: 'The tutor shared a file',
    data: {
      resource_id: 'c7d9a1e0-2f4b-4c8e-8a61-3b5e9d0f1a22',
      filename: 'worksheet.pdf',
      content_type: 'application/pdf',
      size_bytes: 48213,
      uploaded_by: { role: 'tutor', user_id: 'tutor-42' },
    },
  },
};

const schemaName = (type: string) => `WebhookEvent_${type.replace(/[^A-Za-z0-9]/g, '_')}`;

/** Adds `components.schemas.WebhookEvent_*` and the `webhooks` section to an OpenAPI document. */
export function addWebhooks(doc: Record<string, any>): void {
  doc.components ??= {};
  doc.components.schemas ??= {};
  doc.webhooks = {};
  for (const type of EVENT_TYPES) {
    const known = EVENT_DOCS[type];
    const summary = known?.summary ?? `Event ${type}`;
    const example = { id: 'evt_0f8d3c52-6a1e-4f57-b3c4-2d9e7a1b5c60', type, created_at: '2026-12-07T15:00:12Z', session_id: SESSION, data: known?.data ?? {} };
    doc.components.schemas[schemaName(type)] = {
      type: 'object',
      description: summary,
      required: ['id', 'type', 'created_at', 'session_id', 'data'],
      properties: {
        id: { type: 'string', description: 'Stable event id: deliveries are at least once, dedupe on it' },
        type: { type: 'string', const: type },
        created_at: { type: 'string', format: 'date-time', description: 'When the fact happened (not when it was delivered)' },
        session_id: { type: 'string' },
        data: { type: 'object', additionalProperties: true },
      },
      additionalProperties: true,
    };
    doc.webhooks[type] = {
      post: {
        operationId: `webhook_${type.replace(/[^A-Za-z0-9]/g, '_')}`,
        summary,
        description:
          `Sent to every webhook endpoint subscribed to \`${type}\`. Verify \`${SIGNATURE_HEADER}: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>\` ` +
          `over the raw body (the SDK's verifyWebhook) and dedupe on \`${EVENT_ID_HEADER}\` / \`id\`.`,
        parameters: [
          { in: 'header', name: SIGNATURE_HEADER, required: true, schema: { type: 'string' }, example: 't=1796655612,v1=5f0c…' },
          { in: 'header', name: EVENT_ID_HEADER, required: true, schema: { type: 'string' }, example: example.id },
        ],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName(type)}` }, example } } },
        responses: { '2XX': { description: 'Received; any other answer (or none within the timeout) is retried with backoff' } },
      },
    };
  }
}
