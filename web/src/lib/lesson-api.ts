// The participant-facing lesson API (Authorization: Bearer <join token>): lesson facts, notes,
// feedback, resources, recordings, attendance and analytics. Every call turns a failure into an
// ApiError with the API's machine-readable code, or `network` when the API cannot be reached.
import { ApiError, currentSeatTicket } from './api.ts';

export interface LessonPerson {
  id: string;
  name: string;
  avatar_url: string | null;
}

export interface Lesson {
  id: string;
  title: string;
  course_title?: string | null;
  status: string;
  recording: boolean;
  scheduled_start: string;
  scheduled_end: string;
  ends_at?: string | null;
  join_opens_at: string;
  join_closes_at: string;
  can_join: boolean;
  started_at: string | null;
  ended_at: string | null;
  tutor: LessonPerson;
  student: LessonPerson;
  no_show?: { tutor: boolean; student: boolean };
  end_reason?: string | null;
  duration_seconds?: number | null;
  extension_seconds?: number;
  never_overlapped?: boolean;
}

export interface AttendanceEntry {
  role: 'tutor' | 'student';
  user_id: string;
  name: string;
  intervals: { joined_at: string; left_at: string | null }[];
  duration_seconds: number;
}

export interface Resource {
  id: string;
  name: string;
  size: number;
  content_type: string;
  url: string;
  created_at?: string;
}

export interface Recording {
  id: string;
  status: 'processing' | 'ready' | 'failed' | 'deleted' | string;
  duration_seconds: number | null;
  size_bytes?: number | null;
  url: string | null;
  /** Signed: the playback description (segments seconds after the lesson, then the MP4). */
  playback_url?: string | null;
  partial?: boolean;
}

export interface Feedback {
  rating: number;
  comment: string | null;
  role?: string;
}

export class LessonApi {
  private readonly base: string;
  private readonly token: string;
  constructor(sessionId: string, token: string, origin = '') {
    this.base = `${origin}/v1/sessions/${encodeURIComponent(sessionId)}`;
    this.token = token;
  }

  private async call<T>(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    const ticket = currentSeatTicket();
    if (ticket) headers['x-duet-seat-ticket'] = ticket;
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(this.base + path, { method, headers, body: payload, ...init });
    } catch {
      throw new ApiError(0, 'network', 'The lesson service cannot be reached.');
    }
    const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } & Record<string, unknown> };
    if (!res.ok) {
      const e = json.error ?? {};
      throw new ApiError(res.status, e.code ?? `http_${res.status}`, e.message ?? `The lesson service answered ${res.status}.`, e);
    }
    return json as T;
  }

  lesson(): Promise<Lesson> {
    return this.call('GET', '');
  }

  /** Tutor: more time (POST /extend, bounded by LESSON_MAX_EXTENSION_MINUTES) → the lesson. */
  extend(minutes: number): Promise<Lesson> {
    return this.call('POST', '/extend', { minutes });
  }

  /** The person saw the recording notice and joined: the API keeps it as `recording.consent`. */
  async recordingConsent(): Promise<void> {
    await this.call('POST', '/recording-consent', {});
  }

  async attendance(): Promise<AttendanceEntry[]> {
    return (await this.call<{ participants: AttendanceEntry[] }>('GET', '/attendance')).participants ?? [];
  }

  async notes(): Promise<string> {
    const r = await this.call<{ text?: string; notes?: { text?: string } }>('GET', '/notes');
    return r.text ?? r.notes?.text ?? '';
  }

  async saveNotes(text: string): Promise<void> {
    await this.call('PUT', '/notes', { text });
  }

  /** My own feedback, or null when I have not rated yet. */
  async myFeedback(): Promise<Feedback | null> {
    const r = await this.call<Record<string, unknown>>('GET', '/feedback');
    const f = (r.feedback ?? r) as unknown;
    if (Array.isArray(f)) return (f[0] as Feedback | undefined) ?? null;
    if (f && typeof f === 'object' && typeof (f as Feedback).rating === 'number') return f as Feedback;
    return null;
  }

  async sendFeedback(rating: number, comment: string): Promise<void> {
    await this.call('POST', '/feedback', comment.trim() ? { rating, comment: comment.trim() } : { rating });
  }

  async resources(): Promise<Resource[]> {
    const r = await this.call<{ resources?: Record<string, unknown>[] }>('GET', '/resources');
    return (r.resources ?? []).map(normalizeResource);
  }

  async upload(file: File): Promise<Resource> {
    const form = new FormData();
    form.append('file', file, file.name);
    const r = await this.call<Record<string, unknown>>('POST', '/resources', form);
    return normalizeResource((r.resource ?? r) as Record<string, unknown>);
  }

  async recordings(): Promise<Recording[]> {
    const r = await this.call<{ recordings?: Recording[] }>('GET', '/recordings');
    return r.recordings ?? [];
  }

  /** Fire and forget; keepalive lets the last event of a closing page still go out. */
  analytics(type: string, at: Date, data: Record<string, unknown>): Promise<void> {
    return this.call('POST', '/analytics', { type, at: at.toISOString(), data }, { keepalive: true }).then(
      () => undefined,
      () => undefined,
    );
  }
}

function normalizeResource(r: Record<string, unknown>): Resource {
  return {
    id: String(r.id ?? ''),
    name: String(r.name ?? r.filename ?? r.file_name ?? 'file'),
    size: Number(r.size ?? r.size_bytes ?? 0),
    content_type: String(r.content_type ?? 'application/octet-stream'),
    url: String(r.url ?? ''),
    created_at: typeof r.created_at === 'string' ? r.created_at : undefined,
  };
}
