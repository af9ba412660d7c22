// The lesson room: the other person large (or their screen share), self-view in a corner, the
// header with status and clock, banners for reconnects and time warnings, the control bar and the
// side panel. On phones the controls sit over the video and hide after a few seconds.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { formatClock as clock, formatZone, t } from '../i18n/i18n.ts';
import { webrtcSupported } from '../lib/webrtc-support.ts';
import type { Lesson } from '../lib/lesson-api.ts';
import type { PageConfig } from '../lib/page-config.ts';
import { useStore } from '../lib/store.ts';
import { lessonTitle } from '../page/lesson-view.ts';
import type { RoomExtras } from '../room-extras.ts';
import type { RoomState } from '../room-controller.ts';
import { Avatar } from './common.tsx';
import { Controls } from './controls.tsx';
import { Icon } from './icons.tsx';
import { LeaveDialog, SettingsDialog } from './room-dialogs.tsx';
import { BothJoinedNotice, ExtendDialog, ExtendedNotice } from './room-notices.tsx';
import { Upload } from './post-session.tsx';
import { RoomHeader } from './room-header.tsx';
import { hasLiveVideo, peerPresence, roomStatus } from './room-status.ts';
import { SidePanel, type ChatLine } from './side-panel.tsx';
import { VideoTile } from './video-tile.tsx';
import { BoardSlot } from './board-slot.tsx';
import type { BoardLink } from '../board/board-link.ts';
import type { BoardFiles } from '../board/board-worksheets.ts';

export interface RoomActions {
  toggleMic(): void;
  toggleCam(): void;
  toggleScreen(): Promise<void>;
  sendChat(text: string): void;
  retryChat?(id: string): void;
  switchDevice(kind: 'audio' | 'video', deviceId: string): Promise<void>;
  leave(): void;
  endLesson(): Promise<void>;
  retry(): void;
  /** Tutor: add minutes to the lesson (through the API). */
  extend?(minutes: number): Promise<unknown>;
  /** Tutor: share files during the lesson. */
  upload?(files: File[]): void;
  /** Tutor of a recorded lesson: the open board's video for the recording (null: closed). */
  boardCapture?(track: MediaStreamTrack | null): void;
}

const HIDE_CONTROLS_MS = 4000;

function canShareScreen(): boolean {
  return typeof navigator !== 'undefined' && !!navigator.mediaDevices && 'getDisplayMedia' in navigator.mediaDevices;
}

function canPip(): boolean {
  return typeof document !== 'undefined' && !!(document as Document & { pictureInPictureEnabled?: boolean }).pictureInPictureEnabled;
}

export function RoomView(props: { state: RoomState; extras: RoomExtras; lesson: Lesson | null; config: PageConfig; actions: RoomActions; role: 'tutor' | 'student' | null; myName: string; speakerId: string; onSpeaker: (id: string) => void; board?: BoardLink; boardFiles?: BoardFiles | null }) {
  const { state: s, extras, actions, role } = props;
  const x = useStore(extras.state);
  const [dialog, setDialog] = useState<'settings' | 'leave' | 'extend' | null>(null);
  const [controlsVisible, setControlsVisible] = useState(true);
  const [dismissedWarning, setDismissedWarning] = useState<number | null>(null);
  const [shareError, setShareError] = useState<string | null>(null);
  const [boardOpen, setBoardOpen] = useState(false);
  const hideTimer = useRef<ReturnType<typeof setTimeout>>();
  const remoteVideo = useRef<HTMLVideoElement | null>(null);

  const peerName = s.peer?.name ?? s.join?.peer.name ?? (props.lesson ? (role === 'tutor' ? props.lesson.student.name : props.lesson.tutor.name) : t('room.other_person'));
  const peerAvatar = s.peer?.avatarUrl ?? s.join?.peer.avatar_url ?? null;
  const presence = peerPresence(s);
  const status = roomStatus(s);
  const title = props.lesson ? lessonTitle(props.lesson) : (s.join?.session.title ?? t('room.lesson'));
  const chat: ChatLine[] = [...(s.chat ?? []), ...(s.chatPending ?? []).map((p) => ({ id: p.id, role: role ?? 'student', userId: '', name: props.myName, text: p.text, sentAt: new Date().toISOString(), pending: !p.failed, failed: p.failed }))];
  const unread = Math.max(0, (s.chat?.length ?? 0) - x.chatSeen);
  const endsAt = s.lesson?.endsAt ? new Date(new Date(s.lesson.endsAt).getTime() - (s.lesson.clockOffsetMs ?? 0)) : props.lesson ? new Date(props.lesson.ends_at ?? props.lesson.scheduled_end) : null;
  const warning = s.warning?.minutesLeft ?? null;
  // In P2P a stopped share leaves a live but silent track: the peer's media state says whether it is on.
  const remoteScreen = hasLiveVideo(s.remoteScreen) && (s.peer?.screen ?? true) && presence === 'present' ? s.remoteScreen : null;
  const peerCamOn = presence === 'present' && (s.peer?.video ?? true) && hasLiveVideo(s.remote);
  const hasCamera = !!s.local?.getVideoTracks().length;
  // What the tutor may still add: the API's bound minus what was already granted.
  const maxExt = s.join?.timer?.max_extension_seconds ?? 0;
  const usedExt = props.lesson?.extension_seconds ?? s.join?.timer?.extension_seconds ?? 0;
  const extendLeft = Math.max(0, Math.floor((maxExt - usedExt) / 60));
  const canExtend = role === 'tutor' && !!actions.extend && maxExt > 0 && s.phase === 'room';

  useEffect(() => {
    if (presence === 'present' && s.media === 'connected') extras.markStarted();
  }, [presence, s.media]);
  useEffect(() => extras.seeChat(s.chat?.length ?? 0), [s.chat?.length, x.panel]);

  // Controls hide after a few seconds without interaction on touch screens (never while a dialog
  // or the panel is open, or while focus is in the controls).
  const poke = useCallback(() => {
    setControlsVisible(true);
    clearTimeout(hideTimer.current);
    const touch = typeof matchMedia === 'function' && matchMedia('(hover: none), (max-width: 700px)').matches;
    if (!touch) return;
    hideTimer.current = setTimeout(() => {
      if (document.activeElement?.closest('.controls')) return;
      setControlsVisible(false);
    }, HIDE_CONTROLS_MS);
  }, []);
  useEffect(() => {
    poke();
    return () => clearTimeout(hideTimer.current);
  }, []);
  const controlsShown = controlsVisible || dialog !== null || x.panel !== null;

  const togglePanel = () => extras.setPanel(x.panel ? null : 'chat', s.chat?.length ?? 0);
  const pip = async () => {
    const el = remoteVideo.current;
    try {
      if (document.pictureInPictureElement) await document.exitPictureInPicture();
      else if (el && el.readyState >= 1) await el.requestPictureInPicture();
    } catch {
      // the browser refused (e.g. no video yet); nothing to undo
    }
  };
  const share = async () => {
    setShareError(null);
    try {
      await actions.toggleScreen();
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name !== 'NotAllowedError' && name !== 'AbortError') setShareError(t('room.share_failed'));
    }
  };

  const warnVisible = warning !== null && warning !== dismissedWarning && status !== 'waiting';

  return (
    <div class={`room ${controlsShown ? '' : 'controls-hidden'} ${x.panel ? 'with-panel' : ''} ${boardOpen ? 'with-board' : ''}`} data-testid="room" data-mode={s.mode ?? ''} data-status={status} onPointerMove={poke} onKeyDown={poke} onTouchStart={poke}>
      <RoomHeader title={title} peerName={peerName} status={status} quality={status === 'reconnecting' ? 'poor' : x.quality} qualityDetail={x.qualityDetail} startedAt={x.startedAt} endsAt={endsAt} warning={warning} logo={props.config.logo} recording={!!props.lesson?.recording || !!s.join?.session.recording} />
      <div class="room-body">
        {boardOpen && props.board ? <BoardSlot link={props.board} role={role} onExport={role === 'tutor' ? actions.upload : undefined} files={props.boardFiles} onCapture={role === 'tutor' && (props.lesson?.recording || s.join?.session.recording) ? actions.boardCapture : undefined} /> : null}
        <section class={`stage ${remoteScreen ? 'has-screen' : ''}`} aria-label={t('room.video')} onClick={(e) => e.target === e.currentTarget && setControlsVisible((v) => !v)}>
          <div class="banners" aria-live="polite">
            <BothJoinedNotice present={presence === 'present' && s.phase === 'room'} peerName={peerName} />
            <ExtendedNotice serverEndsAt={s.lesson?.endsAt ?? props.lesson?.ends_at ?? null} />
            {status === 'reconnecting' ? (
              <div class="banner banner-warn" data-testid="banner-reconnecting" role="status">
                <span class="spinner small" aria-hidden="true" />
                <span>
                  <strong>{t('room.reconnecting')}</strong> {t('room.reconnecting_detail')}
                </span>
              </div>
            ) : null}
            {status === 'peer_reconnecting' ? (
              <div class="banner banner-warn" data-testid="banner-peer-reconnecting" role="status">
                <span class="spinner small" aria-hidden="true" />
                <span>
                  <strong>{t('room.peer_dropped', { name: peerName })}</strong> {t('room.peer_dropped_detail')}
                </span>
              </div>
            ) : null}
            {!webrtcSupported() ? (
              <div class="banner banner-error" data-testid="banner-no-webrtc" role="alert">
                <Icon name="warn" size={18} />
                <span>{t('notice.no_webrtc')}</span>
              </div>
            ) : status === 'media_failed' ? (
              <div class="banner banner-error" data-testid="banner-technical" role="alert">
                <Icon name="warn" size={18} />
                <span>
                  <strong>{t('room.technical')}</strong> {t('room.technical_detail')}
                </span>
                <button class="btn small" onClick={actions.retry} data-testid="retry-media">
                  {t('common.retry')}
                </button>
              </div>
            ) : null}
            {warnVisible ? (
              <div class={`banner ${warning === 1 ? 'banner-error' : 'banner-warn'}`} data-testid="banner-warning" data-minutes={warning} role="status">
                <Icon name="clock" size={18} />
                <span>
                  <strong>{warning === 1 ? t('room.one_minute_left') : t('room.minutes_left', { n: warning! })}</strong> {endsAt ? t('room.ends_at', { time: `${clock(endsAt)} ${formatZone(endsAt)}` }) : t('room.ends_at_scheduled')}
                </span>
                <button class="icon-btn" aria-label={t('room.dismiss_warning')} onClick={() => setDismissedWarning(warning)}>
                  <Icon name="close" size={16} />
                </button>
              </div>
            ) : null}
            {s.screenOn ? (
              <div class="banner banner-info" data-testid="banner-sharing" role="status">
                <Icon name="screen" size={18} />
                <span>{t('room.sharing')}</span>
                <button class="btn small" onClick={() => void share()}>
                  {t('room.stop_sharing')}
                </button>
              </div>
            ) : null}
            {shareError ? (
              <div class="banner banner-error" role="alert">
                <span>{shareError}</span>
              </div>
            ) : null}
          </div>

          {remoteScreen ? (
            <div class="tile main screen-tile" data-testid="remote-screen-tile">
              <VideoTile stream={remoteScreen} muted label={t('room.peer_screen_label', { name: peerName })} class="screen" testId="remote-screen" />
              <span class="name-tag">
                <Icon name="screen" size={16} /> {t('room.peer_screen', { name: peerName })}
              </span>
            </div>
          ) : null}

          {presence === 'absent' && s.phase !== 'connecting' ? (
            <div class="tile main waiting-card" data-testid="waiting">
              <Avatar name={peerName} url={peerAvatar} size="xl" />
              <p class="waiting-title">{t('room.waiting_title', { name: peerName })}</p>
              <p class="muted">{t('room.waiting_detail')} {props.lesson ? t('room.scheduled', { start: clock(props.lesson.scheduled_start), end: clock(props.lesson.scheduled_end), zone: formatZone(props.lesson.scheduled_start) }) : ''}</p>
            </div>
          ) : (
            <div class={`tile ${remoteScreen ? 'pinned' : 'main'} remote-tile ${s.speaker && s.speaker !== role ? 'speaking' : ''}`} data-testid="remote-tile" data-speaking={s.speaker && s.speaker !== role ? 'true' : 'false'}>
              <VideoTile stream={s.remote} label={t('room.peer_video', { name: peerName })} class="remote" testId="remote-video" speakerId={props.speakerId} hidden={!peerCamOn} videoRef={remoteVideo} />
              {!peerCamOn ? (
                <div class="avatar-fill" data-testid="remote-avatar">
                  <Avatar name={peerName} url={peerAvatar} size={remoteScreen ? 'md' : 'xl'} />
                  {presence === 'present' && s.peer && !s.peer.video ? <span class="muted">{t('room.camera_off')}</span> : null}
                  {s.phase === 'connecting' ? <span class="muted">{t('room.connecting')}</span> : null}
                </div>
              ) : null}
              <span class="name-tag">
                {s.speaker && s.speaker !== role ? (
                  <span class="speaking-icon" title={t('room.speaking')}>
                    <Icon name="speaker" size={16} />
                    <span class="sr-only">{t('room.speaking_prefix')}</span>
                  </span>
                ) : null}
                {peerName}
                {s.peer && !s.peer.audio ? (
                  <span class="muted-tag" data-testid="peer-muted">
                    <Icon name="micOff" size={14} /> {t('room.peer_muted', { name: peerName })}
                  </span>
                ) : null}
              </span>
            </div>
          )}

          <div class={`tile self-tile ${s.speaker === role && role ? 'speaking' : ''}`} data-testid="self-tile">
            <VideoTile stream={s.local} muted mirrored label={t('room.your_camera')} class="self" testId="self-video" hidden={!s.camOn || !hasCamera} />
            {!s.camOn || !hasCamera ? (
              <div class="avatar-fill" data-testid="self-avatar">
                <Avatar name={props.myName} size="md" />
              </div>
            ) : null}
            <span class="name-tag small">
              {t('room.you')}
              {!s.micOn ? (
                <span class="muted-tag">
                  <Icon name="micOff" size={14} /> {t('room.muted')}
                </span>
              ) : null}
            </span>
          </div>
          {s.localScreen && hasLiveVideo(s.localScreen) ? (
            <div class="tile self-screen-tile" data-testid="self-screen-tile">
              <VideoTile stream={s.localScreen} muted label={t('room.your_screen')} class="screen" />
            </div>
          ) : null}
        </section>

        {x.panel ? (
          <SidePanel
            tab={x.panel}
            onTab={(t) => extras.setPanel(t, s.chat?.length ?? 0)}
            onClose={() => extras.setPanel(null, s.chat?.length ?? 0)}
            chat={chat}
            myRole={role}
            onSend={actions.sendChat}
            onRetryChat={actions.retryChat}
            notes={x.notes}
            notesState={x.notesState}
            onNotes={(t) => extras.setNotes(t)}
            onNotesBlur={() => void extras.saveNotes()}
            resources={x.resources}
            unread={unread}
            newResources={x.newResources}
            resourcesFooter={role === 'tutor' && actions.upload ? <Upload state={x.upload} onUpload={actions.upload} idPrefix="room-upload" /> : null}
          />
        ) : null}
      </div>

      <Controls
        micOn={s.micOn}
        camOn={s.camOn}
        hasCamera={hasCamera}
        screenOn={!!s.screenOn}
        canShare={canShareScreen() && s.phase === 'room'}
        panel={x.panel}
        unread={unread}
        canPip={canPip()}
        role={role}
        onMic={actions.toggleMic}
        onCam={actions.toggleCam}
        onScreen={() => void share()}
        onChat={togglePanel}
        onSettings={() => setDialog('settings')}
        onPip={() => void pip()}
        onLeave={() => setDialog('leave')}
        onExtend={canExtend ? () => setDialog('extend') : undefined}
        boardOn={boardOpen}
        onBoard={props.board && s.phase === 'room' ? () => setBoardOpen((o) => !o) : undefined}
      />
      {dialog === 'extend' && actions.extend ? <ExtendDialog minutesLeft={extendLeft} onExtend={actions.extend} onClose={() => setDialog(null)} /> : null}

      {dialog === 'settings' ? <SettingsDialog local={s.local} speakerId={props.speakerId} onClose={() => setDialog(null)} onSwitch={actions.switchDevice} onSpeaker={props.onSpeaker} /> : null}
      {dialog === 'leave' ? (
        <LeaveDialog
          role={role}
          peerName={peerName}
          onClose={() => setDialog(null)}
          onLeave={() => {
            setDialog(null);
            actions.leave();
          }}
          onEnd={async () => {
            await actions.endLesson();
            setDialog(null);
          }}
        />
      ) : null}
    </div>
  );
}
