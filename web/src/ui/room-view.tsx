import type { RoomController, RoomState } from '../room-controller.ts';
import { VideoTile } from './video-tile.tsx';

function statusText(s: RoomState): string {
  if (!s.peer) return `Waiting for ${s.join?.peer.name ?? 'the other person'} to join…`;
  if (s.media === 'connected') return s.mode === 'sfu' ? 'Connected (server)' : 'Connected (direct)';
  if (s.media === 'failed') return 'Media connection failed';
  return 'Connecting…';
}

export function RoomView(props: { state: RoomState; controller: RoomController }) {
  const { state: s, controller } = props;
  const peerName = s.peer?.name ?? s.join?.peer.name ?? 'Other participant';
  return (
    <div class="room" data-testid="room" data-mode={s.mode ?? ''}>
      <header class="room-header">
        <div>
          <strong>{s.join?.session.title}</strong>
          <span class="muted"> · with {peerName}</span>
        </div>
        <span class="status" role="status" data-testid="status">
          {statusText(s)}
        </span>
      </header>
      <section class="stage">
        <VideoTile stream={s.remote} label={`${peerName}'s video`} class="remote" testId="remote-video" />
        {s.peer && !s.peer.audio ? <span class="peer-muted">{peerName} is muted</span> : null}
        <VideoTile stream={s.local} muted mirrored label="Your camera" class="self" testId="self-video" />
      </section>
      <nav class="controls" aria-label="Lesson controls">
        <button data-testid="toggle-mic" aria-pressed={!s.micOn} onClick={() => controller.toggleMic()}>
          {s.micOn ? 'Mute' : 'Unmute'}
        </button>
        <button data-testid="toggle-cam" aria-pressed={!s.camOn} onClick={() => controller.toggleCam()}>
          {s.camOn ? 'Stop video' : 'Start video'}
        </button>
        <button class="danger" data-testid="leave" onClick={() => void controller.leave()}>
          Leave
        </button>
      </nav>
    </div>
  );
}
