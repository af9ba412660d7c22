// What a room reports about its media (POST /v1/sessions/:id/quality) and what the marketplace
// reads back (GET). Every field is bounded: a report is a few hundred bytes, whatever a page sends.
import { Type, type Static } from '@sinclair/typebox';

const Pct = Type.Union([Type.Number({ minimum: 0, maximum: 100 }), Type.Null()]);
const Ms = Type.Number({ minimum: 0, maximum: 600_000 });

export const QualityReport = Type.Object(
  {
    /** The report sent when the person leaves (the last word for this seat). */
    final: Type.Optional(Type.Boolean()),
    mode: Type.Union([Type.Literal('p2p'), Type.Literal('sfu'), Type.Null()]),
    /** The ICE path in use: host (direct) / srflx / prflx / relay (TURN), over udp / tcp / tls. */
    path: Type.Union([
      Type.Object(
        {
          type: Type.Union([Type.Literal('host'), Type.Literal('srflx'), Type.Literal('prflx'), Type.Literal('relay'), Type.Literal('unknown')]),
          protocol: Type.Union([Type.Literal('udp'), Type.Literal('tcp'), Type.Literal('tls'), Type.Literal('unknown')]),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
    /** Seconds of media this summary covers. */
    duration_seconds: Type.Number({ minimum: 0, maximum: 86_400 }),
    rtt_ms: Type.Union([Type.Object({ median: Ms, p90: Ms }, { additionalProperties: false }), Type.Null()]),
    audio_loss_pct: Pct,
    video_loss_pct: Pct,
    /** Received audio the browser had to make up (concealment), %. */
    audio_concealment_pct: Pct,
    freeze_count: Type.Integer({ minimum: 0, maximum: 100_000 }),
    freeze_seconds: Type.Number({ minimum: 0, maximum: 86_400 }),
    video_fps: Type.Union([Type.Number({ minimum: 0, maximum: 240 }), Type.Null()]),
    video_height: Type.Union([Type.Integer({ minimum: 0, maximum: 4320 }), Type.Null()]),
    /** Browser name and major version, e.g. "Chrome 131" (from the page; free text, short). */
    browser: Type.String({ maxLength: 64, pattern: '^[A-Za-z0-9 ._/()-]*$' }),
  },
  { additionalProperties: false },
);
export type QualityReport = Static<typeof QualityReport>;

const Seat = Type.Object({
  role: Type.Union([Type.Literal('tutor'), Type.Literal('student')]),
  user_id: Type.String(),
  reports: Type.Integer(),
  final: Type.Boolean(),
  updated_at: Type.String({ format: 'date-time' }),
  report: Type.Omit(QualityReport, ['final']),
});

export const LessonQuality = Type.Object({
  session_id: Type.String(),
  participants: Type.Array(Seat),
});
export type LessonQuality = Static<typeof LessonQuality>;
