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
