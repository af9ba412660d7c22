// The room's header: course title, the other person, status, network quality and the lesson clock.
import { clock, elapsed } from '../lib/format.ts';
import type { NetworkQuality } from '../room-extras.ts';
import { Icon } from './icons.tsx';
import { useTick } from './common.tsx';

export type RoomStatus = 'connecting' | 'waiting' | 'in_progress' | 'reconnecting' | 'peer_reconnecting' | 'media_failed';

export const STATUS_TEXT: Record<RoomStatus, string> = {
  connecting: 'Connecting…',
  waiting: 'Waiting',
  in_progress: 'In progress',
  reconnecting: 'Reconnecting…',
  peer_reconnecting: 'Other side reconnecting',
  media_failed: 'Connection problem',
};

const QUALITY_TEXT: Record<NetworkQuality, string> = { good: 'Good', fair: 'Fair', poor: 'Poor', unknown: '—' };
const QUALITY_BARS: Record<NetworkQuality, number> = { good: 3, fair: 2, poor: 1, unknown: 0 };

export function NetworkBadge(props: { quality: NetworkQuality }) {
  const bars = QUALITY_BARS[props.quality];
  return (
    <span class={`netq netq-${props.quality}`} data-testid="network-quality" data-quality={props.quality} title="Network quality">
      <span class="bars" aria-hidden="true">
        {[1, 2, 3].map((i) => (
          <span key={i} class={i <= bars ? 'on' : ''} style={{ height: `${i * 4 + 2}px` }} />
        ))}
      </span>
      <span class="netq-text">
        <span class="sr-only">Network quality: </span>
        {QUALITY_TEXT[props.quality]}
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
        <span class="sr-only">Elapsed </span>
        <strong data-testid="elapsed">{props.startedAt ? elapsed((now - props.startedAt.getTime()) / 1000) : '0:00'}</strong>
        {props.endsAt ? (
          <span class="timer-end">
            {' '}
            · ends {clock(props.endsAt)}
            {warn ? <span class="timer-left"> ({Math.max(1, Math.ceil(left! / 60000))} min left)</span> : null}
          </span>
        ) : null}
      </span>
    </div>
  );
}

export function RoomHeader(props: { title: string; peerName: string; status: RoomStatus; quality: NetworkQuality; startedAt: Date | null; endsAt: Date | null; warning: number | null; logo: string | null; recording: boolean }) {
  return (
    <header class="room-header">
      <div class="room-title">
        {props.logo ? <img class="brand-logo small" src={props.logo} alt="" /> : <span class="brand-mark small" aria-hidden="true" />}
        <div class="room-title-text">
          <h1 class="room-course">{props.title}</h1>
          <span class="muted">with {props.peerName}</span>
        </div>
      </div>
      <div class="room-meta">
        {props.recording ? (
          <span class="pill rec" title="This lesson is recorded" role="img" aria-label="Recording: this lesson is recorded" data-testid="rec-indicator">
            <span class="rec-dot" aria-hidden="true" /> REC
          </span>
        ) : null}
        <span class={`pill status status-${props.status}`} role="status" data-testid="status" data-status={props.status}>
          <span class="dot" aria-hidden="true" />
          {STATUS_TEXT[props.status]}
        </span>
        <NetworkBadge quality={props.quality} />
        <LessonTimer startedAt={props.startedAt} endsAt={props.endsAt} warning={props.warning} />
      </div>
    </header>
  );
}
