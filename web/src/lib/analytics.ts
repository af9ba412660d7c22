// Room analytics: sent to the API (POST /v1/sessions/:id/analytics), which stores them for the
// marketplace to read or forward; when embedded, also posted to the parent page. One-off events
// (session_joined, session_started, session_ended) are sent once per page. The API calls wait
// SEND_DELAY_MS and go out together: the moments that emit them (join, first media) are the ones
// where the room's own signaling must not queue behind bookkeeping requests.
import type { LessonApi } from './lesson-api.ts';

export type AnalyticsType = 'page_view' | 'session_joined' | 'session_started' | 'session_ended' | 'feedback_submitted' | 'tech_issue' | 'first_frame' | 'network_check';

const ONCE: ReadonlySet<AnalyticsType> = new Set(['page_view', 'session_joined', 'session_started', 'session_ended', 'feedback_submitted', 'first_frame']);

export interface AnalyticsEvent {
  type: AnalyticsType;
  at: Date;
  data: Record<string, unknown>;
}

const SEND_DELAY_MS = 2_000;

export class Analytics {
  readonly sent: AnalyticsEvent[] = [];
  private readonly api: Pick<LessonApi, 'analytics'> | null;
  private readonly sessionId: string | null;
  private readonly parent: Window | null;
  private readonly sendDelayMs: number;
  private queue: AnalyticsEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(api: Pick<LessonApi, 'analytics'> | null, sessionId: string | null, parent: Window | null = null, sendDelayMs = SEND_DELAY_MS) {
    this.api = api;
    this.sessionId = sessionId;
    this.parent = parent;
    this.sendDelayMs = sendDelayMs;
  }

  /** Sends what is queued now, in order (also on leaving and when the page is hidden). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const e of this.queue.splice(0)) void this.api?.analytics(e.type, e.at, e.data);
  }

  track(type: AnalyticsType, data: Record<string, unknown> = {}): boolean {
    if (ONCE.has(type) && this.sent.some((e) => e.type === type)) return false;
    const event: AnalyticsEvent = { type, at: new Date(), data: { session_id: this.sessionId, ...data } };
    this.sent.push(event);
    if (this.api) {
      this.queue.push(event);
      this.timer ??= setTimeout(() => this.flush(), this.sendDelayMs);
    }
    try {
      this.parent?.postMessage({ source: 'duet', type, at: event.at.toISOString(), data: event.data }, '*');
    } catch {
      // a parent that went away must not break the room
    }
    return true;
  }
}
