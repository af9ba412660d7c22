// The control bar: every control is a real <button> with a label, a pressed state for toggles and
// a text caption, so nothing depends on colour or on the icon alone.
import type { IconName } from './icons.tsx';
import { Icon } from './icons.tsx';

function Control(props: { icon: IconName; label: string; caption: string; onClick: () => void; pressed?: boolean; off?: boolean; danger?: boolean; disabled?: boolean; testId: string; badge?: number; expanded?: boolean; controls?: string }) {
  return (
    <button
      class={`control ${props.off ? 'off' : ''} ${props.danger ? 'danger' : ''} ${props.pressed ? 'active' : ''}`}
      aria-label={props.label}
      aria-pressed={props.pressed === undefined ? undefined : props.pressed}
      aria-expanded={props.expanded}
      aria-controls={props.controls}
      disabled={props.disabled}
      onClick={props.onClick}
      data-testid={props.testId}
      title={props.label}
    >
      <span class="control-icon">
        <Icon name={props.icon} />
        {props.badge ? (
          <span class="badge-count" aria-hidden="true">
            {props.badge > 9 ? '9+' : props.badge}
          </span>
        ) : null}
      </span>
      <span class="control-caption" aria-hidden="true">
        {props.caption}
      </span>
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
}

export function Controls(p: ControlsProps) {
  return (
    <nav class="controls" aria-label="Lesson controls">
      <Control icon={p.micOn ? 'mic' : 'micOff'} label={p.micOn ? 'Mute microphone' : 'Unmute microphone'} caption={p.micOn ? 'Mute' : 'Unmute'} off={!p.micOn} pressed={!p.micOn} onClick={p.onMic} testId="toggle-mic" />
      <Control
        icon={p.camOn && p.hasCamera ? 'cam' : 'camOff'}
        label={!p.hasCamera ? 'No camera in this lesson' : p.camOn ? 'Turn camera off' : 'Turn camera on'}
        caption={!p.hasCamera ? 'No camera' : p.camOn ? 'Stop video' : 'Start video'}
        off={!p.camOn || !p.hasCamera}
        pressed={!p.camOn}
        disabled={!p.hasCamera}
        onClick={p.onCam}
        testId="toggle-cam"
      />
      {p.canShare ? <Control icon="screen" label={p.screenOn ? 'Stop sharing your screen' : 'Share your screen'} caption={p.screenOn ? 'Stop share' : 'Share'} pressed={p.screenOn} onClick={p.onScreen} testId="toggle-screen" /> : null}
      <Control icon="chat" label={p.unread ? `Chat and notes, ${p.unread} unread` : 'Chat and notes'} caption="Chat" pressed={p.panel !== null} expanded={p.panel !== null} controls="side-panel" onClick={p.onChat} testId="toggle-chat" badge={p.panel === 'chat' ? 0 : p.unread} />
      <Control icon="settings" label="Settings: camera, microphone and speaker" caption="Settings" onClick={p.onSettings} testId="open-settings" />
      {p.canPip ? <Control icon="pip" label="Picture in picture" caption="Mini" onClick={p.onPip} testId="pip" /> : null}
      <Control icon="leave" label={p.role === 'tutor' ? 'Leave or end the lesson' : 'Leave the lesson'} caption={p.role === 'tutor' ? 'Leave / End' : 'Leave'} danger onClick={p.onLeave} testId="leave" />
    </nav>
  );
}
