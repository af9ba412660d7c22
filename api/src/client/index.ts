// A small typed client for marketplaces (server side, Node 18+): lessons, join tokens, attendance,
// webhooks. Self-contained (fetch + node:crypto), so it can also be copied into another codebase.
export { verifyWebhook, WebhookSignatureError, DUET_SIGNATURE_HEADER, DUET_EVENT_ID_HEADER, type DuetWebhookEvent } from './webhook-signature.ts';

export type Role = 'tutor' | 'student';
export type LessonStatus = 'scheduled' | 'waiting' | 'live' | 'reconnecting' | 'completed' | 'cancelled' | 'no_show' | 'archived';

export interface PersonInput {
  id: string;
  name: string;
  avatar_url?: string | null;
}

export interface CreateLessonInput {
  title: string;
  course_title?: string | null;
  scheduled_start: string | Date;
  scheduled_end: string | Date;
  recording?: boolean;
  tutor: PersonInput;
  student: PersonInput;
}

export interface Lesson {
  id: string;
  title: string;
  course_title: string | null;
  status: LessonStatus;
  recording: boolean;
  scheduled_start: string;
  scheduled_end: string;
  ends_at: string;
  extension_seconds: number;
  join_opens_at: string;
  join_closes_at: string;
  can_join: boolean;
  started_at: string | null;
  ended_at: string | null;
  planned_duration_seconds: number;
  duration_seconds: number | null;
  end_reason: string | null;
  /** Both attended but never at the same time: completed, not a no-show (end_reason never_overlapped). */
  never_overlapped: boolean;
  no_show: { tutor: boolean; student: boolean };
  cancel_reason: string | null;
  cancelled_at: string | null;
  archived_at: string | null;
  media_node: string | null;
  created_at: string;
  updated_at: string;
  tutor: { id: string; name: string; avatar_url: string | null };
  student: { id: string; name: string; avatar_url: string | null };
}

export interface JoinToken {
  token: string;
  expires_at: string;
  /** Open this in the participant's browser; the token travels in the URL fragment. */
  join_url: string;
}

export interface Attendance {
  participants: {
    role: Role;
    user_id: string;
    name: string;
    first_joined_at: string | null;
    last_left_at: string | null;
    no_show: boolean;
    intervals: { joined_at: string; left_at: string | null }[];
    duration_seconds: number;
  }[];
}

export interface ListLessonsFilter {
  user_id?: string;
  role?: Role;
  status?: LessonStatus | LessonStatus[];
  from?: string | Date;
  to?: string | Date;
  limit?: number;
  cursor?: string;
}

/** Any non-2xx answer: the HTTP status plus the API's machine-readable error code and details. */
export class DuetApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'DuetApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export interface Recording {
  id: string;
  session_id: string;
  status: 'processing' | 'ready' | 'failed' | 'deleted';
  started_at: string;
  finished_at: string | null;
  duration_seconds: number | null;
  size_bytes: number | null;
  content_type: string | null;
  partial: boolean;
  failure_reason: string | null;
  url: string | null;
  url_expires_at: string | null;
  deleted_at: string | null;
  deleted_reason: 'api' | 'retention' | 'session_erased' | 'user_erased' | null;
}

export interface ListRecordingsFilter {
  from?: string | Date;
  to?: string | Date;
  user_id?: string;
  status?: Recording['status'];
  limit?: number;
  cursor?: string;
}

export interface DuetClientOptions {
  /** e.g. https://lessons.example.com */
  baseUrl: string;
  apiKey: string;
  /** Per request, default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const iso = (d: string | Date) => (d instanceof Date ? d.toISOString() : d);

export class DuetClient {
  readonly #base: string;
  readonly #key: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(opts: DuetClientOptions) {
    if (!opts.baseUrl || !opts.apiKey) throw new TypeError('DuetClient needs baseUrl and apiKey');
    this.#base = opts.baseUrl.replace(/\/+$/, '');
    this.#key = opts.apiKey;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#fetch = opts.fetch ?? fetch;
  }

  createLesson(input: CreateLessonInput): Promise<Lesson> {
    return this.#call('POST', '/v1/sessions', { ...input, scheduled_start: iso(input.scheduled_start), scheduled_end: iso(input.scheduled_end) });
  }

  getLesson(id: string): Promise<Lesson> {
    return this.#call('GET', `/v1/sessions/${encodeURIComponent(id)}`);
  }

  listLessons(filter: ListLessonsFilter = {}): Promise<{ sessions: Lesson[]; next_cursor: string | null }> {
    const q = new URLSearchParams();
    if (filter.user_id) q.set('user_id', filter.user_id);
    if (filter.role) q.set('role', filter.role);
    if (filter.status) q.set('status', Array.isArray(filter.status) ? filter.status.join(',') : filter.status);
    if (filter.from) q.set('from', iso(filter.from));
    if (filter.to) q.set('to', iso(filter.to));
    if (filter.limit) q.set('limit', String(filter.limit));
    if (filter.cursor) q.set('cursor', filter.cursor);
    const qs = q.toString();
    return this.#call('GET', `/v1/sessions${qs ? `?${qs}` : ''}`);
  }

  rescheduleLesson(id: string, start: string | Date, end: string | Date): Promise<Lesson> {
    return this.#call('PATCH', `/v1/sessions/${encodeURIComponent(id)}`, { scheduled_start: iso(start), scheduled_end: iso(end) });
  }

  cancelLesson(id: string, reason: string): Promise<Lesson> {
    return this.#call('POST', `/v1/sessions/${encodeURIComponent(id)}/cancel`, { reason });
  }

  extendLesson(id: string, minutes: number): Promise<Lesson> {
    return this.#call('POST', `/v1/sessions/${encodeURIComponent(id)}/extend`, { minutes });
  }

  archiveLesson(id: string): Promise<Lesson> {
    return this.#call('POST', `/v1/sessions/${encodeURIComponent(id)}/archive`);
  }

  mintJoinToken(id: string, role: Role): Promise<JoinToken> {
    return this.#call('POST', `/v1/sessions/${encodeURIComponent(id)}/tokens`, { role });
  }

  /** Recordings across lessons, oldest first; pass `next_cursor` back as `cursor` for the next page. */
  listRecordings(filter: ListRecordingsFilter = {}): Promise<{ recordings: Recording[]; next_cursor: string | null }> {
    const q = new URLSearchParams();
    if (filter.from) q.set('from', iso(filter.from));
    if (filter.to) q.set('to', iso(filter.to));
    if (filter.user_id) q.set('user_id', filter.user_id);
    if (filter.status) q.set('status', filter.status);
    if (filter.limit) q.set('limit', String(filter.limit));
    if (filter.cursor) q.set('cursor', filter.cursor);
    const qs = q.toString();
    return this.#call('GET', `/v1/recordings${qs ? `?${qs}` : ''}`);
  }

  /** One recording with a fresh, short-lived download `url` (what `recording.ready`'s `recording_url` points at). */
  getRecording(id: string): Promise<Recording> {
    return this.#call('GET', `/v1/recordings/${encodeURIComponent(id)}`);
  }

  deleteRecording(id: string): Promise<void> {
    return this.#call('DELETE', `/v1/recordings/${encodeURIComponent(id)}`);
  }

  /** GDPR: erase a finished lesson's content (its times and status stay). */
  eraseLesson(id: string, requestedBy?: string): Promise<Record<string, unknown> & { erase_id: string }> {
    return this.#call('POST', `/v1/sessions/${encodeURIComponent(id)}/erase`, requestedBy ? { requested_by: requestedBy } : {});
  }

  /** GDPR: erase everything about one user id across their (finished) lessons. */
  eraseUser(userId: string, requestedBy?: string): Promise<Record<string, unknown> & { erase_id: string }> {
    return this.#call('POST', `/v1/users/${encodeURIComponent(userId)}/erase`, requestedBy ? { requested_by: requestedBy } : {});
  }

  getAttendance(id: string): Promise<Attendance> {
    return this.#call('GET', `/v1/sessions/${encodeURIComponent(id)}/attendance`);
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.#fetch(this.#base + path, {
      method,
      headers: {
        authorization: `Bearer ${this.#key}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // reported below
    }
    if (!res.ok) {
      const e = (parsed as { error?: { code?: string; message?: string } & Record<string, unknown> } | null)?.error;
      const { code, message, ...details } = e ?? {};
      throw new DuetApiError(res.status, code ?? `http_${res.status}`, message ?? `HTTP ${res.status}`, details);
    }
    if (res.status === 204) return undefined as T;
    if (parsed === null) throw new DuetApiError(res.status, 'invalid_response', 'the API answered with a body that is not JSON');
    return parsed as T;
  }
}
