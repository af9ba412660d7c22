// The room's brain: join through the API, open signaling, pick the media path the server asks
// for, and expose everything the screens render as one observable state.
import type { ChatMessage, EndReason, ModeReason, Notification, PeerInfo, Presence, Role, RoomMode } from '@duet/signaling/protocol';
import { ApiError, joinLesson, type JoinInfo } from './lib/api.ts';
import { SignalingClient, SignalingError } from './lib/signaling-client.ts';
import { Store } from './lib/store.ts';
import type { MediaSession, RemoteMediaHandlers } from './media/media-session.ts';
import { P2PSession } from './media/p2p-session.ts';
import { SfuSession } from './media/sfu-session.ts';
import type { MediaStatsSummary } from './media/stats.ts';

export type Phase = 'loading' | 'prejoin' | 'connecting' | 'room' | 'left' | 'error';

export interface ScreenError {
  code: string;
  title: string;
  message: string;
  retry: boolean;
}

export interface RoomState {
  phase: Phase;
  join: JoinInfo | null;
  error: ScreenError | null;
  mode: RoomMode | null;
  peer: PeerInfo | null;
  local: MediaStream | null;
  remote: MediaStream | null;
  micOn: boolean;
  camOn: boolean;
  media: 'connecting' | 'connected' | 'failed' | 'closed' | null;
  // ---- added for issue 5 (additive; the screens may read any of these) ----
  /** Why the room is in its mode (e.g. 'p2p_failed' after a switch to the server path). */
  modeReason: ModeReason | null;
  /** The other person's presence: 'reconnecting' while their seat is kept for them. */
  peerPresence: Presence;
  /** This side lost the signaling connection and is resuming. */
  reconnecting: boolean;
  /** The lesson's schedule: endsAt moves when the tutor extends; clockOffsetMs = server - local. */
  lesson: { endsAt: string; scheduledStart: string; scheduledEnd: string; clockOffsetMs: number } | null;
  /** The latest end warning (5 or 1 minutes left), with when it arrived (local ms). */
  warning: { minutesLeft: number; endsAt: string; at: number } | null;
  /** Why the lesson ended, once it has. */
  ended: EndReason | null;
  chat: ChatMessage[];
  /** Chat messages sent but not yet confirmed stored (retried on resume). */
  chatPending: { id: string; text: string; failed: boolean }[];
  /** The active speaker (null: nobody). */
  speaker: Role | null;
  /** My role in the lesson. */
  role: Role | null;
  /** Sharing my screen. */
  screenOn: boolean;
  /** My screen share preview (local) and the other side's screen share. */
  localScreen: MediaStream | null;
  remoteScreen: MediaStream | null;
}

const ERROR_COPY: Record<string, Omit<ScreenError, 'code'>> = {
  not_found: { title: 'Lesson not found', message: 'This link does not match any lesson. Check the link you were sent.', retry: false },
  missing_link: { title: 'Lesson not found', message: 'This page needs the join link you were sent for your lesson.', retry: false },
  token_missing: { title: 'Lesson not found', message: 'This page needs the join link you were sent for your lesson.', retry: false },
  token_invalid: { title: 'Invalid link', message: 'This join link is not valid. Ask for a new one.', retry: false },
  token_expired: { title: 'Link expired', message: 'This join link has expired. Open the lesson again from your dashboard.', retry: false },
  token_wrong_session: { title: 'Not your lesson', message: 'This link belongs to a different lesson.', retry: false },
  not_participant: { title: 'Not your lesson', message: 'You are not a participant of this lesson.', retry: false },
  too_early: { title: 'Too early', message: 'This lesson is not open yet.', retry: true },
  lesson_ended: { title: 'Lesson ended', message: 'This lesson has already ended.', retry: false },
  lesson_cancelled: { title: 'Lesson cancelled', message: 'This lesson was cancelled.', retry: false },
  lesson_no_show: { title: 'Lesson missed', message: 'This lesson was marked as a no-show.', retry: false },
  lesson_unavailable: { title: 'Lesson unavailable', message: 'This lesson can no longer be joined.', retry: false },
  camera_denied: { title: 'Camera or microphone blocked', message: 'Allow camera and microphone access for this site (the camera icon in the address bar), then retry.', retry: true },
  network: { title: 'Connection failed', message: 'The lesson service cannot be reached. Check your connection and retry.', retry: true },
  service_unavailable: { title: 'Video service unavailable', message: 'The video service is not reachable right now. Retry in a moment.', retry: true },
  video_unavailable: { title: 'Video service unavailable', message: 'The video service is not reachable right now. Retry in a moment.', retry: true },
  replaced: { title: 'Opened elsewhere', message: 'You joined this lesson from another tab or device.', retry: true },
  connection_lost: { title: 'Connection lost', message: 'The connection to the lesson was lost.', retry: true },
};

function screenError(code: string, fallback?: string): ScreenError {
  const copy = ERROR_COPY[code] ?? { title: 'Something went wrong', message: fallback ?? 'An unexpected error happened.', retry: true };
  return { code, ...copy };
}

export class RoomController {
  readonly state = new Store<RoomState>({
    phase: 'loading',
    join: null,
    error: null,
    mode: null,
    peer: null,
    local: null,
    remote: null,
    micOn: true,
    camOn: true,
    media: null,
    modeReason: null,
    peerPresence: 'absent',
    reconnecting: false,
    lesson: null,
    warning: null,
    ended: null,
    chat: [],
    chatPending: [],
    speaker: null,
    role: null,
    screenOn: false,
    localScreen: null,
    remoteScreen: null,
  });
  private readonly sessionId: string | null;
  private readonly token: string | null;
  private sig: SignalingClient | undefined;
  private session: MediaSession | undefined;
  private leaving = false;

  constructor(sessionId: string | null, token: string | null) {
    this.sessionId = sessionId;
    this.token = token;
  }

  async load(): Promise<void> {
    if (!this.sessionId || !this.token) return this.fail(screenError('missing_link'));
    this.state.set({ phase: 'loading', error: null });
    try {
      const join = await joinLesson(this.sessionId, this.token);
      this.state.set({ phase: 'prejoin', join });
    } catch (err) {
      if (err instanceof ApiError) {
        const e = screenError(err.code, err.message);
        if (err.code === 'too_early' && typeof err.details.opens_at === 'string') e.message = `This lesson opens at ${new Date(err.details.opens_at).toLocaleTimeString()}.`;
        return this.fail(e);
      }
      this.fail(screenError('network'));
    }
  }

  async enter(): Promise<void> {
    const join = this.state.get().join;
    if (!join || !this.token) return;
    this.state.set({ phase: 'connecting' });
    let local: MediaStream;
    try {
      local = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
    } catch {
      return this.fail(screenError('camera_denied'));
    }
    this.state.set({ local, remote: new MediaStream() });
    const sig = new SignalingClient();
    this.sig = sig;
    sig.onNotification((n) => this.onNotification(n));
    sig.onClose((code) => {
      if (this.leaving) return;
      this.closeMedia();
      this.fail(screenError(code === 4001 ? 'replaced' : 'connection_lost'));
    });
    try {
      const hello = await sig.connect(join.signaling_url, this.token);
      this.state.set({ phase: 'room', mode: hello.mode, peer: hello.peer });
      if (hello.mode === 'sfu') await this.startMedia(new SfuSession(sig, local, join.ice_servers, this.remoteHandlers()));
    } catch (err) {
      this.closeMedia();
      sig.close();
      if (err instanceof SignalingError) return this.fail(screenError(err.code, err.message));
      this.fail(screenError('video_unavailable'));
    }
  }

  toggleMic(): void {
    const micOn = !this.state.get().micOn;
    this.state.set({ micOn });
    this.applyTrackState();
  }

  toggleCam(): void {
    const camOn = !this.state.get().camOn;
    this.state.set({ camOn });
    this.applyTrackState();
  }

  async leave(): Promise<void> {
    this.leaving = true;
    await this.sig?.request('leave', {}).catch(() => undefined);
    this.sig?.close();
    this.closeMedia();
    this.state.set({ phase: 'left' });
  }

  stats(): Promise<MediaStatsSummary | null> {
    return this.session ? this.session.stats() : Promise.resolve(null);
  }

  get mediaKind(): 'p2p' | 'sfu' | null {
    return this.session?.kind ?? null;
  }

  // ---- internals -------------------------------------------------------------

  private onNotification(n: Notification): void {
    switch (n.t) {
      case 'peer.joined':
        this.state.set({ peer: n.peer });
        break;
      case 'peer.left':
        this.state.set({ peer: null });
        if (this.session?.kind === 'p2p') this.closeMedia(true);
        break;
      case 'peer.mediaState': {
        const peer = this.state.get().peer;
        if (peer) this.state.set({ peer: { ...peer, audio: n.audio, video: n.video } });
        break;
      }
      case 'mode':
        this.state.set({ mode: n.mode });
        if (n.mode === 'p2p') {
          this.closeMedia(true);
          const { local, join } = this.state.get();
          if (local && join && this.sig) void this.startMedia(new P2PSession(this.sig, local, join.ice_servers, n.initiator, this.remoteHandlers()));
        } else if (n.mode === 'waiting') this.closeMedia(true);
        break;
      case 'session.ended':
        this.leaving = true;
        this.closeMedia();
        if (n.reason === 'replaced') this.fail(screenError('replaced'));
        else this.state.set({ phase: 'left' });
        break;
      default:
        break;
    }
  }

  private async startMedia(session: MediaSession): Promise<void> {
    this.session = session;
    this.state.set({ media: 'connecting' });
    try {
      await session.start();
      this.applyTrackState();
    } catch (err) {
      console.error('media failed to start', err);
      this.state.set({ media: 'failed' });
    }
  }

  private remoteHandlers(): RemoteMediaHandlers {
    return {
      onTrack: (track) => {
        const remote = this.state.get().remote ?? new MediaStream();
        for (const t of remote.getTracks()) if (t.kind === track.kind) remote.removeTrack(t);
        remote.addTrack(track);
        // A new stream object makes the <video> element pick up the change.
        this.state.set({ remote: new MediaStream(remote.getTracks()) });
      },
      onTrackEnded: (track) => {
        const remote = this.state.get().remote;
        if (!remote) return;
        this.state.set({ remote: new MediaStream(remote.getTracks().filter((t) => t !== track)) });
      },
      onConnectionState: (media) => this.state.set({ media }),
    };
  }

  private applyTrackState(): void {
    const { micOn, camOn } = this.state.get();
    this.session?.setTrackEnabled('audio', micOn);
    this.session?.setTrackEnabled('video', camOn);
    for (const t of this.state.get().local?.getTracks() ?? []) t.enabled = t.kind === 'audio' ? micOn : camOn;
    void this.sig?.request('media.state', { audio: micOn, video: camOn }).catch(() => undefined);
  }

  /** Closes the media path; with keepLocal the camera stays on for the next path. */
  private closeMedia(keepLocal = false): void {
    this.session?.close();
    this.session = undefined;
    this.state.set({ remote: new MediaStream(), media: null });
    if (!keepLocal) {
      for (const t of this.state.get().local?.getTracks() ?? []) t.stop();
      this.state.set({ local: null });
    }
  }

  private fail(error: ScreenError): void {
    this.state.set({ phase: 'error', error });
  }
}
