// Pre-join: lesson info, camera preview, live microphone meter, speaker test, network check,
// device pickers and tips. Join needs a working microphone, and a camera unless the person
// explicitly chooses to join without one.
import { supportsSpeakerSelection, type DeviceProblem } from '../lib/devices.ts';
import { NO_WEBRTC_TEXT, webrtcSupported } from '../lib/webrtc-support.ts';
import type { Lesson } from '../lib/lesson-api.ts';
import { RTT_WARN_MS } from '../lib/network-check.ts';
import type { PageConfig } from '../lib/page-config.ts';
import { useStore } from '../lib/store.ts';
import { TIPS } from '../page/copy.ts';
import { deviceIdOf, type DeviceCheck } from '../page/device-check.ts';
import { lessonTitle } from '../page/lesson-view.ts';
import { Screen } from './common.tsx';
import { DevicePicker } from './device-picker.tsx';
import { Icon } from './icons.tsx';
import { LessonSummary } from './state-screens.tsx';
import { VideoTile } from './video-tile.tsx';

const PROBLEM_TEXT: Record<DeviceProblem, string> = {
  denied: 'Access is blocked. Allow it from the camera icon in the address bar.',
  not_found: 'No device found. Plug one in or pick another.',
  in_use: 'Another app is using it. Close that app and retry.',
  unsupported: 'This browser cannot use it here.',
};

export function MicMeter(props: { check: DeviceCheck; label?: string }) {
  const { value } = useStore(props.check.level);
  const pct = Math.round(value * 100);
  return (
    <div class="meter" role="meter" aria-label={props.label ?? 'Microphone level'} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} data-testid="mic-meter" data-level={value.toFixed(3)}>
      {Array.from({ length: 12 }, (_, i) => (
        <span key={i} class={pct > (i / 12) * 100 ? 'on' : ''} />
      ))}
    </div>
  );
}

function Check(props: { ok: boolean | null; label: string; detail: string; testId: string; children?: preact.ComponentChildren }) {
  const state = props.ok === null ? 'pending' : props.ok ? 'ok' : 'bad';
  return (
    <li class={`check check-${state}`} data-testid={props.testId} data-state={state}>
      <span class="check-mark" aria-hidden="true">
        {props.ok === null ? <span class="spinner small" /> : <Icon name={props.ok ? 'check' : 'warn'} size={18} />}
      </span>
      <span class="check-text">
        <strong>{props.label}</strong>
        <span class="muted"> — {props.detail}</span>
      </span>
      {props.children}
    </li>
  );
}

export function PreJoin(props: { config: PageConfig; lesson: Lesson; role: 'tutor' | 'student' | null; name: string | null; check: DeviceCheck; onJoin: (withCamera: boolean) => void }) {
  const { lesson, check } = props;
  const s = useStore(check.state);
  const camOk = !!s.camera.track;
  const micOk = !!s.mic.track;
  const net = s.network;
  const canJoin = s.started && camOk && micOk;
  const canJoinAudioOnly = s.started && micOk && !camOk;
  return (
    <Screen config={props.config} wide testId="prejoin" label="Get ready to join">
      <div class="prejoin">
        <div class="prejoin-head">
          <p class="eyebrow">{lessonTitle(lesson)}</p>
          <h1>Get ready to join</h1>
          <LessonSummary lesson={lesson} role={props.role} />
          {lesson.recording ? (
            <p class="recorded-note">
              <span class="rec-dot" aria-hidden="true" /> This lesson will be recorded.
            </p>
          ) : null}
        </div>

        <section class="prejoin-preview" aria-label="Camera preview">
          <div class="preview-frame">
            {s.preview ? (
              <VideoTile stream={s.preview} muted mirrored label="Your camera preview" class="preview" testId="preview-video" />
            ) : (
              <div class="preview-empty" data-testid="preview-empty">
                <Icon name="camOff" size={36} />
                <p>{s.started ? (s.camera.problem ? PROBLEM_TEXT[s.camera.problem] : 'Camera is off') : 'Starting your camera…'}</p>
              </div>
            )}
            <div class="preview-meter">
              <Icon name="mic" size={18} />
              <MicMeter check={check} />
            </div>
            {props.name ? <span class="name-tag preview-name">{props.name}</span> : null}
          </div>
          <div class="join-row">
            <button class="btn primary big" disabled={!canJoin} onClick={() => props.onJoin(true)} data-testid="join">
              Join lesson
            </button>
            {canJoinAudioOnly ? (
              <button class="btn big" onClick={() => props.onJoin(false)} data-testid="join-no-camera">
                <Icon name="camOff" /> Join without camera
              </button>
            ) : null}
          </div>
          {!s.started ? (
            <p class="muted small" role="status">
              Checking your camera and microphone…
            </p>
          ) : null}
          {!webrtcSupported() ? (
            <p class="warn-text" role="alert" data-testid="no-webrtc">
              <Icon name="warn" size={18} /> {NO_WEBRTC_TEXT}
            </p>
          ) : null}
          {s.started && !micOk ? (
            <p class="warn-text" role="alert">
              <Icon name="warn" size={18} /> A working microphone is needed to join. {s.mic.problem ? PROBLEM_TEXT[s.mic.problem] : ''}
            </p>
          ) : null}
          <ul class="tips" aria-label="Tips">
            {TIPS.map((t) => (
              <li key={t}>{t}</li>
            ))}
          </ul>
        </section>

        <section class="prejoin-checks" aria-label="Device check">
          <ul class="checks">
            <Check ok={s.started ? camOk : null} label="Camera" detail={camOk ? 'working' : s.camera.problem ? PROBLEM_TEXT[s.camera.problem] : 'checking…'} testId="check-camera" />
            <Check ok={s.started ? micOk : null} label="Microphone" detail={micOk ? 'working — speak to see the meter move' : s.mic.problem ? PROBLEM_TEXT[s.mic.problem] : 'checking…'} testId="check-mic" />
            <Check
              ok={s.speakerTest === 'played' ? true : s.speakerTest === 'failed' ? false : null}
              label="Speaker"
              detail={s.speakerTest === 'played' ? 'did you hear the chime?' : s.speakerTest === 'failed' ? 'could not play a sound' : s.speakerTest === 'playing' ? 'playing…' : 'play a test sound'}
              testId="check-speaker"
            >
              <button class="btn small" onClick={() => void check.testSpeaker()} disabled={s.speakerTest === 'playing'} data-testid="test-speaker">
                <Icon name="speaker" size={18} /> Test sound
              </button>
            </Check>
            <Check
              ok={net.state === 'checking' ? null : net.state === 'done' ? net.ok : false}
              label="Network"
              detail={net.state === 'checking' ? 'measuring…' : net.state === 'failed' ? 'the lesson service did not answer' : net.ok ? `${net.rttMs} ms round trip` : `${net.rttMs} ms round trip — slower than ${RTT_WARN_MS} ms, video may stutter`}
              testId="check-network"
            >
              {net.state !== 'checking' ? (
                <button class="btn small ghost" onClick={() => void check.runNetworkCheck()} aria-label="Measure the network again">
                  <Icon name="refresh" size={18} />
                </button>
              ) : null}
            </Check>
          </ul>

          <details class="device-pickers" open>
            <summary>Devices</summary>
            <DevicePicker label="Camera" devices={s.devices.cameras} value={deviceIdOf(s.camera.track)} onChange={(id) => void check.selectCamera(id)} testId="pick-camera" />
            <DevicePicker label="Microphone" devices={s.devices.mics} value={deviceIdOf(s.mic.track)} onChange={(id) => void check.selectMic(id)} testId="pick-mic" />
            {supportsSpeakerSelection() ? <DevicePicker label="Speaker" devices={s.devices.speakers} value={s.speakerId} onChange={(id) => check.selectSpeaker(id)} testId="pick-speaker" /> : null}
          </details>
        </section>
      </div>
    </Screen>
  );
}
