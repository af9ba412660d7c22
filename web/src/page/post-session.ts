// After the lesson: its facts (duration, join times), my feedback, recordings (polled while they
// are processing), resources, and the tutor's uploads.
import { ApiError } from '../lib/api.ts';
import type { Analytics } from '../lib/analytics.ts';
import type { AttendanceEntry, Feedback, Lesson, LessonApi, Recording, Resource } from '../lib/lesson-api.ts';
import { Store } from '../lib/store.ts';
import { uploadFiles, type UploadState } from '../lib/uploads.ts';

export interface PostSessionState {
  lesson: Lesson | null;
  attendance: AttendanceEntry[] | null;
  feedback: Feedback | null;
  feedbackState: 'idle' | 'sending' | 'sent' | 'error' | 'not_ended';
  recordings: Recording[] | null;
  resources: Resource[] | null;
  upload: UploadState;
}

const TERMINAL = ['completed', 'archived', 'no_show', 'cancelled'];

export class PostSession {
  readonly state = new Store<PostSessionState>({ lesson: null, attendance: null, feedback: null, feedbackState: 'idle', recordings: null, resources: null, upload: { state: 'idle' } });
  private readonly api: LessonApi;
  private readonly analytics: Analytics | null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(api: LessonApi, analytics: Analytics | null, lesson: Lesson | null) {
    this.api = api;
    this.analytics = analytics;
    this.state.set({ lesson });
  }

  get ended(): boolean {
    const l = this.state.get().lesson;
    return !!l && TERMINAL.includes(l.status);
  }

  async start(): Promise<void> {
    await Promise.all([this.refresh(), this.loadFeedback(), this.loadResources()]);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  async submitFeedback(rating: number, comment: string): Promise<void> {
    this.state.set({ feedbackState: 'sending' });
    try {
      await this.api.sendFeedback(rating, comment);
      this.state.set({ feedback: { rating, comment: comment.trim() || null }, feedbackState: 'sent' });
      this.analytics?.track('feedback_submitted', { rating });
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && /already|exists|duplicate/i.test(`${err.code} ${err.message}`)) {
        await this.loadFeedback();
        this.state.set({ feedbackState: 'sent' });
      } else if (err instanceof ApiError && err.status === 409) this.state.set({ feedbackState: 'not_ended' });
      else this.state.set({ feedbackState: 'error' });
    }
  }

  async upload(files: File[]): Promise<void> {
    if (await uploadFiles(this.api, files, (upload) => this.state.set({ upload })) || files.length) await this.loadResources();
  }

  // ---- internals -------------------------------------------------------------

  /** Lesson, attendance and recordings; polls while the lesson or its recording is unfinished. */
  private async refresh(): Promise<void> {
    if (this.stopped) return;
    const [lesson, attendance] = await Promise.all([this.api.lesson().catch(() => this.state.get().lesson), this.api.attendance().catch(() => this.state.get().attendance)]);
    this.state.set({ lesson, attendance });
    if (lesson?.recording) this.state.set({ recordings: await this.api.recordings().catch(() => this.state.get().recordings ?? []) });
    if (this.state.get().feedbackState === 'not_ended' && this.ended) this.state.set({ feedbackState: 'idle' });
    const recs = this.state.get().recordings;
    const recordingPending = !!lesson?.recording && lesson.status !== 'no_show' && (!recs || !recs.length || recs.some((r) => r.status === 'processing'));
    if (!this.ended || recordingPending) this.timer = setTimeout(() => void this.refresh(), this.ended ? 5000 : 3000);
  }

  private async loadFeedback(): Promise<void> {
    try {
      const feedback = await this.api.myFeedback();
      if (feedback) this.state.set({ feedback, feedbackState: 'sent' });
    } catch {
      // rating stays available; a real problem shows when submitting
    }
  }

  private async loadResources(): Promise<void> {
    try {
      this.state.set({ resources: await this.api.resources() });
    } catch {
      this.state.set({ resources: this.state.get().resources ?? [] });
    }
  }
}

/** The first time each role joined, from the attendance intervals. */
export function firstJoin(attendance: AttendanceEntry[] | null, role: string | null): Date | null {
  const entry = attendance?.find((a) => a.role === role);
  const first = entry?.intervals.map((i) => i.joined_at).sort()[0];
  return first ? new Date(first) : null;
}

/** The lesson's length: started→ended when known, otherwise my time in the room. */
export function lessonDurationSeconds(lesson: Lesson | null, attendance: AttendanceEntry[] | null, role: string | null): number | null {
  if (lesson?.ended_at && typeof lesson.duration_seconds === 'number') return lesson.duration_seconds;
  if (lesson?.started_at && lesson.ended_at) return (new Date(lesson.ended_at).getTime() - new Date(lesson.started_at).getTime()) / 1000;
  const mine = attendance?.find((a) => a.role === role);
  return mine ? mine.duration_seconds : null;
}
