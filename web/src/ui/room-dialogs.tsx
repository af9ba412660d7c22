// In-call dialogs: device settings and leave / end the lesson.
import { useEffect, useState } from 'preact/hooks';
import { deviceIdOf, listDevices, supportsSpeakerSelection, type DeviceLists } from '../lib/devices.ts';
import { Dialog } from './dialog.tsx';
import { DevicePicker } from './device-picker.tsx';
import { Icon } from './icons.tsx';

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
      setError(kind === 'video' ? 'That camera could not be started.' : 'That microphone could not be started.');
    } finally {
      setBusy(false);
    }
  };
  const cam = props.local?.getVideoTracks()[0];
  const mic = props.local?.getAudioTracks()[0];
  return (
    <Dialog title="Settings" onClose={props.onClose} testId="settings">
      <div aria-busy={busy ? 'true' : undefined}>
        {cam ? <DevicePicker label="Camera" devices={devices.cameras} value={deviceIdOf(cam)} onChange={(id) => void switchTo('video', id)} testId="settings-camera" /> : <p class="muted">You joined without a camera.</p>}
        <DevicePicker label="Microphone" devices={devices.mics} value={deviceIdOf(mic)} onChange={(id) => void switchTo('audio', id)} testId="settings-mic" />
        {supportsSpeakerSelection() ? <DevicePicker label="Speaker" devices={devices.speakers} value={props.speakerId} onChange={props.onSpeaker} testId="settings-speaker" /> : null}
        {error ? (
          <p class="warn-text" role="alert">
            <Icon name="warn" size={18} /> {error}
          </p>
        ) : null}
      </div>
      <div class="dialog-actions">
        <button class="btn primary" onClick={props.onClose} data-testid="settings-done">
          Done
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
      <Dialog title="End the lesson for both?" onClose={props.onClose} testId="confirm-end" description={`${props.peerName} will be taken out of the room too, and the lesson will be marked as finished.`}>
        {error ? (
          <p class="warn-text" role="alert">
            {error}
          </p>
        ) : null}
        <div class="dialog-actions">
          <button class="btn" onClick={() => setConfirmEnd(false)} data-autofocus>
            Go back
          </button>
          <button
            class="btn danger"
            data-testid="confirm-end-lesson"
            onClick={() =>
              void props.onEnd().catch(() => setError('The lesson could not be ended. Check your connection and try again.'))
            }
          >
            End lesson for both
          </button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog
      title={props.role === 'tutor' ? 'Leave or end the lesson?' : 'Leave the lesson?'}
      onClose={props.onClose}
      testId="leave-dialog"
      description={props.role === 'tutor' ? `Leaving keeps the room open so you can come back. Ending closes it for ${props.peerName} too.` : 'You can rejoin from your link while the lesson is running.'}
    >
      <div class="dialog-actions">
        <button class="btn" onClick={props.onClose} data-autofocus>
          Stay
        </button>
        <button class="btn danger-outline" onClick={props.onLeave} data-testid="confirm-leave">
          Leave
        </button>
        {props.role === 'tutor' ? (
          <button class="btn danger" onClick={() => setConfirmEnd(true)} data-testid="end-lesson">
            End lesson for both
          </button>
        ) : null}
      </div>
    </Dialog>
  );
}
