// Pre-join: lesson info, camera preview, live microphone meter, speaker test, network check,
// device pickers and tips. Join needs a working microphone, and a camera unless the person
// explicitly chooses to join without one.
import { supportsSpeakerSelection, type DeviceProblem } from '../lib/devices.ts';
import { webrtcSupported } from '../lib/webrtc-support.ts';
import type { Lesson } from '../lib/lesson-api.ts';
import { RTT_WARN_MS } from '../lib/network-check.ts';
import type { PageConfig } from '../lib/page-config.ts';
import { useStore } from '../lib/store.ts';
import { tips } from '../page/copy.ts';
import { t } from '../i18n/i18n.ts';
import { deviceIdOf, type DeviceCheck } from '../page/device-check.ts';
import { lessonTitle } from '../page/lesson-view.ts';
import { Screen } from './common.tsx';
import { DevicePicker } from './device-picker.tsx';
import { Icon } from './icons.tsx';
import { LessonSummary } from './state-screens.tsx';
import { VideoTile } from './video-tile.tsx';

const problemText = (p: DeviceProblem) => t(`problem.${p}`);

export function MicMeter(props: { check: DeviceCheck; label?: string }) {
  const { value } = useStore(props.check.level);
  const pct = Math.round(value * 100);
  return (
    <div class="meter" role="meter" aria-label={props.label ?? t('prejoin.mic_level')} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} data-testid="mic-meter" data-level={value.toFixed(3)}>
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
    <Screen config={props.config} wide testId="prejoin" label={t('prejoin.title')}>
      <div class="prejoin">
        <div class="prejoin-head">
          <p class="eyebrow">{lessonTitle(lesson)}</p>
          <h1>{t('prejoin.title')}</h1>
          <LessonSummary lesson={lesson} role={props.role} />
          {lesson.recording ? (
            <div class="recorded-notice" role="note" data-testid="recording-notice">
              <p class="recorded-note">
                <span class="rec-dot" aria-hidden="true" /> {t('prejoin.recorded')}
              </p>
              <p class="muted small">{t('prejoin.recorded_detail')}</p>
            </div>
          ) : null}
        </div>

        <section class="prejoin-preview" aria-label={t('prejoin.preview_label')}>
          <div class="preview-frame">
            {s.preview ? (
              <VideoTile stream={s.preview} muted mirrored label={t('prejoin.preview_video')} class="preview" testId="preview-video" />
            ) : (
              <div class="preview-empty" data-testid="preview-empty">
                <Icon name="camOff" size={36} />
                <p>{s.started ? (s.camera.problem ? problemText(s.camera.problem) : t('prejoin.camera_off')) : t('prejoin.starting_camera')}</p>
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
              {t('prejoin.join')}
            </button>
            {canJoinAudioOnly ? (
              <button class="btn big" onClick={() => props.onJoin(false)} data-testid="join-no-camera">
                <Icon name="camOff" /> {t('prejoin.join_no_camera')}
              </button>
            ) : null}
          </div>
          {!s.started ? (
            <p class="muted small" role="status">
              {t('prejoin.checking')}
            </p>
          ) : null}
          {!webrtcSupported() ? (
            <p class="warn-text" role="alert" data-testid="no-webrtc">
              <Icon name="warn" size={18} /> {t('notice.no_webrtc')}
            </p>
          ) : null}
          {s.started && !micOk ? (
            <p class="warn-text" role="alert">
              <Icon name="warn" size={18} /> {t('prejoin.mic_needed')} {s.mic.problem ? problemText(s.mic.problem) : ''}
            </p>
          ) : null}
          <ul class="tips" aria-label={t('tips.label')}>
            {tips().map((tip) => (
              <li key={tip}>{tip}</li>
            ))}
          </ul>
        </section>

        <section class="prejoin-checks" aria-label={t('prejoin.device_check')}>
          <ul class="checks">
            <Check ok={s.started ? camOk : null} label={t('prejoin.camera')} detail={camOk ? t('prejoin.working') : s.camera.problem ? problemText(s.camera.problem) : t('prejoin.checking_short')} testId="check-camera" />
            <Check ok={s.started ? micOk : null} label={t('prejoin.microphone')} detail={micOk ? t('prejoin.mic_working') : s.mic.problem ? problemText(s.mic.problem) : t('prejoin.checking_short')} testId="check-mic" />
            <Check
              ok={s.speakerTest === 'played' ? true : s.speakerTest === 'failed' ? false : null}
              label={t('prejoin.speaker')}
              detail={s.speakerTest === 'played' ? t('prejoin.heard_chime') : s.speakerTest === 'failed' ? t('prejoin.sound_failed') : s.speakerTest === 'playing' ? t('prejoin.playing') : t('prejoin.play_test')}
              testId="check-speaker"
            >
              <button class="btn small" onClick={() => void check.testSpeaker()} disabled={s.speakerTest === 'playing'} data-testid="test-speaker">
                <Icon name="speaker" size={18} /> {t('prejoin.test_sound')}
              </button>
            </Check>
            <Check
              ok={net.state === 'checking' ? null : net.state === 'done' ? net.ok : false}
              label={t('prejoin.network')}
              detail={net.state === 'checking' ? t('prejoin.measuring') : net.state === 'failed' ? t('prejoin.no_answer') : net.ok ? t('prejoin.rtt', { ms: net.rttMs }) : t('prejoin.rtt_slow', { ms: net.rttMs, limit: RTT_WARN_MS })}
              testId="check-network"
            >
              {net.state !== 'checking' ? (
                <button class="btn small ghost" onClick={() => void check.runNetworkCheck()} aria-label={t('prejoin.measure_again')}>
                  <Icon name="refresh" size={18} />
                </button>
              ) : null}
            </Check>
            {s.route.state !== 'idle' ? (
              <Check
                ok={s.route.state === 'checking' ? null : s.route.verdict !== 'blocked'}
                label={t('prejoin.route')}
                detail={s.route.state === 'checking' ? t('prejoin.route_checking') : `${t(`prejoin.route_${s.route.verdict === 'unknown' ? 'blocked' : s.route.verdict}`)}${s.route.via ? ` ${t(`prejoin.route_via_${s.route.via === 'tcp' ? 'tcp' : s.route.via === 'relay-tcp' ? 'relay_tcp' : 'relay_tls'}`)}` : ''}`}
                testId="check-route"
              />
            ) : null}
          </ul>

          <details class="device-pickers" open>
            <summary>{t('prejoin.devices')}</summary>
            <DevicePicker label={t('prejoin.camera')} devices={s.devices.cameras} value={deviceIdOf(s.camera.track)} onChange={(id) => void check.selectCamera(id)} testId="pick-camera" />
            <DevicePicker label={t('prejoin.microphone')} devices={s.devices.mics} value={deviceIdOf(s.mic.track)} onChange={(id) => void check.selectMic(id)} testId="pick-mic" />
            {supportsSpeakerSelection() ? <DevicePicker label={t('prejoin.speaker')} devices={s.devices.speakers} value={s.speakerId} onChange={(id) => check.selectSpeaker(id)} testId="pick-speaker" /> : null}
          </details>
        </section>
      </div>
    </Screen>
  );
}
