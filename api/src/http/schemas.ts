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

export const CreateSessionBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 200 }),
    course_title: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
    scheduled_start: Type.String({ format: 'date-time' }),
    scheduled_end: Type.String({ format: 'date-time' }),
    recording: Type.Optional(Type.Boolean()),
    tutor: ParticipantInput,
    student: ParticipantInput,
  },
  { additionalProperties: false },
);
export type CreateSessionBody = Static<typeof CreateSessionBody>;

export const SessionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
export type SessionParams = Static<typeof SessionParams>;

export const MintTokenBody = Type.Object(
  { role: Type.Union([Type.Literal('tutor'), Type.Literal('student')]) },
  { additionalProperties: false },
);
export type MintTokenBody = Static<typeof MintTokenBody>;

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
