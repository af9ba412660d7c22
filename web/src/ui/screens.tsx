import type { JoinInfo } from '../lib/api.ts';
import type { ScreenError } from '../room-controller.ts';

function formatRange(start: string, end: string): string {
  const s = new Date(start);
  const e = new Date(end);
  const t = (d: Date) => d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const minutes = Math.round((e.getTime() - s.getTime()) / 60000);
  return `${s.toLocaleDateString()} · ${t(s)}–${t(e)} (${minutes} min)`;
}

export function Loading() {
  return (
    <main class="card" aria-busy="true">
      <p class="muted">Loading your lesson…</p>
    </main>
  );
}

export function PreJoin(props: { join: JoinInfo; connecting: boolean; onJoin: () => void }) {
  const { join } = props;
  return (
    <main class="card">
      <h1>{join.session.title}</h1>
      <p class="muted">{formatRange(join.session.scheduled_start, join.session.scheduled_end)}</p>
      <p>
        With <strong>{join.peer.name}</strong> ({join.peer.role})
        {join.session.recording ? <span class="badge" title="This lesson is recorded">● Recorded</span> : null}
      </p>
      <ul class="tips">
        <li>Ensure good lighting on your face.</li>
        <li>Use headphones for the best audio.</li>
      </ul>
      <button class="primary" data-testid="join" disabled={props.connecting} onClick={props.onJoin}>
        {props.connecting ? 'Joining…' : 'Join lesson'}
      </button>
    </main>
  );
}

export function ErrorScreen(props: { error: ScreenError; onRetry: () => void }) {
  return (
    <main class="card" role="alert" data-testid="error" data-code={props.error.code}>
      <h1>{props.error.title}</h1>
      <p>{props.error.message}</p>
      {props.error.retry ? (
        <button class="primary" onClick={props.onRetry}>
          Retry
        </button>
      ) : null}
    </main>
  );
}

export function Left() {
  return (
    <main class="card" data-testid="left">
      <h1>You left the lesson</h1>
      <p class="muted">You can close this tab.</p>
    </main>
  );
}
