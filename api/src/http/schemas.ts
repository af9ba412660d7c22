// Request schemas (TypeBox = JSON Schema, validated by Fastify's Ajv). Unknown fields are rejected
// so a typo such as "recordng" fails loudly instead of being ignored.
import { Type, type Static } from '@sinclair/typebox';

const HttpUrl = Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 });

export const ParticipantInput = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 200 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    avatar_url: Type.Optional(Type.Union([HttpUrl, Type.Null()])),
  },
  { additionalProperties: false },
);

/** The marketplace's JSON object; its bounds (4 KB, depth, keys) are checked by domain/metadata.ts. */
export const MetadataInput = Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), {
  maxProperties: 50,
  description: 'a small JSON object (≤ 4 KB serialized, ≤ 5 levels, ≤ 50 keys) returned on every read and in every webhook about the lesson',
  examples: [{ booking_id: 'bk_1042', plan: 'trial' }],
});
export const ExternalId = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^[\\x21-\\x7e]+$',
  description: "the marketplace's own id (e.g. its booking id), unique per API key: a create with a known one returns that lesson (200)",
});

export const CreateSessionBody = Type.Object(
  {
    external_id: Type.Optional(ExternalId),
    metadata: Type.Optional(MetadataInput),
    title: Type.String({ minLength: 1, maxLength: 200 }),
    course_title: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
    scheduled_start: Type.String({ format: 'date-time' }),
    scheduled_end: Type.String({ format: 'date-time' }),
    recording: Type.Optional(Type.Boolean()),
    tutor: ParticipantInput,
    student: ParticipantInput,
  },
  {
    additionalProperties: false,
    examples: [
      {
        external_id: 'booking-1042',
        title: 'Algebra: quadratic equations',
        scheduled_start: '2026-12-07T15:00:00Z',
        scheduled_end: '2026-12-07T15:50:00Z',
        recording: false,
        tutor: { id: 'tutor-17', name: 'Ana Tutor' },
        student: { id: 'student-42', name: 'Sam Student' },
        metadata: { booking_id: 'bk_1042', plan: 'trial' },
      },
    ],
  },
);
export type CreateSessionBody = Static<typeof CreateSessionBody>;

export const SessionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

/** A signed download URL's query (services/signed-urls.ts); `seat` on URLs minted for a participant. */
export const SignedQuery = Type.Object({
  exp: Type.Optional(Type.String({ maxLength: 20 })),
  seat: Type.Optional(Type.String({ maxLength: 100 })),
  sig: Type.Optional(Type.String({ maxLength: 128 })),
});
export type SignedQuery = Static<typeof SignedQuery>;
export type SessionParams = Static<typeof SessionParams>;

export const MintTokenBody = Type.Object(
  { role: Type.Union([Type.Literal('tutor'), Type.Literal('student')]) },
  { additionalProperties: false },
);
export type MintTokenBody = Static<typeof MintTokenBody>;

export const ParticipantParams = Type.Object({
  id: SessionParams.properties.id,
  role: Type.Union([Type.Literal('tutor'), Type.Literal('student')]),
});
export type ParticipantParams = Static<typeof ParticipantParams>;
export const RevokeBody = Type.Union([
  Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }),
  Type.Null(),
]);
export type RevokeBody = Static<typeof RevokeBody>;
/** The media node asks whether a token may take or keep its seat (standby/hello/join). */
export const SeatCheckBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 8192 }), ticket: Type.Optional(Type.String({ maxLength: 128 })) },
  { additionalProperties: false },
);
export type SeatCheckBody = Static<typeof SeatCheckBody>;
/** `include=lesson`: the seat check also answers the lesson's facts and chat (see SeatCheckJson). */
export const SeatCheckQuery = Type.Object({ include: Type.Optional(Type.Literal('lesson')) }, { additionalProperties: false });
export type SeatCheckQuery = Static<typeof SeatCheckQuery>;

/** An internal hook; checked with TypeBox's Value after the signature (see routes/internal.ts). */
export const HookEvent = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 200 }),
  type: Type.String({ minLength: 1, maxLength: 100 }),
  created_at: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T' }),
  session_id: Type.String({ minLength: 1, maxLength: 100 }),
  data: Type.Record(Type.String(), Type.Unknown()),
});

export const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
});
const RoleLiteral = Type.Union([Type.Literal('tutor'), Type.Literal('student')]);

/** POST /internal/sessions/:id/chat (checked with TypeBox's Value: this scope keeps raw bodies). */
export const ChatMessageBody = Type.Object(
  {
    id: Uuid,
    role: RoleLiteral,
    user_id: Type.String({ minLength: 1, maxLength: 200 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    text: Type.String({ minLength: 1, maxLength: 2000 }),
    sent_at: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T' }),
  },
  { additionalProperties: false },
);
export type ChatMessageBody = Static<typeof ChatMessageBody>;

/** Query integers arrive as strings (type coercion is off): digits, parsed by the route. */
export const LimitQuery = Type.Object(
  { limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })) },
  { additionalProperties: false },
);
export type LimitQuery = Static<typeof LimitQuery>;

export function parseLimit(raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  return Math.max(1, Math.min(Number(raw), max));
}

export const ListSessionsQuery = Type.Object(
  {
    user_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    role: Type.Optional(RoleLiteral),
    /** Comma-separated statuses. */
    status: Type.Optional(
      Type.String({
        pattern: '^(scheduled|waiting|live|reconnecting|completed|cancelled|no_show|archived)(,(scheduled|waiting|live|reconnecting|completed|cancelled|no_show|archived))*$',
      }),
    ),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
  },
  { additionalProperties: false },
);
export type ListSessionsQuery = Static<typeof ListSessionsQuery>;

export const UpdateSessionBody = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    course_title: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
    recording: Type.Optional(Type.Boolean()),
    scheduled_start: Type.Optional(Type.String({ format: 'date-time' })),
    scheduled_end: Type.Optional(Type.String({ format: 'date-time' })),
    metadata: Type.Optional(MetadataInput),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateSessionBody = Static<typeof UpdateSessionBody>;

export const CancelBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 1000 }) },
  { additionalProperties: false },
);
export type CancelBody = Static<typeof CancelBody>;

export const ExtendBody = Type.Object(
  { minutes: Type.Integer({ minimum: 1, maximum: 240 }) },
  { additionalProperties: false },
);
export type ExtendBody = Static<typeof ExtendBody>;

/** Routes that take no fields (POST /join: the web room sends `{}`, other callers nothing). */
export const NoBody = Type.Unsafe<Record<string, never> | null>({
  type: ['object', 'null'],
  maxProperties: 0,
  description: 'no fields: send nothing or {}',
});

export const NoteBody = Type.Object({ text: Type.String({ maxLength: 20000 }) }, { additionalProperties: false });
export type NoteBody = Static<typeof NoteBody>;

export const RoleQuery = Type.Object({ role: Type.Optional(RoleLiteral) }, { additionalProperties: false });
export type RoleQuery = Static<typeof RoleQuery>;

export const FeedbackBody = Type.Object(
  {
    rating: Type.Integer({ minimum: 1, maximum: 5 }),
    comment: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
  },
  { additionalProperties: false },
);
export type FeedbackBody = Static<typeof FeedbackBody>;

export const AnalyticsBody = Type.Object(
  {
    type: Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,63}$' }),
    at: Type.String({ format: 'date-time' }),
    data: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), { maxProperties: 50 })),
  },
  { additionalProperties: false },
);
export type AnalyticsBody = Static<typeof AnalyticsBody>;

export const AnalyticsQuery = Type.Object(
  {
    type: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,63}$' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  },
  { additionalProperties: false },
);
export type AnalyticsQuery = Static<typeof AnalyticsQuery>;
