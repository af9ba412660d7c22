// Response schemas (TypeBox = JSON Schema). Fastify serializes 2xx bodies with them
// (fast-json-stringify) and @fastify/swagger lists them in the OpenAPI document. Every object is
// closed (additionalProperties: false): fast-json-stringify silently drops fields a schema does not
// name, so the tests check every response against these schemas and a field added to a body without
// its schema fails there instead of vanishing. Nullable and enum fields use `type: [..., 'null']`
// and `enum` rather than anyOf, which fast-json-stringify would check branch by branch at runtime.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { LESSON_STATUSES } from '../domain/lesson-status.ts';

const closed = { additionalProperties: false } as const;
const Obj = <P extends Record<string, TSchema>>(props: P, description?: string) =>
  Type.Object(props, { ...closed, ...(description ? { description } : {}) });

const DateTime = Type.String({ format: 'date-time' });
/** `T | null` as a JSON Schema type array (OpenAPI 3.1). */
function Nullable<T extends TSchema>(schema: T) {
  const s = schema as unknown as { type?: string };
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [s.type, 'null'] });
}
function StringEnum<const V extends readonly string[]>(values: V, description?: string) {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
}
const NullableDateTime = Nullable(DateTime);
const NullableString = Nullable(Type.String());
const Role = StringEnum(['tutor', 'student']);
/** Free-form JSON object (event data, analytics data): serialized as is. */
const AnyObject = Type.Object({}, { additionalProperties: true });

/** `{"error": {"code", "message", …details}}`: the one error shape of the API. */
export const ErrorBody = Obj(
  {
    error: Type.Object(
      {
        code: Type.String({ description: 'stable machine-readable code, e.g. validation_failed, join_too_early' }),
        message: Type.String({ description: 'human-readable explanation' }),
      },
      { additionalProperties: true, description: 'extra fields give details (e.g. opens_at for join_too_early)' },
    ),
  },
  'every 4xx/5xx answer',
);

/** Adds the error body for 4xx and 5xx to a route's 2xx responses. */
export function withErrors<R extends Record<number, TSchema>>(ok: R): R & { '4xx': typeof ErrorBody; '5xx': typeof ErrorBody } {
  return { ...ok, '4xx': ErrorBody, '5xx': ErrorBody };
}

export const NoContent = Type.Null({ description: 'no body' });

export const ParticipantJson = Obj({ id: Type.String(), name: Type.String(), avatar_url: NullableString });

export const SessionJson = Obj(
  {
    id: Type.String(),
    title: Type.String(),
    course_title: NullableString,
    status: StringEnum(LESSON_STATUSES),
    recording: Type.Boolean(),
    scheduled_start: DateTime,
    scheduled_end: DateTime,
    join_opens_at: DateTime,
    join_closes_at: DateTime,
    can_join: Type.Boolean({ description: 'whether the room can be entered now (by the calling participant)' }),
    ends_at: DateTime,
    extension_seconds: Type.Integer(),
    started_at: NullableDateTime,
    ended_at: NullableDateTime,
    planned_duration_seconds: Type.Integer(),
    duration_seconds: Nullable(Type.Integer()),
    end_reason: NullableString,
    never_overlapped: Type.Boolean(),
    no_show: Obj({ tutor: Type.Boolean(), student: Type.Boolean() }),
    cancel_reason: NullableString,
    cancelled_at: NullableDateTime,
    archived_at: NullableDateTime,
    media_node: NullableString,
    created_at: DateTime,
    updated_at: DateTime,
    tutor: ParticipantJson,
    student: ParticipantJson,
    external_id: Type.Unsafe<string | null>({ type: ['string', 'null'], description: "the marketplace's own id for the lesson (unique per API key); null for participants" }),
    metadata: Type.Object({}, { additionalProperties: true, description: "the marketplace's JSON object (≤ 4 KB); {} for participants (join tokens)" }),
  },
  'a lesson',
);

export const SessionList = Obj({ sessions: Type.Array(SessionJson), next_cursor: NullableString });

export const TokenJson = Obj({
  token: Type.String({ description: 'the join token (a JWT); hand it to the participant' }),
  expires_at: DateTime,
  join_url: Type.String({ description: 'the room page with the token in the URL fragment' }),
});

const IceServerJson = Obj({
  // anyOf, not a type array: fast-json-stringify would write an array as a string.
  urls: Type.Union([Type.String(), Type.Array(Type.String())]),
  username: Type.Optional(Type.String()),
  credential: Type.Optional(Type.String()),
});

export const JoinJson = Obj({
  signaling_url: Type.String(),
  // Proof that this page did the join: sent with standby/hello, and with JOIN_TOKEN_SINGLE_USE as
  // `x-duet-seat-ticket` on participant routes (the link alone is "used" after its join).
  seat_ticket: Type.String(),
  media_node: Type.String(),
  ice_servers: Type.Array(IceServerJson),
  session: SessionJson,
  you: Obj({ role: Role, user_id: Type.String(), name: Type.String(), avatar_url: NullableString }),
  peer: Obj({ role: Role, user_id: Type.String(), name: Type.String(), avatar_url: NullableString }),
  timer: Obj({
    scheduled_start: DateTime,
    scheduled_end: DateTime,
    ends_at: DateTime,
    extension_seconds: Type.Integer(),
    max_extension_seconds: Type.Integer(),
    warnings_minutes_before_end: Type.Array(Type.Integer()),
    server_time: DateTime,
  }),
});

export const AttendanceJson = Obj({
  participants: Type.Array(
    Obj({
      role: Role,
      user_id: Type.String(),
      name: Type.String(),
      first_joined_at: NullableDateTime,
      last_left_at: NullableDateTime,
      no_show: Type.Boolean(),
      intervals: Type.Array(Obj({ joined_at: DateTime, left_at: NullableDateTime })),
      duration_seconds: Type.Integer(),
    }),
  ),
});

export const NoteJson = Obj({ role: Role, text: Type.String(), updated_at: NullableDateTime });

const FeedbackJson = Obj({ role: Role, user_id: Type.String(), rating: Type.Integer(), comment: NullableString, created_at: DateTime });
export const FeedbackCreated = Obj({ feedback: FeedbackJson });
export const FeedbackList = Obj({ feedback: Type.Array(FeedbackJson) });

const ChatMessageJson = Obj({ id: Type.String(), role: Role, user_id: Type.String(), name: Type.String(), text: Type.String(), sent_at: DateTime });
export const ChatMessageStored = Obj({ message: ChatMessageJson });
export const ChatHistory = Obj({ messages: Type.Array(ChatMessageJson) });

export const Accepted = Obj({ ok: Type.Boolean() });
export const AnalyticsList = Obj({
  events: Type.Array(
    Obj({ id: Type.String(), type: Type.String(), at: DateTime, role: Role, user_id: Type.String(), data: AnyObject, received_at: DateTime }),
  ),
});

export const ResourceJson = Obj({
  id: Type.String(),
  filename: Type.String(),
  content_type: Type.String(),
  size_bytes: Type.Integer(),
  uploaded_by: Obj({ role: StringEnum(['tutor', 'service']), user_id: NullableString }),
  created_at: DateTime,
  url: Type.String({ description: 'signed, short-lived download URL (works without headers)' }),
  url_expires_at: DateTime,
});
export const ResourceCreated = Obj({ resource: ResourceJson });
export const ResourceList = Obj({ resources: Type.Array(ResourceJson) });

export const RecordingJson = Obj({
  id: Type.String(),
  session_id: Type.String(),
  status: StringEnum(['processing', 'ready', 'failed', 'deleted']),
  started_at: DateTime,
  finished_at: NullableDateTime,
  duration_seconds: Nullable(Type.Number()),
  size_bytes: Nullable(Type.Integer()),
  content_type: NullableString,
  partial: Type.Boolean(),
  failure_reason: NullableString,
  url: Nullable(Type.String({ description: 'signed, short-lived; ready recordings only' })),
  url_expires_at: NullableDateTime,
  playback_url: Nullable(Type.String({ description: 'signed, short-lived: GET it for the playback description (segments seconds after the lesson, then the composed file); processing and ready recordings' })),
  deleted_at: NullableDateTime,
  deleted_reason: Type.Unsafe<string | null>({ type: ['string', 'null'], enum: ['api', 'retention', 'session_erased', 'user_erased', null] }),
});

export const RecordingRetryStarted = Obj({
  recording_id: Type.String(),
  session_id: Type.String(),
  status: Type.Literal('processing'),
  media_node: Type.String({ description: 'the media node whose recorder finalizes the recording again' }),
});
export const RecordingList = Obj({ recordings: Type.Array(RecordingJson) });
export const RecordingPage = Obj({ recordings: Type.Array(RecordingJson), next_cursor: NullableString });

/**
 * Bytes (downloads) in the file's own content type: documented, not serialized by Fastify (streams
 * pass through). Declared per media type, or the document would claim JSON.
 */
export const Binary = Type.Unsafe<unknown>({
  description: 'the file (HTTP Range supported)',
  content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
});

const EventJson = Obj({ id: Type.String(), type: Type.String(), created_at: DateTime, session_id: Type.String(), data: AnyObject });
export const EventList = Obj({ events: Type.Array(EventJson) });

export const WebhookEndpoints = Obj({
  endpoints: Type.Array(Obj({ url: Type.String(), types: Nullable(Type.Array(Type.String())) })),
  max_age_seconds: Type.Integer(),
  max_attempts: Type.Integer(),
});
const DeliveryJson = Obj({
  id: Type.String(),
  event_id: Type.String(),
  event_type: Type.String(),
  session_id: NullableString,
  endpoint_url: Type.String(),
  status: StringEnum(['pending', 'delivered', 'failed']),
  attempts: Type.Integer(),
  last_error: NullableString,
  last_status_code: Nullable(Type.Integer()),
  next_attempt_at: NullableDateTime,
  delivered_at: NullableDateTime,
  created_at: DateTime,
  updated_at: DateTime,
});
export const DeliveryList = Obj({ deliveries: Type.Array(DeliveryJson), next_before: NullableString });
export const DeliveryRequeued = Obj({ delivery: DeliveryJson });

export const InternalSessionJson = Obj({
  id: Type.String(),
  status: StringEnum(LESSON_STATUSES),
  recording: Type.Boolean(),
  scheduled_start: DateTime,
  scheduled_end: DateTime,
  join_opens_at: DateTime,
  join_closes_at: DateTime,
  ends_at: DateTime,
  extension_seconds: Type.Integer(),
  media_node: NullableString,
});
// `?include=lesson` (a node about to open the lesson's room): the lesson's facts and chat come
// with the answer, one request instead of three on the join path.
export const SeatCheckJson = Obj({
  ok: Type.Boolean(),
  role: Role,
  user_id: Type.String(),
  jti: Type.String(),
  media_node: NullableString,
  lesson: Type.Optional(InternalSessionJson),
  chat: Type.Optional(Type.Array(ChatMessageJson)),
});
export const RevokedJson = Obj({ role: Role, user_id: Type.String(), revoked_at: DateTime, node_notified: Type.Boolean() });
export const HookAccepted = Obj({ ok: Type.Boolean(), duplicate: Type.Optional(Type.Boolean()) });

export const NodeDirectiveJson = Obj({
  state: Type.String(),
  drain_deadline: NullableDateTime,
  heartbeat_timeout_ms: Type.Integer(),
});
const NodeLoadJson = Obj({
  lessons: Type.Integer(),
  participants: Type.Integer(),
  consumers: Type.Integer(),
  cpu_percent: Type.Number(),
  bitrate_bps: Type.Number(),
  workers: Type.Integer(),
});
export const NodeJson = Obj({
  id: Type.String(),
  signaling_url: Type.String(),
  internal_url: Type.String(),
  media_address: Type.String(),
  capacity: Type.Integer(),
  state: Type.String(),
  health: Type.String(),
  drain_deadline: NullableDateTime,
  drain_reason: NullableString,
  version: NullableString,
  registered_at: DateTime,
  last_heartbeat_at: DateTime,
  heartbeat_age_ms: Type.Number(),
  lost_at: NullableDateTime,
  assigned_lessons: Type.Integer(),
  load: NodeLoadJson,
});
export const NodeRegistered = Obj({
  node: NodeJson,
  state: Type.String(),
  drain_deadline: NullableDateTime,
  heartbeat_timeout_ms: Type.Integer(),
});
export const NodeList = Obj({ nodes: Type.Array(NodeJson) });

export const Healthz = Obj({ ok: Type.Boolean() });
/** GET /v1/join-keys: the public keys join tokens are verified with (JWKS, RFC 7517 / RFC 8037). */
export const JoinKeySet = Obj(
  {
    keys: Type.Array(
      Obj({
        kty: Type.Literal('OKP'),
        crv: Type.Literal('Ed25519'),
        kid: Type.String({ description: 'names the key; join tokens carry it in their header' }),
        x: Type.String({ description: 'the raw 32-byte public key, base64url' }),
        alg: Type.Literal('EdDSA'),
        use: Type.Literal('sig'),
      }),
    ),
  },
  'The signing key first, then keys still accepted during a rotation (JOIN_TOKEN_VERIFY_SECRETS).',
);
export const Readyz = Obj({ ready: Type.Boolean(), reasons: Type.Array(Type.String()) });
/** Text answers, declared with their media type (a plain string schema would be documented as JSON). */
const textAs = (mediaType: string, description: string) =>
  Type.Unsafe<string>({ description, content: { [mediaType]: { schema: { type: 'string' } } } });
export const MetricsText = textAs('text/plain', 'Prometheus text exposition format');
export const Html = textAs('text/html', 'HTML page');
