// The control bar: every control is a real <button> with a label, a pressed state for toggles and
// a text caption, so nothing depends on colour or on the icon alone.
import type { IconName } from './icons.tsx';
import { Icon } from './icons.tsx';
import { t } from '../i18n/i18n.ts';

/** The caption is the accessible name (so what is seen is what a screen reader says); `extra`
 *  adds context for screen readers only. */
function Control(props: { icon: IconName; caption: string; extra?: string; onClick: () => void; pressed?: boolean; off?: boolean; danger?: boolean; disabled?: boolean; testId: string; badge?: number; expanded?: boolean; controls?: string; title?: string }) {
  return (
    <button
      class={`control ${props.off ? 'off' : ''} ${props.danger ? 'danger' : ''} ${props.pressed ? 'active' : ''}`}
      aria-pressed={props.pressed === undefined ? undefined : props.pressed}
      aria-expanded={props.expanded}
      aria-controls={props.controls}
      disabled={props.disabled}
      onClick={props.onClick}
      data-testid={props.testId}
      title={props.title ?? `${props.caption} ${props.extra ?? ''}`.trim()}
    >
      <span class="control-icon">
        <Icon name={props.icon} />
        {props.badge ? (
          <span class="badge-count" aria-hidden="true">
            {props.badge > 9 ? '9+' : props.badge}
          </span>
        ) : null}
      </span>
      <span class="control-caption">{props.caption}</span>
      {props.extra ? <span class="sr-only"> {props.extra}</span> : null}
    </button>
  );
}

export interface ControlsProps {
  micOn: boolean;
  camOn: boolean;
  hasCamera: boolean;
  screenOn: boolean;
  canShare: boolean;
  panel: 'chat' | 'notes' | 'resources' | null;
  unread: number;
  canPip: boolean;
  role: 'tutor' | 'student' | null;
  onMic: () => void;
  onCam: () => void;
  onScreen: () => void;
  onChat: () => void;
  onSettings: () => void;
  onPip: () => void;
  onLeave: () => void;
  /** Tutor: extend the lesson (shown when the API allows more time). */
  onExtend?: () => void;
  /** The whiteboard (shown once in the room). */
  boardOn?: boolean;
  onBoard?: () => void;
}

export function Controls(p: ControlsProps) {
  return (
    <nav class="controls" aria-label={t('controls.label')}>
      <Control icon={p.micOn ? 'mic' : 'micOff'} caption={p.micOn ? t('controls.mute') : t('controls.unmute')} extra={t('controls.microphone')} off={!p.micOn} pressed={!p.micOn} onClick={p.onMic} testId="toggle-mic" />
      <Control
        icon={p.camOn && p.hasCamera ? 'cam' : 'camOff'}
        caption={!p.hasCamera ? t('controls.no_camera') : p.camOn ? t('controls.stop_video') : t('controls.start_video')}
        extra={!p.hasCamera ? t('controls.no_camera_extra') : undefined}
        off={!p.camOn || !p.hasCamera}
        pressed={!p.camOn}
        disabled={!p.hasCamera}
        onClick={p.onCam}
        testId="toggle-cam"
      />
      {p.canShare ? <Control icon="screen" caption={p.screenOn ? t('controls.stop_sharing') : t('controls.share_screen')} pressed={p.screenOn} onClick={p.onScreen} testId="toggle-screen" /> : null}
      {p.onBoard ? <Control icon="board" caption={p.boardOn ? t('controls.board_close') : t('controls.board')} extra={p.boardOn ? undefined : t('controls.board_extra')} pressed={!!p.boardOn} onClick={p.onBoard} testId="toggle-board" /> : null}
      <Control icon="chat" caption={t('controls.chat')} extra={p.unread ? t('controls.chat_extra_unread', { n: p.unread }) : t('controls.chat_extra')} pressed={p.panel !== null} expanded={p.panel !== null} controls="side-panel" onClick={p.onChat} testId="toggle-chat" badge={p.panel === 'chat' ? 0 : p.unread} />
      <Control icon="settings" caption={t('controls.settings')} extra={t('controls.settings_extra')} onClick={p.onSettings} testId="open-settings" />
      {p.canPip ? <Control icon="pip" caption={t('controls.pip')} extra={t('controls.pip_extra')} onClick={p.onPip} testId="pip" /> : null}
      {p.onExtend ? <Control icon="clock" caption={t('controls.extend')} extra={t('controls.extend_extra')} onClick={p.onExtend} testId="extend" /> : null}
      <Control icon="leave" caption={p.role === 'tutor' ? t('controls.leave_or_end') : t('controls.leave')} extra={t('controls.leave_extra')} danger onClick={p.onLeave} testId="leave" />
    </nav>
  );
}
