// What signaling asks the API: the facts of one lesson, and its chat. Authenticated with the
// internal secret.
import { HttpStatusError } from './http-status-error.ts';
import { internalRequest, type InternalResponse } from '@duet/api/internal-http';
import type { ChatMessage, Role } from './protocol/index.ts';

export interface LessonFacts {
  id: string;
  status: string;
  recording: boolean;
  scheduledStart: string;
  scheduledEnd: string;
  /** Scheduled end plus any extension (falls back to scheduledEnd for an API without ends_at). */
  endsAt: string;
  joinOpensAt: Date;
  joinClosesAt: Date;
}

/** A saved whiteboard is at most BOARD_MAX_DOC_BYTES' ceiling (config.ts), what the API stores at most. */
const BOARD_MAX_BYTES = 16 * 1024 * 1024;

/** The API could not answer for the lesson. */
export class LessonLookupError extends HttpStatusError {}

/** The API refused a token for its seat (superseded, used, revoked, invalid): `code` is the API's. */
export class SeatRefusedError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface SeatStanding {
  /** The node the API placed the lesson on (null: not placed yet). */
  mediaNode: string | null;
  /** Asked with `includeLesson` (and answered by the API): what opening the room needs. */
  opening?: RoomOpening;
}

/** The lesson's facts and chat history: everything a room is opened with. */
export interface RoomOpening {
  lesson: LessonFacts;
  chat: ChatMessage[];
}

function lessonFromApi(body: Record<string, unknown>): LessonFacts {
  const scheduledEnd = String(body.scheduled_end);
  return {
    id: String(body.id),
    status: String(body.status),
    recording: body.recording === true,
    scheduledStart: String(body.scheduled_start),
    scheduledEnd,
    endsAt: typeof body.ends_at === 'string' && !Number.isNaN(Date.parse(body.ends_at)) ? body.ends_at : scheduledEnd,
    joinOpensAt: new Date(String(body.join_opens_at)),
    joinClosesAt: new Date(String(body.join_closes_at)),
  };
}

export interface NewChatMessage {
  id: string;
  role: Role;
  userId: string;
  name: string;
  text: string;
  sentAt: string;
}

function chatFromApi(m: Record<string, unknown>): ChatMessage {
  return {
    id: String(m.id),
    role: m.role === 'tutor' ? 'tutor' : 'student',
    userId: String(m.user_id),
    name: String(m.name ?? ''),
    text: String(m.text ?? ''),
    sentAt: String(m.sent_at),
  };
}

export class ApiClient {
  private readonly baseUrl: string;
  private readonly secret: string;

  constructor(baseUrl: string, secret: string) {
    this.baseUrl = baseUrl;
    this.secret = secret;
  }

  /**
   * Whether `token` (with the seat ticket from POST /join, if any) may stand by for or take its
   * seat now. Asked at standby, hello and join, so a superseded, used or revoked link never
   * seats anyone on this node. `includeLesson` (the room is about to be opened): the lesson's facts
   * and chat come with the answer, saving two requests on the join path; an API that predates it
   * answers without them and the room asks for them itself.
   */
  async seatCheck(sessionId: string, token: string, ticket: string | undefined, includeLesson = false): Promise<SeatStanding> {
    let res: InternalResponse;
    try {
      res = await internalRequest(`${this.baseUrl}/internal/sessions/${encodeURIComponent(sessionId)}/seat-check${includeLesson ? '?include=lesson' : ''}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify(ticket === undefined ? { token } : { token, ticket }),
      });
    } catch (err) {
      throw new LessonLookupError(503, `the lesson service is unreachable (${(err as Error).message})`);
    }
    const body = res.json<{ media_node?: unknown; lesson?: unknown; chat?: unknown; error?: { code?: unknown; message?: unknown } }>({});
    const ok = res.status >= 200 && res.status < 300;
    if (ok) {
      const mediaNode = typeof body.media_node === 'string' ? body.media_node : null;
      const lesson = body.lesson;
      if (!includeLesson || typeof lesson !== 'object' || lesson === null || !Array.isArray(body.chat)) return { mediaNode };
      return { mediaNode, opening: { lesson: lessonFromApi(lesson as Record<string, unknown>), chat: (body.chat as Record<string, unknown>[]).map(chatFromApi) } };
    }
    if (res.status === 404) throw new SeatRefusedError('lesson_unavailable', 'this lesson does not exist');
    if (res.status >= 400 && res.status < 500 && res.status !== 429 && typeof body.error?.code === 'string' && res.status !== 401) {
      throw new SeatRefusedError(body.error.code, typeof body.error.message === 'string' ? body.error.message : body.error.code);
    }
    // 401: the API refused our own credentials (a token the API finds invalid is 401 too, but the
    // node verified its signature before asking); 429/5xx: try again later.
    if (res.status === 401 && typeof body.error?.code === 'string' && body.error.code.startsWith('token_')) {
      throw new SeatRefusedError(body.error.code, typeof body.error.message === 'string' ? body.error.message : body.error.code);
    }
    throw new LessonLookupError(res.status, `the lesson service answered ${res.status}`);
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
    let res: InternalResponse;
    try {
      res = await internalRequest(`${this.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.secret}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new LessonLookupError(503, `the lesson service is unreachable (${(err as Error).message})`);
    }
    if (res.status === 404) throw new LessonLookupError(404, 'not found');
    if (res.status < 200 || res.status >= 300) throw new LessonLookupError(res.status, `the lesson service answered ${res.status}`);
    const parsed = res.json<unknown>(undefined);
    if (typeof parsed !== 'object' || parsed === null) throw new LessonLookupError(502, 'the lesson service answered something that is not JSON');
    return parsed as Record<string, unknown>;
  }

  async lesson(sessionId: string): Promise<LessonFacts> {
    const body = await this.call('GET', `/internal/sessions/${encodeURIComponent(sessionId)}`).catch((err: LessonLookupError) => {
      if (err.status === 404) throw new LessonLookupError(404, 'lesson not found');
      throw err;
    });
    return lessonFromApi(body);
  }

  /** Stores a chat message (idempotent by its sender-chosen id) and returns it as stored. */
  async postChat(sessionId: string, m: NewChatMessage): Promise<ChatMessage> {
    const body = await this.call('POST', `/internal/sessions/${encodeURIComponent(sessionId)}/chat`, {
      id: m.id,
      role: m.role,
      user_id: m.userId,
      name: m.name,
      text: m.text,
      sent_at: m.sentAt,
    });
    const stored = (body.message ?? body) as Record<string, unknown>;
    return chatFromApi(stored);
  }

  /** The lesson's saved whiteboard (a Yjs state update), or null when none was saved yet. */
  async loadBoard(sessionId: string): Promise<{ state: Uint8Array; locked: boolean } | null> {
    let res: InternalResponse;
    try {
      res = await internalRequest(`${this.baseUrl}/internal/sessions/${encodeURIComponent(sessionId)}/whiteboard`, { headers: { authorization: `Bearer ${this.secret}` }, timeoutMs: 10_000, maxBytes: BOARD_MAX_BYTES });
    } catch (err) {
      throw new LessonLookupError(503, `the lesson service is unreachable (${(err as Error).message})`);
    }
    if (res.status === 204) return null;
    if (res.status < 200 || res.status >= 300) throw new LessonLookupError(res.status, `the lesson service answered ${res.status}`);
    return { state: new Uint8Array(res.body), locked: res.headers['duet-board-locked'] === 'true' };
  }

  /** Replaces the lesson's saved whiteboard with the node's merged doc. */
  async saveBoard(sessionId: string, state: Uint8Array, locked: boolean): Promise<void> {
    let res: InternalResponse;
    try {
      res = await internalRequest(`${this.baseUrl}/internal/sessions/${encodeURIComponent(sessionId)}/whiteboard?locked=${locked}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${this.secret}`, 'content-type': 'application/octet-stream' },
        body: state,
        timeoutMs: 10_000,
      });
    } catch (err) {
      throw new LessonLookupError(503, `the lesson service is unreachable (${(err as Error).message})`);
    }
    if (res.status < 200 || res.status >= 300) throw new LessonLookupError(res.status, `the lesson service answered ${res.status}`);
  }

  /** The lesson's chat, oldest first. */
  async chatHistory(sessionId: string, limit = 200): Promise<ChatMessage[]> {
    const body = await this.call('GET', `/internal/sessions/${encodeURIComponent(sessionId)}/chat?limit=${limit}`);
    return Array.isArray(body.messages) ? (body.messages as Record<string, unknown>[]).map(chatFromApi) : [];
  }
}
