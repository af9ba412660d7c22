// The participant-facing lesson API (Authorization: Bearer <join token>): lesson facts, notes,
// feedback, resources, recordings, attendance and analytics. Every call turns a failure into an
// ApiError with the API's machine-readable code, or `network` when the API cannot be reached.
// The calls go through the generated client (@duet/sdk/fetch), typed from api/openapi.json.
import type { DuetClient } from '@duet/sdk/fetch';
import { participantClient, unwrapCall } from './api.ts';
import type { QualityReportBody } from '../room-quality.ts';

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
  private readonly client: DuetClient;
  private readonly path: { id: string };
  constructor(sessionId: string, token: string, origin = '') {
    this.client = participantClient(token, origin);
    this.path = { id: sessionId };
  }

  lesson(): Promise<Lesson> {
    return unwrapCall(this.client.GET('/v1/sessions/{id}', { params: { path: this.path } })) as Promise<Lesson>;
  }

  /** Tutor: more time (POST /extend, bounded by LESSON_MAX_EXTENSION_MINUTES) → the lesson. */
  extend(minutes: number): Promise<Lesson> {
    return unwrapCall(this.client.POST('/v1/sessions/{id}/extend', { params: { path: this.path }, body: { minutes } })) as Promise<Lesson>;
  }

  /** The person saw the recording notice and joined: the API keeps it as `recording.consent`. */
  async recordingConsent(): Promise<void> {
    await unwrapCall(this.client.POST('/v1/sessions/{id}/recording-consent', { params: { path: this.path }, body: {} }));
  }

  async attendance(): Promise<AttendanceEntry[]> {
    const r = await unwrapCall(this.client.GET('/v1/sessions/{id}/attendance', { params: { path: this.path } }));
    return (r.participants ?? []) as AttendanceEntry[];
  }

  async notes(): Promise<string> {
    const r = (await unwrapCall(this.client.GET('/v1/sessions/{id}/notes', { params: { path: this.path } }))) as { text?: string; notes?: { text?: string } };
    return r.text ?? r.notes?.text ?? '';
  }

  async saveNotes(text: string): Promise<void> {
    await unwrapCall(this.client.PUT('/v1/sessions/{id}/notes', { params: { path: this.path }, body: { text } }));
  }

  /** My own feedback, or null when I have not rated yet. */
  async myFeedback(): Promise<Feedback | null> {
    const r = (await unwrapCall(this.client.GET('/v1/sessions/{id}/feedback', { params: { path: this.path } }))) as Record<string, unknown>;
    const f = (r.feedback ?? r) as unknown;
    if (Array.isArray(f)) return (f[0] as Feedback | undefined) ?? null;
    if (f && typeof f === 'object' && typeof (f as Feedback).rating === 'number') return f as Feedback;
    return null;
  }

  async sendFeedback(rating: number, comment: string): Promise<void> {
    await unwrapCall(this.client.POST('/v1/sessions/{id}/feedback', { params: { path: this.path }, body: comment.trim() ? { rating, comment: comment.trim() } : { rating } }));
  }

  async resources(): Promise<Resource[]> {
    const r = (await unwrapCall(this.client.GET('/v1/sessions/{id}/resources', { params: { path: this.path } }))) as { resources?: Record<string, unknown>[] };
    return (r.resources ?? []).map(normalizeResource);
  }

  async upload(file: File): Promise<Resource> {
    const form = new FormData();
    form.append('file', file, file.name);
    // multipart: the browser sets the boundary; the document describes the `file` part.
    const r = (await unwrapCall(
      this.client.POST('/v1/sessions/{id}/resources', { params: { path: this.path }, body: form as never, bodySerializer: (b: unknown) => b as FormData }),
    )) as Record<string, unknown>;
    return normalizeResource((r.resource ?? r) as Record<string, unknown>);
  }

  async recordings(): Promise<Recording[]> {
    const r = (await unwrapCall(this.client.GET('/v1/sessions/{id}/recordings', { params: { path: this.path } }))) as { recordings?: Recording[] };
    return r.recordings ?? [];
  }

  /** The room's media quality summary (fire and forget; keepalive for the one sent at leave). */
  quality(report: QualityReportBody): Promise<void> {
    return unwrapCall(this.client.POST('/v1/sessions/{id}/quality', { params: { path: this.path }, body: report, keepalive: true })).then(
      () => undefined,
      () => undefined,
    );
  }

  /** Fire and forget; keepalive lets the last event of a closing page still go out. */
  analytics(type: string, at: Date, data: Record<string, unknown>): Promise<void> {
    return unwrapCall(this.client.POST('/v1/sessions/{id}/analytics', { params: { path: this.path }, body: { type, at: at.toISOString(), data }, keepalive: true })).then(
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
