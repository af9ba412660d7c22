// The page around the room: reads the lesson, decides which screen it calls for (early, pre-join,
// no-show, ended…), runs the device check, hands the person's devices to the room controller on
// Join, follows the room to its end and sends the analytics events.
import { ApiError } from '../lib/api.ts';
import { Analytics, type EventSink } from '../lib/analytics.ts';
import { LessonApi, type AttendanceEntry, type Lesson } from '../lib/lesson-api.ts';
import type { PageConfig } from '../lib/page-config.ts';
import { Store } from '../lib/store.ts';
import { readTokenClaims, type TokenClaims } from '../lib/token-claims.ts';
import type { RoomController, RoomState } from '../room-controller.ts';
import { pageError, type PageError } from './copy.ts';
import { DeviceCheck } from './device-check.ts';
import type { NodeRoutes } from '../lib/route-check.ts';
import { entryView } from './lesson-view.ts';
import { StatusWatch } from './status-watch.ts';

/** app.data topic the tutor's room sends after an extension: the other side re-reads the lesson. */
export const LESSON_CHANGED_TOPIC = 'duet.lesson_changed';

export type PageView = 'loading' | 'early' | 'prejoin' | 'room' | 'post' | 'no_show' | 'error';

export interface PageState {
  view: PageView;
  lesson: Lesson | null;
  opensAt: Date | null;
  error: PageError | null;
  /** When this person entered the room in this page (for the session_ended duration). */
  joinedAt: Date | null;
}

export class LessonPage {
  readonly state = new Store<PageState>({ view: 'loading', lesson: null, opensAt: null, error: null, joinedAt: null });
  readonly claims: TokenClaims;
  readonly api: LessonApi | null;
  readonly analytics: Analytics;
  readonly config: PageConfig;
  readonly room: RoomController;
  devices: DeviceCheck | null = null;
  private readonly sessionId: string | null;
  private earlyTimer: ReturnType<typeof setTimeout> | undefined;
  private startedAt: Date | null = null;
  private peerSeenAt: number | null = null;
  /** The room's API join started at pre-join (see prefetchJoin). */
  private prefetched: Promise<void> | null = null;
  /** Status changes while the page is open (no-show, cancelled, ended elsewhere, a new end). */
  readonly watch: StatusWatch | null;

  constructor(opts: { sessionId: string | null; token: string | null; config: PageConfig; room: RoomController; parent?: EventSink | null }) {
    this.sessionId = opts.sessionId;
    this.claims = readTokenClaims(opts.token);
    this.api = opts.sessionId && opts.token ? new LessonApi(opts.sessionId, opts.token) : null;
    this.analytics = new Analytics(this.api, opts.sessionId, opts.parent ?? null);
    // Queued analytics go out before the page does (the token is a header, so no sendBeacon).
    globalThis.addEventListener?.('pagehide', () => this.analytics.flush());
    this.config = opts.config;
    this.room = opts.room;
    this.room.state.subscribe((s) => this.onRoomState(s));
    const api = this.api;
    this.watch = api ? new StatusWatch(() => api.lesson(), (lesson) => this.onLessonUpdate(lesson)) : null;
    this.state.subscribe((s) => (s.view === 'prejoin' || s.view === 'room' ? this.watch?.start() : this.watch?.stop()));
    this.room.onAppData((_from, topic) => {
      if (topic === LESSON_CHANGED_TOPIC) void this.watch?.check();
    });
  }

  /** Tutor: adds minutes to the lesson (the API bounds it); both rooms show the new end at once. */
  async extend(minutes: number): Promise<Lesson> {
    if (!this.api) throw new ApiError(0, 'missing_link', 'no lesson');
    const lesson = await this.api.extend(minutes);
    this.onLessonUpdate(lesson);
    void this.room.sendAppData(LESSON_CHANGED_TOPIC, {}).catch(() => undefined);
    return lesson;
  }

  /** What a fresh read of the lesson means for the open page. */
  onLessonUpdate(lesson: Lesson): void {
    const view = this.state.get().view;
    if (view !== 'prejoin' && view !== 'room') return;
    this.state.set({ lesson });
    if (lesson.ends_at) this.room.setEndsAt(lesson.ends_at);
    const status = lesson.status;
    if (status === 'no_show') {
      this.closeForStatus();
      this.state.set({ view: 'no_show' });
    } else if (status === 'cancelled') {
      this.closeForStatus();
      this.fail('lesson_cancelled');
    } else if (status === 'completed' || status === 'archived') {
      const wasIn = view === 'room' && !!this.state.get().joinedAt;
      this.closeForStatus();
      if (wasIn) this.state.set({ view: 'post' });
      else this.fail('lesson_ended');
    }
  }

  /** The lesson is over by the API's facts: leave the room (or the pre-join check) without a fuss. */
  private closeForStatus(): void {
    this.watch?.stop();
    this.devices?.stop();
    this.devices = null;
    this.room.closeStandby();
    const phase = this.room.state.get().phase;
    // The view changes first, so the room's 'left' does not count as this person leaving.
    if (phase === 'room' || phase === 'connecting') {
      this.state.set({ view: 'loading' });
      void this.room.leave();
    }
  }

  get role(): 'tutor' | 'student' | null {
    return this.claims.role;
  }

  async load(): Promise<void> {
    clearTimeout(this.earlyTimer);
    if (!this.api) return this.fail('missing_link');
    this.state.set({ view: 'loading', error: null });
    let lesson: Lesson;
    try {
      lesson = await this.api.lesson();
    } catch (err) {
      return this.fail(err instanceof ApiError ? err.code : 'network');
    }
    this.analytics.track('page_view', { user_role: this.role, status: lesson.status });
    const attended = ['completed', 'archived'].includes(lesson.status) || new Date() >= new Date(lesson.join_closes_at) ? await this.attended() : false;
    const entry = entryView(lesson, new Date(), attended);
    this.state.set({ lesson });
    switch (entry.kind) {
      case 'early':
        this.state.set({ view: 'early', opensAt: entry.opensAt });
        // Re-check when the room opens (capped so a sleeping laptop re-checks when it wakes).
        this.earlyTimer = setTimeout(() => void this.load(), Math.min(Math.max(entry.opensAt.getTime() - Date.now(), 0) + 500, 60_000));
        return;
      case 'prejoin':
        this.state.set({ view: 'prejoin' });
        this.prefetchJoin();
        return this.startDeviceCheck();
      case 'post':
      case 'no_show':
        this.state.set({ view: entry.kind });
        return;
      case 'error':
        return this.fail(entry.code);
    }
  }

  async retryDevices(): Promise<void> {
    this.state.set({ view: 'prejoin', error: null });
    if (this.devices) await this.devices.retry();
    else await this.startDeviceCheck();
    if (this.devices?.denied) this.fail('devices_denied');
  }

  /** Join with the checked devices; `withCamera: false` joins audio-only. */
  async join(withCamera = true): Promise<void> {
    performance.mark('duet:join-click');
    // Joining a recorded lesson with its notice on screen is the acknowledgement; it is sent off
    // the join's critical path (a failure is reported to analytics, the join goes on).
    if (this.state.get().lesson?.recording && this.api) {
      this.api.recordingConsent().catch((err: unknown) => this.analytics.track('tech_issue', { error_type: 'recording_consent_failed', code: err instanceof ApiError ? err.code : 'network' }));
    }
    const local = this.devices?.handOver() ?? new MediaStream();
    if (!withCamera) for (const t of local.getVideoTracks()) (t.stop(), local.removeTrack(t));
    this.devices = null;
    const prefetched = this.prefetched;
    this.prefetched = null;
    this.state.set({ view: 'room', error: null });
    // The join grant fetched while the person checked their devices saves an API round trip on
    // the click; a failed or stale one is fetched again now.
    if (prefetched) await prefetched;
    if (!prefetched || this.room.state.get().phase !== 'prejoin' || !this.room.joinGrantFresh()) await this.room.load();
    if (this.room.state.get().phase === 'error') {
      for (const t of local.getTracks()) t.stop();
      return;
    }
    await this.room.enter(local);
  }

  /** Retry from an error screen: the device check again when devices were the problem, otherwise
   *  the whole page from the lesson facts (a failed room goes back to the device check). */
  async retry(): Promise<void> {
    const screen = this.state.get().error?.screen;
    this.state.set({ joinedAt: null });
    if (screen === 'devices_denied') return this.retryDevices();
    return this.load();
  }

  async attendance(): Promise<AttendanceEntry[]> {
    return this.api ? this.api.attendance() : [];
  }

  // ---- internals -------------------------------------------------------------

  /** The API join (media node, ICE servers) runs during the device check, off the Join click's path. */
  private prefetchJoin(): void {
    if (this.prefetched) return;
    const p = this.room.load().catch(() => undefined);
    this.prefetched = p;
    // With the grant's TURN servers, the device check tries the routes media will take.
    void p.then(() => {
      const join = this.room.state.get().join;
      if (join && this.devices) void this.devices.runRouteCheck(join.ice_servers, this.nodeRoutes);
    });
  }

  /** The media node's own routes, tried over the pre-join socket's probe transport. */
  private readonly nodeRoutes: NodeRoutes = { probe: () => this.room.routeProbe() };

  private async attended(): Promise<boolean> {
    try {
      const me = (await this.attendance()).find((p) => p.role === this.role);
      return !!me && me.intervals.length > 0;
    } catch {
      return false;
    }
  }

  private async startDeviceCheck(): Promise<void> {
    this.devices?.stop();
    const check = new DeviceCheck('/healthz', (r) => this.analytics.track('network_check', { verdict: r.verdict, ...r.routes, ...(r.node ? { node_udp: r.node.udp, node_tcp: r.node.tcp } : {}) }));
    this.devices = check;
    const join = this.room.state.get().join;
    if (join) void check.runRouteCheck(join.ice_servers, this.nodeRoutes);
    this.state.set({ view: 'prejoin' }); // re-render with the new check
    await check.start();
    if (this.devices === check && check.denied) {
      this.analytics.track('tech_issue', { error_type: 'devices_denied' });
      this.fail('devices_denied');
    }
  }

  private onRoomState(s: RoomState): void {
    if (this.state.get().view !== 'room') return;
    const lesson = this.state.get().lesson;
    if (s.phase === 'room' && !this.state.get().joinedAt) {
      const joinedAt = new Date();
      this.state.set({ joinedAt });
      const start = lesson ? new Date(lesson.scheduled_start).getTime() : joinedAt.getTime();
      this.analytics.track('session_joined', { time_before_start: Math.round((start - joinedAt.getTime()) / 1000), user_role: this.role });
    }
    if (s.phase === 'room' && s.peer && !this.peerSeenAt) this.peerSeenAt = Date.now();
    if (s.phase === 'room' && s.peer && s.media === 'connected' && !this.startedAt) {
      this.startedAt = new Date();
      this.analytics.track('session_started', {});
      // Time to first frame, from both being in the room to the other's media arriving (API metric).
      if (s.remote?.getVideoTracks().length) this.analytics.track('first_frame', { ms: this.startedAt.getTime() - (this.peerSeenAt ?? this.startedAt.getTime()), mode: s.mode });
    }
    if (s.phase === 'room' && s.media === 'failed') this.analytics.track('tech_issue', { error_type: 'media_failed' });
    if (s.phase === 'left') {
      const from = this.state.get().joinedAt;
      this.analytics.track('session_ended', { duration: from ? Math.round((Date.now() - from.getTime()) / 1000) : 0 });
      this.analytics.flush();
      this.state.set({ view: 'post' });
    }
    if (s.phase === 'error' && s.error?.code === 'too_early') {
      void this.load(); // the clocks disagreed: show the countdown instead of an error
      return;
    }
    if (s.phase === 'error' && s.error) {
      this.analytics.track('tech_issue', { error_type: s.error.code });
      this.state.set({ view: 'error', error: pageError(s.error.code) });
    }
  }

  private fail(code: string): void {
    this.room.closeStandby();
    this.state.set({ view: 'error', error: pageError(code) });
  }
}
