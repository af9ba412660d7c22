// Room analytics: sent to the API (POST /v1/sessions/:id/analytics), which stores them for the
// marketplace to read or forward; when embedded, also posted to the parent page. One-off events
// (session_joined, session_started, session_ended) are sent once per page.
import type { LessonApi } from './lesson-api.ts';

export type AnalyticsType = 'page_view' | 'session_joined' | 'session_started' | 'session_ended' | 'feedback_submitted' | 'tech_issue' | 'first_frame';

const ONCE: ReadonlySet<AnalyticsType> = new Set(['page_view', 'session_joined', 'session_started', 'session_ended', 'feedback_submitted', 'first_frame']);

export interface AnalyticsEvent {
  type: AnalyticsType;
  at: Date;
  data: Record<string, unknown>;
}

export class Analytics {
  readonly sent: AnalyticsEvent[] = [];
  private readonly api: Pick<LessonApi, 'analytics'> | null;
  private readonly sessionId: string | null;
  private readonly parent: Window | null;

  constructor(api: Pick<LessonApi, 'analytics'> | null, sessionId: string | null, parent: Window | null = null) {
    this.api = api;
    this.sessionId = sessionId;
    this.parent = parent;
  }

  track(type: AnalyticsType, data: Record<string, unknown> = {}): boolean {
    if (ONCE.has(type) && this.sent.some((e) => e.type === type)) return false;
    const event: AnalyticsEvent = { type, at: new Date(), data: { session_id: this.sessionId, ...data } };
    this.sent.push(event);
    void this.api?.analytics(type, event.at, event.data);
    try {
      this.parent?.postMessage({ source: 'duet', type, at: event.at.toISOString(), data: event.data }, '*');
    } catch {
      // a parent that went away must not break the room
    }
    return true;
  }
}
