// The names and one-line summaries of the public operations, in one place, applied to the
// OpenAPI document by the swagger transform (api/src/http/openapi.ts). The generated client
// (sdk/) names its methods after these operationIds, so renaming one is a breaking change.
// A route may also declare `operationId`/`summary` in its own schema; the route wins.
// api/test/openapi-contract.test.ts fails when a public operation has neither.

export interface OperationDoc {
  operationId: string;
  summary: string;
  /** Example request body (JSON routes that take one). */
  requestExample?: unknown;
}

const LESSON_EXAMPLE = {
  title: 'Spanish B1 — conversation',
  course_title: 'Spanish B1',
  scheduled_start: '2026-12-07T15:00:00Z',
  scheduled_end: '2026-12-07T15:50:00Z',
  recording: false,
  tutor: { id: 'tutor-42', name: 'Ana García', avatar_url: 'https://cdn.example/ana.png' },
  student: { id: 'student-7', name: 'Sam Lee' },
};

/** Keyed by `METHOD /fastify/:path`. */
export const OPERATIONS: Record<string, OperationDoc> = {
  'GET /healthz': { operationId: 'getHealth', summary: 'Liveness: the process answers' },
  'GET /readyz': { operationId: 'getReadiness', summary: 'Readiness: database reachable and not shutting down' },
  'GET /metrics': { operationId: 'getMetrics', summary: 'Prometheus metrics (text exposition format)' },
  'GET /v1/join-keys': { operationId: 'getJoinKeys', summary: 'Public keys that verify join tokens (JWKS)' },
  'POST /v1/sessions': { operationId: 'createLesson', summary: 'Schedule a lesson', requestExample: LESSON_EXAMPLE },
  'GET /v1/sessions': { operationId: 'listLessons', summary: 'List lessons by start time (keyset-paged)' },
  'GET /v1/sessions/:id': { operationId: 'getLesson', summary: 'Read a lesson (API key or a participant join token)' },
  'PATCH /v1/sessions/:id': {
    operationId: 'updateLesson',
    summary: 'Reschedule or edit a scheduled lesson',
    requestExample: { scheduled_start: '2026-12-07T16:00:00Z', scheduled_end: '2026-12-07T16:50:00Z' },
  },
  'POST /v1/sessions/:id/cancel': { operationId: 'cancelLesson', summary: 'Cancel a lesson', requestExample: { reason: 'student_request' } },
  'POST /v1/sessions/:id/archive': { operationId: 'archiveLesson', summary: 'Archive a finished lesson', requestExample: {} },
  'POST /v1/sessions/:id/extend': { operationId: 'extendLesson', summary: 'Give a lesson more time', requestExample: { minutes: 10 } },
  'POST /v1/sessions/:id/tokens': { operationId: 'mintJoinToken', summary: 'Mint a join link for the tutor or the student', requestExample: { role: 'student' } },
  'POST /v1/sessions/:id/join': { operationId: 'joinLesson', summary: 'Join (participant): media node, ICE servers, lesson clock', requestExample: {} },
  'POST /v1/sessions/:id/participants/:role/revoke': {
    operationId: 'revokeParticipant',
    summary: "Remove a participant: every link of the seat stops working",
    requestExample: { reason: 'booking_cancelled' },
  },
  'GET /v1/sessions/:id/attendance': { operationId: 'getAttendance', summary: 'Attendance intervals per participant' },
  'GET /v1/sessions/:id/notes': { operationId: 'getNotes', summary: "The caller's private notes" },
  'PUT /v1/sessions/:id/notes': { operationId: 'saveNotes', summary: "Replace the caller's private notes", requestExample: { text: 'Review the subjunctive next time.' } },
  'POST /v1/sessions/:id/feedback': {
    operationId: 'submitFeedback',
    summary: 'Rate the lesson once, after it ended (participant)',
    requestExample: { rating: 5, comment: 'Great session' },
  },
  'GET /v1/sessions/:id/feedback': { operationId: 'getFeedback', summary: 'Feedback given for the lesson' },
  'GET /v1/sessions/:id/chat': { operationId: 'getChat', summary: 'Chat history, oldest first' },
  'POST /v1/sessions/:id/analytics': {
    operationId: 'postAnalyticsEvent',
    summary: 'Record a room analytics event (participant)',
    requestExample: { type: 'page_view', at: '2026-12-07T14:58:00Z', data: { user_role: 'student' } },
  },
  'POST /v1/sessions/:id/quality': {
    operationId: 'postQualityReport',
    summary: "The room's media quality summary for this seat (participant; every 30 s and at leave)",
    requestExample: {
      final: true,
      mode: 'sfu',
      path: { type: 'relay', protocol: 'tls' },
      duration_seconds: 1740,
      rtt_ms: { median: 48, p90: 95 },
      audio_loss_pct: 0.4,
      video_loss_pct: 1.2,
      audio_concealment_pct: 0.8,
      freeze_count: 2,
      freeze_seconds: 1.4,
      video_fps: 29.5,
      video_height: 720,
      browser: 'Chrome 131',
    },
  },
  'GET /v1/sessions/:id/quality': { operationId: 'getLessonQuality', summary: "Both seats' latest media quality reports (path, RTT, loss, freezes, concealment)" },
  'GET /v1/sessions/:id/recordings/:recordingId/playback': { operationId: 'getRecordingPlayback', summary: 'Playback manifest: every track\'s segments on one lesson clock (409 until ready)' },
  'GET /v1/sessions/:id/recordings/:recordingId/playback/:track/:segment': { operationId: 'getRecordingSegment', summary: 'One copied segment of a recording track (signed URL or Bearer)' },
  'GET /v1/sessions/:id/analytics': { operationId: 'listAnalyticsEvents', summary: "The lesson's room analytics events" },
  'GET /v1/sessions/:id/events': { operationId: 'listLessonEvents', summary: "The lesson's event log (what webhooks delivered)" },
  'GET /v1/webhooks/endpoints': { operationId: 'listConfiguredWebhookEndpoints', summary: 'Webhook endpoints from WEBHOOK_ENDPOINTS and the API (no secrets)' },
  'GET /v1/webhooks/deliveries': { operationId: 'listWebhookDeliveries', summary: 'The webhook delivery log' },
  'POST /v1/webhooks/deliveries/:id/retry': { operationId: 'retryWebhookDelivery', summary: 'Re-queue a failed webhook delivery', requestExample: {} },
  'GET /v1/sessions/:id/recordings': { operationId: 'listLessonRecordings', summary: "A lesson's recordings with signed download links" },
  'GET /v1/sessions/:id/recordings/:recordingId/file': { operationId: 'downloadRecording', summary: 'Download a recording (signed URL, HTTP Range)' },
  'GET /v1/recordings': { operationId: 'listRecordings', summary: 'Recordings across lessons (keyset-paged)' },
  'GET /v1/recordings/:id': { operationId: 'getRecording', summary: 'A recording with a fresh download link' },
  'DELETE /v1/recordings/:id': { operationId: 'deleteRecording', summary: 'Delete a recording from storage (the row is kept as deleted)' },
  'POST /v1/recordings/:id/retry': { operationId: 'retryRecording', summary: 'Finalize a failed recording again', requestExample: {} },
  'POST /v1/sessions/:id/recording-consent': { operationId: 'giveRecordingConsent', summary: 'Acknowledge the recording notice (participant)', requestExample: {} },
  'POST /v1/sessions/:id/erase': { operationId: 'eraseLesson', summary: "GDPR: erase a finished lesson's content", requestExample: { requested_by: 'dpo@marketplace.example' } },
  'POST /v1/users/:user_id/erase': { operationId: 'eraseUser', summary: "GDPR: erase one user's data from every lesson", requestExample: { requested_by: 'dpo@marketplace.example' } },
  'POST /v1/sessions/:id/resources': { operationId: 'uploadResource', summary: 'Share a file in the lesson (multipart `file`)' },
  'GET /v1/sessions/:id/resources': { operationId: 'listResources', summary: "The lesson's shared files with signed links" },
  'DELETE /v1/sessions/:id/resources/:rid': { operationId: 'deleteResource', summary: 'Delete a shared file' },
  'GET /v1/sessions/:id/resources/:rid/content': { operationId: 'downloadResource', summary: 'Download a shared file (signed URL, HTTP Range)' },
  'HEAD /v1/sessions/:id/resources/:rid/content': { operationId: 'headResource', summary: 'Size and type of a shared file (signed URL)' },
  'GET /v1/nodes': { operationId: 'listMediaNodes', summary: 'Registered media nodes with health and load' },
  'GET /v1/nodes/:id': { operationId: 'getMediaNode', summary: 'One media node' },
  'DELETE /v1/nodes/:id': { operationId: 'removeMediaNode', summary: 'Forget a media node' },
  'POST /v1/nodes/:id/drain': { operationId: 'drainMediaNode', summary: 'Stop placing lessons on a node', requestExample: { deadline_seconds: 900, reason: 'kernel upgrade' } },
  'POST /v1/nodes/:id/undrain': { operationId: 'undrainMediaNode', summary: 'Place lessons on a drained node again', requestExample: {} },
};

/** `getLessonAttendance`-style fallback for a route added without a table entry (camelCase of method + path). */
export function derivedOperationId(method: string, url: string): string {
  const words = [method.toLowerCase(), ...url.split('/').filter((s) => s && s !== 'v1').map((s) => (s.startsWith(':') ? `by_${s.slice(1)}` : s))];
  return words
    .join('_')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1)))
    .join('');
}
