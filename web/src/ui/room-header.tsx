// The room's header: course title, the other person, status, network quality and the lesson clock.
import { elapsed } from '../lib/format.ts';
import { formatClock, formatZone, t } from '../i18n/i18n.ts';
import type { NetworkQuality, QualityDetail } from '../room-quality.ts';
import { Icon } from './icons.tsx';
import { useTick } from './common.tsx';

export type RoomStatus = 'connecting' | 'waiting' | 'in_progress' | 'reconnecting' | 'peer_reconnecting' | 'media_failed';

export const statusText = (s: RoomStatus): string => t(`status.${s}`);
const qualityText = (q: NetworkQuality): string => t(`quality.${q}`);
const QUALITY_BARS: Record<NetworkQuality, number> = { good: 3, fair: 2, poor: 1, unknown: 0 };

/** The tooltip: the same numbers the room reports to the API (room-quality.ts), in words. */
export function qualityTooltip(d: QualityDetail | null | undefined): string {
  if (!d) return t('quality.label');
  const parts = [t('quality.label')];
  if (d.rttMs !== null) parts.push(t('quality.rtt', { ms: Math.round(d.rttMs) }));
  if (d.lossPct !== null) parts.push(t('quality.loss', { pct: d.lossPct }));
  if (d.concealmentPct !== null) parts.push(t('quality.concealment', { pct: d.concealmentPct }));
  parts.push(t('quality.freezes', { n: d.freezes }));
  if (d.path) parts.push(t(d.path.relay ? 'quality.path_relay' : 'quality.path_direct', { protocol: d.path.protocol.toUpperCase() }));
  return parts.join(' · ');
}

export function NetworkBadge(props: { quality: NetworkQuality; detail?: QualityDetail | null }) {
  const bars = QUALITY_BARS[props.quality];
  return (
    <span class={`netq netq-${props.quality}`} data-testid="network-quality" data-quality={props.quality} title={qualityTooltip(props.detail)}>
      <span class="bars" aria-hidden="true">
        {[1, 2, 3].map((i) => (
          <span key={i} class={i <= bars ? 'on' : ''} style={{ height: `${i * 4 + 2}px` }} />
        ))}
      </span>
      <span class="netq-text">
        <span class="sr-only">{t('quality.label')}: </span>
        {qualityText(props.quality)}
      </span>
    </span>
  );
}

export function LessonTimer(props: { startedAt: Date | null; endsAt: Date | null; warning: number | null }) {
  const now = useTick(1000);
  const left = props.endsAt ? props.endsAt.getTime() - now : null;
  const warn = props.warning !== null && left !== null && left > 0;
  return (
    <div class={`timer ${warn ? `timer-warn timer-warn-${props.warning}` : ''}`} data-testid="timer" role="timer" aria-live="off">
      <Icon name="clock" size={18} />
      <span>
        <span class="sr-only">{t('timer.elapsed')} </span>
        <strong data-testid="elapsed">{props.startedAt ? elapsed((now - props.startedAt.getTime()) / 1000) : '0:00'}</strong>
        {props.endsAt ? (
          <span class="timer-end">
            {' '}
            · <span data-testid="timer-end">{t('timer.ends', { time: `${formatClock(props.endsAt)} ${formatZone(props.endsAt)}` })}</span>
            {warn ? <span class="timer-left"> ({t('timer.left', { n: Math.max(1, Math.ceil(left! / 60000)) })})</span> : null}
          </span>
        ) : null}
      </span>
    </div>
  );
}

export function RoomHeader(props: { title: string; peerName: string; status: RoomStatus; quality: NetworkQuality; qualityDetail?: QualityDetail | null; startedAt: Date | null; endsAt: Date | null; warning: number | null; logo: string | null; recording: boolean }) {
  return (
    <header class="room-header">
      <div class="room-title">
        {props.logo ? <img class="brand-logo small" src={props.logo} alt="" /> : <span class="brand-mark small" aria-hidden="true" />}
        <div class="room-title-text">
          <h1 class="room-course">{props.title}</h1>
          <span class="muted">{t('header.with', { name: props.peerName })}</span>
        </div>
      </div>
      <div class="room-meta">
        {props.recording ? (
          <span class="pill rec" title={t('header.recorded')} role="img" aria-label={t('header.recorded_label')} data-testid="rec-indicator">
            <span class="rec-dot" aria-hidden="true" /> REC
          </span>
        ) : null}
        <span class={`pill status status-${props.status}`} role="status" data-testid="status" data-status={props.status}>
          <span class="dot" aria-hidden="true" />
          {statusText(props.status)}
        </span>
        <NetworkBadge quality={props.quality} detail={props.qualityDetail ?? null} />
        <LessonTimer startedAt={props.startedAt} endsAt={props.endsAt} warning={props.warning} />
      </div>
    </header>
  );
}
