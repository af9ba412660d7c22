// In-call dialogs: device settings and leave / end the lesson.
import { useEffect, useState } from 'preact/hooks';
import { deviceIdOf, listDevices, supportsSpeakerSelection, type DeviceLists } from '../lib/devices.ts';
import { Dialog } from './dialog.tsx';
import { DevicePicker } from './device-picker.tsx';
import { Icon } from './icons.tsx';
import { t } from '../i18n/i18n.ts';

export function SettingsDialog(props: { local: MediaStream | null; speakerId: string; onClose: () => void; onSwitch: (kind: 'audio' | 'video', deviceId: string) => Promise<void>; onSpeaker: (id: string) => void }) {
  const [devices, setDevices] = useState<DeviceLists>({ cameras: [], mics: [], speakers: [] });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    void listDevices().then(setDevices, () => undefined);
  }, []);
  const switchTo = async (kind: 'audio' | 'video', id: string) => {
    setBusy(true);
    setError(null);
    try {
      await props.onSwitch(kind, id);
    } catch {
      setError(kind === 'video' ? t('settings.camera_failed') : t('settings.mic_failed'));
    } finally {
      setBusy(false);
    }
  };
  const cam = props.local?.getVideoTracks()[0];
  const mic = props.local?.getAudioTracks()[0];
  return (
    <Dialog title={t('settings.title')} onClose={props.onClose} testId="settings">
      <div aria-busy={busy ? 'true' : undefined}>
        {cam ? <DevicePicker label={t('prejoin.camera')} devices={devices.cameras} value={deviceIdOf(cam)} onChange={(id) => void switchTo('video', id)} testId="settings-camera" /> : <p class="muted">{t('settings.no_camera')}</p>}
        <DevicePicker label={t('prejoin.microphone')} devices={devices.mics} value={deviceIdOf(mic)} onChange={(id) => void switchTo('audio', id)} testId="settings-mic" />
        {supportsSpeakerSelection() ? <DevicePicker label={t('prejoin.speaker')} devices={devices.speakers} value={props.speakerId} onChange={props.onSpeaker} testId="settings-speaker" /> : null}
        {error ? (
          <p class="warn-text" role="alert">
            <Icon name="warn" size={18} /> {error}
          </p>
        ) : null}
      </div>
      <div class="dialog-actions">
        <button class="btn primary" onClick={props.onClose} data-testid="settings-done">
          {t('settings.done')}
        </button>
      </div>
    </Dialog>
  );
}

export function LeaveDialog(props: { role: 'tutor' | 'student' | null; peerName: string; onClose: () => void; onLeave: () => void; onEnd: () => Promise<void> }) {
  const [confirmEnd, setConfirmEnd] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (confirmEnd) {
    return (
      <Dialog title={t('leave.confirm_title')} onClose={props.onClose} testId="confirm-end" description={t('leave.confirm_detail', { name: props.peerName })}>
        {error ? (
          <p class="warn-text" role="alert">
            {error}
          </p>
        ) : null}
        <div class="dialog-actions">
          <button class="btn" onClick={() => setConfirmEnd(false)} data-autofocus>
            {t('leave.go_back')}
          </button>
          <button
            class="btn danger"
            data-testid="confirm-end-lesson"
            onClick={() =>
              void props.onEnd().catch(() => setError(t('leave.end_failed')))
            }
          >
            {t('leave.end_both')}
          </button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog
      title={props.role === 'tutor' ? t('leave.title_tutor') : t('leave.title_student')}
      onClose={props.onClose}
      testId="leave-dialog"
      description={props.role === 'tutor' ? t('leave.detail_tutor', { name: props.peerName }) : t('leave.detail_student')}
    >
      <div class="dialog-actions">
        <button class="btn" onClick={props.onClose} data-autofocus>
          {t('leave.stay')}
        </button>
        <button class="btn danger-outline" onClick={props.onLeave} data-testid="confirm-leave">
          {t('leave.leave')}
        </button>
        {props.role === 'tutor' ? (
          <button class="btn danger" onClick={() => setConfirmEnd(true)} data-testid="end-lesson">
            {t('leave.end_both')}
          </button>
        ) : null}
      </div>
    </Dialog>
  );
}
